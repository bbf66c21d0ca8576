#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Winograd weight gradient, the output gradient's transform (src/ops/conv2d.c): for output
// channel co and 4 consecutive tiles p, Q[xi][co][p] = (A g A^T)[xi] of the tile's MT x MT
// output gradient g (A = AT4 transposed; zero outside the image, for padding channels and
// padding tiles). Tiles run along Q's rows, so the GEMM reads Q as its left operand:
// R[xi][co][ci] = sum over p of Q[xi][co][p] V[xi][p][ci], V the input transform. The four
// tiles are the vec4 components, so each of the 36 results is one vec4 store (4 scalar stores
// each took 2x as long). VEC = 4 (W and the offset multiples of 4): each tile row is one vec4.
#define HB_KERNEL_1D
#include "common.glsl"
#include "conv2d_wino.glsl"
layout(constant_id = 1) const uint VEC = 1;

layout(binding = 0) uniform samplerBuffer Gout;
layout(std430, binding = 1) writeonly buffer Qb { vec4 Q[]; };

layout(push_constant) uniform PC {
    uint total;          // cop * pp / 4
    uint pp4, cop;       // vec4s of padded tiles; padded output channels
    uint tiles, tw, tpi; // real tiles, tiles per row, tiles per image
    uint cout, H, W, g_off, q_off4;
};

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint co = idx / pp4, p4 = idx - co * pp4; // tiles fastest: neighbouring lanes, neighbouring vec4s
    bool ch = co < cout;
    vec4 g[MT][MT]; // tiles in the components
    [[unroll]] for (uint q = 0; q < 4u; q++) {
        uint p = 4u * p4 + q;
        uint n = p / tpi, r = p - n * tpi, ty = r / tw, tx = r - ty * tw;
        bool real = ch && p < tiles;
        // clamped so padding reads stay in range
        uint plane = g_off + (min(n, tiles / tpi - 1u) * cout + min(co, cout - 1u)) * H * W;
        [[unroll]] for (uint i = 0; i < MT; i++) {
            uint y = ty * MT + i;
            bool row = real && y < H;
            uint rbase = plane + min(y, H - 1u) * W;
            if (VEC == 4u) { // W a multiple of 4: the tile row is vec4 tx of the image row
                vec4 v = texelFetch(Gout, int(rbase / 4u + tx));
                [[unroll]] for (uint b = 0; b < MT; b++) g[i][b][q] = row ? v[b] : 0.0;
            } else {
                [[unroll]] for (uint b = 0; b < MT; b++) {
                    uint x = tx * MT + b;
                    float v = texelFetch(Gout, int(rbase + min(x, W - 1u))).x;
                    g[i][b][q] = row && x < W ? v : 0.0;
                }
            }
        }
    }
    vec4 t[AL][MT]; // A g
    [[unroll]] for (uint a = 0; a < AL; a++)
        [[unroll]] for (uint b = 0; b < MT; b++) {
            vec4 s = vec4(0);
            [[unroll]] for (uint i = 0; i < MT; i++) s += wino_at(i, a) * g[i][b];
            t[a][b] = s;
        }
    [[unroll]] for (uint a = 0; a < AL; a++)
        [[unroll]] for (uint b = 0; b < AL; b++) {
            vec4 s = vec4(0);
            [[unroll]] for (uint i = 0; i < MT; i++) s += t[a][i] * wino_at(i, b);
            Q[q_off4 + ((a * AL + b) * cop + co) * pp4 + p4] = s;
        }
}
