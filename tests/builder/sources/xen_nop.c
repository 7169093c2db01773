/* NOPs the first NOP_LEN bytes of do_compute (NOP_LEN given with -D by the test). */
#include <livepatch/payload.h>

LIVEPATCH_NOP(do_compute, NOP_LEN);
