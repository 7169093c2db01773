/* do_compute(x) becomes scaler_scale(x) + 4 = 2x + 4, through a new function of this payload
 * (scaler_scale) that another payload, onpayload.c, patches in turn. */
#include "fixture_payload.h"

__attribute__((noipa)) long scaler_scale(long x) { return 2 * x; }

long scaler_do_compute(long x) { return scaler_scale(x) + 4; }

LP_REPLACE(do_compute, scaler_do_compute, 5);
