// x86-64 instruction lengths (64-bit mode), for the NOP-patch rule that a NOP region must end on
// an instruction boundary of the old function. Pure functions: no libc, no state, any host.
//
// The decoder knows the encoding, not the instruction set: legacy prefixes, REX, VEX (C4/C5),
// EVEX (62), XOP (8F with ModRM.reg != 0), the 0F, 0F38 and 0F3A maps, 3DNow! (0F 0F), ModRM,
// SIB, displacements and immediates (Intel SDM vol. 2, chapter 2 and appendix A). Opcodes that
// are invalid in 64-bit mode (06, 07, 0E, 16, 17, 1E, 1F, 27, 2F, 37, 3F, 60, 61, 82, 9A, C4/C5 as
// LES/LDS, CE, D4-D6, EA, and the undefined 0F xx) are reported as invalid; within the three
// opcode maps every defined and undefined opcode gets the length its map gives it.
// Near branches with a 66 prefix (66 E8/E9/0F 8x) take a rel32, as Intel CPUs decode them.
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace livepatch::x86_64 {

constexpr uint32_t kMaxInsnLength = 15;  // longer is #GP (Intel SDM vol. 2A, 2.3.11)

enum class InsnStatus : uint8_t {
    ok,
    truncated,  // the instruction continues past the bytes available
    invalid,    // an opcode invalid in 64-bit mode, a malformed VEX/EVEX/XOP, or over 15 bytes
};

struct InsnLength {
    InsnStatus status;
    uint8_t len;  // valid when status == ok: 1..15
};

// The length of the one instruction at code[0..avail). Reads no byte at or past `avail`.
InsnLength insn_length(const uint8_t* code, size_t avail) noexcept;

enum class BoundaryStatus : uint8_t {
    ok,           // an instruction ends exactly at `end`
    inside,       // the instruction at `at` (of `len` bytes) starts before `end` and ends after it
    undecodable,  // the bytes at `at` do not decode (`insn` says why) before `end` is reached
};

struct Boundary {
    BoundaryStatus status;
    InsnStatus insn;  // for undecodable
    uint32_t at;      // offset of the instruction that straddles `end` or does not decode
    uint32_t len;     // its length (inside only)
};

// Walks code[start..size) instruction by instruction and says whether an instruction ends at
// `end` (start <= end <= size; end == start is trivially ok).
Boundary check_boundary(const uint8_t* code, uint32_t size, uint32_t start, uint32_t end) noexcept;

}  // namespace livepatch::x86_64
