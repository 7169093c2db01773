/* base: the corpus's reference payload. Replaces Xen's xen_extra_version() ("-corpus-base") and
 * exports one new global function, corpus_base_marker, which the symbol variants rename. Most
 * variants of tests/corpus/gen_corpus.py are mutations of this file's payload. */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-corpus-base"; }
LIVEPATCH_REPLACE(xen_extra_version);

int corpus_base_marker(void);
int corpus_base_marker(void) { return 0x11; }
