// The instruction set a payload is built for, taken from the target image's e_machine: which
// toolchain builds the payload, which relocations it may carry and what its records must meet.
//
//   x86-64   the host's gcc, g++, as, ld, objcopy; jump E9 rel32 (5 bytes, 9 after ENDBR64);
//            NOPs of 1 to 31 bytes ending on an instruction boundary
//   AArch64  aarch64-linux-gnu-gcc, -g++, -as, -ld, -objcopy (cross tools on another host); jump
//            one B imm26 over the first instruction (4 bytes); NOPs a multiple of 4 of at most 31
//            bytes (at most 7 NOP instructions); no ENDBR64
#pragma once

#include <stdint.h>

#include <optional>
#include <string>

namespace livepatch::build {

enum class TargetArch { kX86_64, kAArch64 };

// The architecture of ELF machine `machine` (EM_X86_64, EM_AARCH64), or nullopt.
std::optional<TargetArch> arch_of_machine(uint16_t machine);

// EM_X86_64 or EM_AARCH64.
uint16_t machine_of(TargetArch arch);

// "x86-64" or "AArch64", for messages and the summary.
const char* arch_name(TargetArch arch);

// The program `tool` ("gcc", "g++", "as", "ld", "objcopy") that builds for `arch` on this host:
// the plain name when `arch` is the host's own, else the cross tool "aarch64-linux-gnu-<tool>"
// (Debian's gcc-aarch64-linux-gnu, g++-aarch64-linux-gnu and binutils-aarch64-linux-gnu).
// The environment variable LIVEPATCH_BUILD_TOOL_PREFIX, when set, replaces that choice: the
// program is "<prefix><tool>" whatever the target (e.g. "aarch64-linux-gnu-" for an AArch64
// livepatch-build run under qemu-user on an x86-64 host, where the plain names are x86-64's).
std::string toolchain(TargetArch arch, const std::string& tool);

// The bytes the patch of a replaced function overwrites at its start, before any ENDBR64:
// 5 (x86-64 E9 rel32) or 4 (AArch64 B).
uint32_t jump_size(TargetArch arch);

}  // namespace livepatch::build
