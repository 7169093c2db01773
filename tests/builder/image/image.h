/* Shared by the xen-syms-like test image's sources. */
#ifndef BUILDER_TEST_IMAGE_H
#define BUILDER_TEST_IMAGE_H

#define NOINLINE __attribute__((noinline, used))

#endif
