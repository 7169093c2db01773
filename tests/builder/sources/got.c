/* Refused: default visibility makes gcc reach xen_data_object through the GOT. */
#include <livepatch/payload.h>

extern unsigned long xen_data_object __attribute__((visibility("default")));

int schedule(int x) { return x + (int)xen_data_object; }
LIVEPATCH_REPLACE(schedule);
