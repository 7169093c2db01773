/* Refused: Xen takes one pre-apply hook per payload. */
#include <livepatch/payload.h>

static int first(livepatch_payload_t *p) { (void)p; return 0; }
static int second(livepatch_payload_t *p) { (void)p; return 0; }
LIVEPATCH_PREAPPLY_HOOK(first);
LIVEPATCH_PREAPPLY_HOOK(second);
