/* Refused: NOP_LEN (from -D) is not a length a NOP patch of do_compute can have. */
#include <livepatch/payload.h>

LIVEPATCH_NOP(do_compute, NOP_LEN);
