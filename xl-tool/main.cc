// xen-livepatch: the dom0 livepatch control tool (see cli.h and docs/xen-livepatch.md).
#include "cli.h"

int main(int argc, char** argv) { return livepatch::tool::run_cli(argc, argv); }
