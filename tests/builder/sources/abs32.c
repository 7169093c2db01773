/* Refused: a 32-bit absolute address (R_X86_64_32), which Xen's loader does not accept. */
#include <livepatch/payload.h>

int schedule(int x) { return x + 1; }
LIVEPATCH_REPLACE(schedule);

__asm__(".section .rodata.abs32,\"a\"\n\t.long xen_data_object\n\t.previous");
