/* exporter: patches xen_minor_version's caller-visible text nowhere; exports corpus_exported(),
 * a new global symbol that importer.livepatch links against once both are loaded. Its record
 * replaces xen_extra_version ("-corpus-exporter"). */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-corpus-exporter"; }
LIVEPATCH_REPLACE(xen_extra_version);

const char *corpus_exported(void);
const char *corpus_exported(void) { return "-corpus-imported"; }
