/* wx-selftest: asks for writable and executable memory once, the way given by argv[1] (mprotect,
 * mmap, mmap64 or pkey_mprotect), and exits 0 when the kernel granted it. Run under wx-shim.so it
 * must instead be stopped: the shim's own test (tests/tool/tool_wx_test.cc). */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "mprotect";
    const size_t len = 4096;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 2;
    int rc = 0;
    if (!strcmp(how, "mprotect")) {
        rc = mprotect(p, len, PROT_READ | PROT_WRITE | PROT_EXEC);
    } else if (!strcmp(how, "pkey_mprotect")) {
        rc = pkey_mprotect(p, len, PROT_READ | PROT_WRITE | PROT_EXEC, 0);
    } else if (!strcmp(how, "mmap")) {
        rc = mmap(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED;
    } else if (!strcmp(how, "mmap64")) {
        rc = mmap64(NULL, len, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED;
    } else {
        return 2;
    }
    printf("wx-selftest: %s(PROT_READ|PROT_WRITE|PROT_EXEC) %s\n", how, rc ? "refused" : "granted");
    return rc ? 1 : 0;
}
