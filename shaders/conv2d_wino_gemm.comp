#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// The Winograd convolution's batched GEMM (src/ops/conv2d.c): for each of the alpha^2
// transform points xi, M[xi][p][n] = sum over k of V[xi][p][k] * U[xi][k][n]. The pattern
// lavapipe runs fastest (../shared/reference/lavapipe-notes.md): both operands read as vec4
// through texel buffers, V along k and U along n, and a block of ROWS x 4*COLS4 outputs per
// invocation. Each texel fetch is a function call there (~50 instructions) while the
// products are cheap, so the block is as large as pays: 16x16 took 20-33% less time than the
// notes' 8x8 (64 and 256 channels; 32x32 blocks no better). Every dimension is padded (p to
// ROWS, k to 4, n to 4*COLS4; src/ops/conv2d.c), so there are no edge cases. M is written
// 8 floats at a time (wide stores, common.glsl); m_off4 is even.
#define HB_KERNEL_1D
#include "common.glsl"

const uint ROWS = 16u, COLS4 = 4u; // WINO_GEMM_ROWS, WINO_GEMM_COLS / 4 in conv2d.c
// A_PANEL = 1: V in the input transform's panel layout [xi][p / ROWS][k / 8][p % ROWS][k % 8]
// (shaders/conv2d_wino_input.comp), else V[xi][p][k]
layout(constant_id = 1) const uint A_PANEL = 0;

layout(binding = 0) uniform samplerBuffer Vt;
layout(binding = 1) uniform samplerBuffer Ut;
layout(std430, binding = 2) writeonly buffer Mb { HbF8 M[]; }; // 2 vec4s per element

layout(push_constant) uniform PC {
    uint total;          // points * pblocks * nblocks
    uint nblocks, pblocks;
    uint pp, kp4, np4;   // padded tiles; vec4s per row of V and of U (and M)
    uint v_off4, u_off4, m_off4;
};

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    // n block fastest: neighbouring lanes share the rows of V
    uint t = idx / nblocks, nb = idx - t * nblocks;
    uint xi = t / pblocks, p0 = (t - xi * pblocks) * ROWS, n4 = nb * COLS4;
    uint arow = v_off4 + (xi * pp + p0) * kp4;
    uint bcol = u_off4 + xi * kp4 * 4u * np4 + n4;
    vec4 acc[ROWS][COLS4];
    [[unroll]] for (uint i = 0; i < ROWS; i++)
        [[unroll]] for (uint j = 0; j < COLS4; j++) acc[i][j] = vec4(0);
    for (uint k4 = 0; k4 < kp4; k4++) {
        vec4 b[4][COLS4];
        [[unroll]] for (uint kk = 0; kk < 4u; kk++)
            [[unroll]] for (uint j = 0; j < COLS4; j++)
                b[kk][j] = texelFetch(Ut, int(bcol + (4u * k4 + kk) * np4 + j));
        [[unroll]] for (uint i = 0; i < ROWS; i++) {
            vec4 a = texelFetch(Vt, int(A_PANEL != 0u ? arow + ((k4 / 2u) * ROWS + i) * 2u + k4 % 2u
                                                       : arow + i * kp4 + k4));
            [[unroll]] for (uint j = 0; j < COLS4; j++)
                acc[i][j] += a.x * b[0][j] + a.y * b[1][j] + a.z * b[2][j] + a.w * b[3][j];
        }
    }
    [[unroll]] for (uint i = 0; i < ROWS; i++)
        [[unroll]] for (uint j = 0; j < COLS4; j += 2u)
            M[(m_off4 + (xi * pp + p0 + i) * np4 + n4 + j) / 2u] = hb_f8(acc[i][j], acc[i][j + 1u]);
}
