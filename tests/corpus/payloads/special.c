/* special: the base patch plus a function (never called) carrying one entry of each special
 * section Xen 4.17 handles at upload: .altinstructions with .altinstr_replacement (feature LM,
 * which every x86-64 CPU has, so Xen rewrites the 5-byte NOP with the 5-byte replacement),
 * .ex_table (two entries, out of order, which Xen sorts) and .bug_frames.0 (one run_fn frame). */
#include <livepatch/payload.h>

const char *xen_extra_version(void) { return "-corpus-special"; }
LIVEPATCH_REPLACE(xen_extra_version);

void corpus_special(void);
void corpus_special(void)
{
    __asm__ volatile(
        "1: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
        "2:\n"
        "3: nop\n"
        "4: nop\n"
        "5: ud2\n"
        ".pushsection .altinstr_replacement, \"ax\", @progbits\n"
        "6: .byte 0x0f, 0x1f, 0x44, 0x00, 0x00\n"
        "7:\n"
        ".popsection\n"
        ".pushsection .altinstructions, \"a\", @progbits\n"
        ".long 1b - .\n"
        ".long 6b - .\n"
        ".word 93\n"
        ".byte 2b - 1b\n"
        ".byte 7b - 6b\n"
        ".byte 0\n"
        ".byte 0\n"
        ".popsection\n"
        ".pushsection .ex_table, \"a\", @progbits\n"
        ".long 4b - ., 2b - .\n"
        ".long 3b - ., 2b - .\n"
        ".popsection\n"
        ".pushsection .bug_frames.0, \"a\", @progbits\n"
        ".long 5b - .\n"
        ".long corpus_special - .\n"
        ".popsection\n");
}
