/* Refused on AArch64: a NOP patch covers whole 4-byte instructions (6 bytes is not). */
#include <livepatch/payload.h>

LIVEPATCH_NOP(do_trace_event, 6);
