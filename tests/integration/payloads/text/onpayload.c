/* Patches a function of another payload: scaler's new function scaler_scale (resolved among the
 * loaded payloads' symbols) becomes 3x, so do_compute under scaler returns 3x + 4. The old
 * function lies in payload text, which the window writes through its view like the hypervisor's
 * patchable text. */
#include "fixture_payload.h"

long onpayload_scale(long x) { return 3 * x; }

LP_REPLACE(scaler_scale, onpayload_scale, 5);
