/* wx-shim.so: an LD_PRELOAD library that checks every mmap, mmap64, mprotect, pkey_mprotect and
 * mremap call a process makes through the dynamic linker (the process's own code and its
 * libraries; not libc's internal calls, which never ask for executable memory, nor raw
 * syscall(2)). A request for PROT_WRITE and PROT_EXEC together is reported on stderr (and
 * appended to $WX_SHIM_LOG when set) and the process aborts. At exit it prints one summary line:
 *   wx-shim: checked <n> calls (mmap <a>, mprotect <b>, pkey_mprotect <c>, mremap <d>;
 *            <w> writable, <x> executable), <y> write+execute
 * (<y> is always 0 there: such a request aborts before the summary), so that a test can tell the
 * shim really sat between the process and the kernel: it saw writable and executable requests. mremap takes
 * no protection: it is counted and passed through (it cannot add PROT_EXEC or PROT_WRITE). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static unsigned long n_mmap, n_mprotect, n_pkey, n_mremap, n_writable, n_exec, n_wx;

static void report(const char *line)
{
    const char *log = getenv("WX_SHIM_LOG");
    if (write(STDERR_FILENO, line, strlen(line)) < 0) {
        /* nowhere to report */
    }
    if (log && *log) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (fd >= 0) {
            if (write(fd, line, strlen(line)) < 0) {
                /* nowhere to report */
            }
            close(fd);
        }
    }
}

static void check(const char *fn, void *addr, size_t len, int prot)
{
    char line[256];
    if (prot & PROT_WRITE)
        __atomic_add_fetch(&n_writable, 1, __ATOMIC_RELAXED);
    if (prot & PROT_EXEC)
        __atomic_add_fetch(&n_exec, 1, __ATOMIC_RELAXED);
    if ((prot & (PROT_WRITE | PROT_EXEC)) != (PROT_WRITE | PROT_EXEC))
        return;
    __atomic_add_fetch(&n_wx, 1, __ATOMIC_RELAXED);
    snprintf(line, sizeof line, "wx-shim: %s(%p, %zu, prot %#x) asks for write and execute together: abort\n", fn,
             addr, len, (unsigned)prot);
    report(line);
    abort();
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    __atomic_add_fetch(&n_mmap, 1, __ATOMIC_RELAXED);
    check("mmap", addr, len, prot);
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    __atomic_add_fetch(&n_mmap, 1, __ATOMIC_RELAXED);
    check("mmap64", addr, len, prot);
    return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

int mprotect(void *addr, size_t len, int prot)
{
    __atomic_add_fetch(&n_mprotect, 1, __ATOMIC_RELAXED);
    check("mprotect", addr, len, prot);
    return (int)syscall(SYS_mprotect, addr, len, prot);
}

int pkey_mprotect(void *addr, size_t len, int prot, int pkey)
{
    __atomic_add_fetch(&n_pkey, 1, __ATOMIC_RELAXED);
    check("pkey_mprotect", addr, len, prot);
    return (int)syscall(SYS_pkey_mprotect, addr, len, prot, pkey);
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
    void *new_addr = NULL;
    if (flags & MREMAP_FIXED) {
        va_list ap;
        va_start(ap, flags);
        new_addr = va_arg(ap, void *);
        va_end(ap);
    }
    __atomic_add_fetch(&n_mremap, 1, __ATOMIC_RELAXED);
    return (void *)syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
}

__attribute__((destructor)) static void wx_shim_summary(void)
{
    char line[256];
    snprintf(line, sizeof line,
             "wx-shim: checked %lu calls (mmap %lu, mprotect %lu, pkey_mprotect %lu, mremap %lu; %lu writable, "
             "%lu executable), %lu write+execute\n",
             n_mmap + n_mprotect + n_pkey + n_mremap, n_mmap, n_mprotect, n_pkey, n_mremap, n_writable, n_exec, n_wx);
    report(line);
}
