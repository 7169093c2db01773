// In-place heap sort: O(n log n), no recursion, no allocation. The freestanding stand-in for
// std::sort (Xen has sort() in lib/sort.c for the same reason).
#pragma once

#include <stddef.h>

namespace livepatch {

// Sorts a[0..n) so that !less(a[j], a[i]) for all i < j.
template <class T, class Less>
void heap_sort(T* a, size_t n, Less less) noexcept {
    auto sift_down = [&](size_t root, size_t end) {
        for (;;) {
            size_t child = 2 * root + 1;
            if (child >= end)
                return;
            if (child + 1 < end && less(a[child], a[child + 1]))
                ++child;
            if (!less(a[root], a[child]))
                return;
            T tmp = a[root];
            a[root] = a[child];
            a[child] = tmp;
            root = child;
        }
    };
    if (n < 2)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(i, n);
    for (size_t end = n - 1; end > 0; --end) {
        T tmp = a[0];
        a[0] = a[end];
        a[end] = tmp;
        sift_down(0, end);
    }
}

}  // namespace livepatch
