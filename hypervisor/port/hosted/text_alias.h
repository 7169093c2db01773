// W^X for the hosted hypervisor: every byte of text that a patch may write (the patchable
// hypervisor text, hypervisor_text.ld, and every payload's memory) lives in one memfd, mapped
// where it executes without PROT_WRITE. A patch window writes through a second, read-write view
// of that memfd, mapped only while the window is open. No mapping of the process is ever writable
// and executable at once.
//
// Layout of the memfd: [0, T) the patchable hypervisor text pages, [T, T + A) the payload arena
// (A bytes of address space reserved PROT_NONE next to the hypervisor image at start-up; pages
// get memory only when a payload uses them).
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace livepatch::hosted {

// Bounds of the patchable hypervisor text (page aligned; the linker script's symbols).
uint64_t patchable_text_start();
uint64_t patchable_text_end();

// Payload memory from the arena: `size` bytes (a multiple of 4096), zeroed, read-write, within
// half the branch reach of every byte of the hypervisor image. nullptr when the arena has no free
// run of that size. Thread-safe.
void* arena_alloc(size_t size);

// Returns [ptr, ptr + size) (from arena_alloc) to the arena: no access, memory released, zero on
// reuse. Aborts with a message when the arena cannot be made inaccessible again.
void arena_free(void* ptr, size_t size);

// Bytes of the arena's address space and the sum of live allocations.
size_t arena_capacity();
size_t arena_in_use();

// Opens the read-write view for one patch window (one mmap). Returns 0 or a positive errno;
// on failure nothing is mapped. Not reentrant: one window at a time.
int alias_open();

// Writes `len` bytes at text address `addr` (patchable hypervisor text or a payload's memory)
// through the open view, then does the architecture's instruction-cache maintenance for `addr`.
// Aborts with a message when no view is open or the range is not aliased.
void alias_write(uint64_t addr, const uint8_t* bytes, uint32_t len);

// Closes the view (munmap). A failure is fatal: logged, then abort().
void alias_close();

// True while a view is open (diagnostics and tests).
bool alias_is_open();

}  // namespace livepatch::hosted
