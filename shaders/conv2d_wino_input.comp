#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Winograd input transform (src/ops/conv2d.c): for tile p (MT x MT outputs of one image) and
// 8 channels, V[xi][p][c..c+7] = (B^T d B)[xi] of the alpha x alpha input patch d around the
// tile (zero outside the image, for padding channels and for padding tiles p >= tiles).
// The transform is vec4 arithmetic over 4 channels, done twice; V is written 8 floats at a
// time (wide stores: stores are most of this kernel's time). PANEL = 1 (V as the GEMM's left
// operand): V[xi][p / 16][c / 8][p % 16][c % 8], so the GEMM's 16 rows of one step along the
// reduction are one contiguous run (fewer cache misses: GEMM 27.5 -> 25.8 ms at 64ch 32x32);
// PANEL = 0 (the weight gradient's right operand): V[xi][p][c]. VEC = 4 (the input's rows
// and offset multiples of 4): input rows are read as vec4s. POOL = 1: the input is given at half
// resolution, (H/2) x (W/2), and the patch is read from its 2x2 average pooling's backward
// pass (each value / 4, repeated over its 2x2 window): avgpool2_backward fused in.
// STEM = C0 in 1..4 (VEC = 4, no POOL): the input is relu(conv3x3(x) + b) of a stem conv
// whose output is never stored (x: C0 channels of H x W, weights SW [cin][C0][3][3], bias
// SB); the patch is computed from x here.
#define HB_KERNEL_1D
#include "common.glsl"
#include "conv2d_wino.glsl"

layout(constant_id = 1) const uint VEC = 1;
layout(constant_id = 2) const uint POOL = 0;
layout(constant_id = 3) const uint PANEL = 0;
layout(constant_id = 4) const uint STEM = 0;
layout(constant_id = 5) const uint RELU_IN = 0; // the input read through a relu (not STEM)
const uint PANEL_ROWS = 16u; // WINO_GEMM_ROWS in conv2d.c

layout(binding = 0) uniform samplerBuffer In; // STEM: x
layout(std430, binding = 1) writeonly buffer Vb { HbF8 V[]; };
layout(binding = 2) uniform samplerBuffer SW;
layout(binding = 3) uniform samplerBuffer SB;

layout(push_constant) uniform PC {
    uint total;       // pp * kp / 8
    uint kp4, pp;     // vec4s per row of V (even); padded tile count (multiple of the GEMM block)
    uint tiles, tw, tpi; // real tiles, tiles per row, tiles per image
    uint cin, H, W, in_off, v_off4;
    uint sw_off, sb_off; // STEM
};

// STEM: rows 4ty-2 .. 4ty+5 and columns 4tx-2 .. 4tx+5 of x around tile (ty, tx) of image n,
// zero outside the image
void stem_input(uint n, uint ty, uint tx, bool real, out float xs[4][8][8]) {
    int w4 = int(W / 4u), t = int(tx);
    [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
        if (c0 >= STEM) break;
        int plane = int(in_off + (min(n, tiles / tpi - 1u) * STEM + c0) * H * W);
        [[unroll]] for (uint a = 0; a < 8u; a++) {
            int y = int(ty * MT) - 2 + int(a);
            bool row = real && y >= 0 && y < int(H);
            int r4 = (plane + clamp(y, 0, int(H) - 1) * int(W)) / 4;
            vec4 lft = texelFetch(In, r4 + max(t - 1, 0)), mid = texelFetch(In, r4 + t),
                 rgt = texelFetch(In, r4 + min(t + 1, w4 - 1));
            bool l = row && t > 0, r = row && t + 1 < w4;
            xs[c0][a][0] = l ? lft.z : 0.0;
            xs[c0][a][1] = l ? lft.w : 0.0;
            [[unroll]] for (uint b = 0; b < 4u; b++) xs[c0][a][2u + b] = row ? mid[b] : 0.0;
            xs[c0][a][6] = r ? rgt.x : 0.0;
            xs[c0][a][7] = r ? rgt.y : 0.0;
        }
    }
}

// STEM: d = the patch of relu(conv3x3(x) + b) for channels 4 c4 .. 4 c4 + 3 (zero outside
// the image and for padding channels)
void stem_patch(uint ty, uint tx, uint c4, float xs[4][8][8], out vec4 d[AL][AL]) {
    [[unroll]] for (uint j = 0; j < 4u; j++) {
        uint c = min(4u * c4 + j, cin - 1u);
        bool ch = 4u * c4 + j < cin;
        float bias = texelFetch(SB, int(sb_off + c)).x;
        float w[4][9];
        [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
            if (c0 >= STEM) break;
            [[unroll]] for (uint tap = 0; tap < 9u; tap++)
                w[c0][tap] = texelFetch(SW, int(sw_off + (c * STEM + c0) * 9u + tap)).x;
        }
        [[unroll]] for (uint a = 0; a < AL; a++)
            [[unroll]] for (uint b = 0; b < AL; b++) {
                int y = int(ty * MT) - 1 + int(a), x = int(tx * MT) - 1 + int(b);
                float s = bias;
                [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
                    if (c0 >= STEM) break;
                    [[unroll]] for (uint tap = 0; tap < 9u; tap++)
                        s += w[c0][tap] * xs[c0][a + tap / 3u][b + tap % 3u];
                }
                bool inside = ch && y >= 0 && y < int(H) && x >= 0 && x < int(W);
                d[a][b][j] = inside ? max(s, 0.0) : 0.0;
            }
    }
}

// d = the input patch of channels 4 c4 .. 4 c4 + 3 of tile p (image n, tile row ty, column
// tx), read from the input (not STEM)
void load_patch(uint p, uint n, uint ty, uint tx, uint c4, out vec4 d[AL][AL]) {
    bool real = p < tiles;
    int y0 = int(ty * MT) - 1, x0 = int(tx * MT) - 1;
    if (POOL != 0u) {
        // Patch rows 4ty-1 .. 4ty+4 are pooled rows 2ty-1 .. 2ty+2, patch row a of pooled
        // row (a+1)/2; the same for columns. H and W are even.
        uint H2 = H / 2u, W2 = W / 2u;
        int py0 = int(ty) * 2 - 1, px0 = int(tx) * 2 - 1;
        [[unroll]] for (uint j = 0; j < 4u; j++) {
            uint c = 4u * c4 + j;
            bool ch = real && c < cin;
            int plane = int(in_off + (min(n, tiles / tpi - 1u) * cin + min(c, cin - 1u)) * H2 * W2);
            float g[4][4];
            [[unroll]] for (uint pr = 0; pr < 4u; pr++) {
                int y = py0 + int(pr);
                bool row = ch && y >= 0 && y < int(H2);
                int rbase = plane + clamp(y, 0, int(H2) - 1) * int(W2);
                if (VEC == 4u) {
                    // columns 2tx-1 .. 2tx+2 lie in vec4 q and q+1, from element 1 or 3 of q
                    int q = (px0 + 4) / 4 - 1, w4 = int(W2 / 4u), r4 = rbase / 4;
                    vec4 lo = texelFetch(In, r4 + max(q, 0)), hi = texelFetch(In, r4 + min(q + 1, w4 - 1));
                    float e[8] = float[8](lo.x, lo.y, lo.z, lo.w, hi.x, hi.y, hi.z, hi.w);
                    bool from1 = px0 - 4 * q == 1;
                    [[unroll]] for (uint pc = 0; pc < 4u; pc++) {
                        int x = px0 + int(pc);
                        float v = from1 ? e[1u + pc] : e[3u + pc];
                        g[pr][pc] = row && x >= 0 && x < int(W2) ? 0.25 * v : 0.0;
                    }
                } else {
                    [[unroll]] for (uint pc = 0; pc < 4u; pc++) {
                        int x = px0 + int(pc);
                        float v = texelFetch(In, rbase + clamp(x, 0, int(W2) - 1)).x;
                        g[pr][pc] = row && x >= 0 && x < int(W2) ? 0.25 * v : 0.0;
                    }
                }
            }
            [[unroll]] for (uint a = 0; a < AL; a++)
                [[unroll]] for (uint b = 0; b < AL; b++) d[a][b][j] = g[(a + 1u) / 2u][(b + 1u) / 2u];
        }
    } else {
        [[unroll]] for (uint j = 0; j < 4u; j++) {
            uint c = 4u * c4 + j;
            bool ch = real && c < cin;
            // clamped so padding reads stay in range
            int plane = int(in_off + (min(n, tiles / tpi - 1u) * cin + min(c, cin - 1u)) * H * W);
            [[unroll]] for (uint a = 0; a < AL; a++) {
                int y = y0 + int(a);
                bool row = ch && y >= 0 && y < int(H);
                int rbase = plane + clamp(y, 0, int(H) - 1) * int(W);
                if (VEC == 4u) {
                    // W and the row start are multiples of 4: the patch row x0-1 .. x0+4 is the
                    // last element of vec4 tx-1, vec4 tx and the first element of vec4 tx+1
                    int r4 = rbase / 4, w4 = int(W / 4u), t = int(tx);
                    vec4 lft = texelFetch(In, r4 + max(t - 1, 0)), mid = texelFetch(In, r4 + t),
                         rgt = texelFetch(In, r4 + min(t + 1, w4 - 1));
                    d[a][0][j] = row && t > 0 ? lft.w : 0.0;
                    [[unroll]] for (uint b = 0; b < 4u; b++) d[a][1u + b][j] = row ? mid[b] : 0.0;
                    d[a][5][j] = row && t + 1 < w4 ? rgt.x : 0.0;
                } else {
                    [[unroll]] for (uint b = 0; b < AL; b++) {
                        int x = x0 + int(b);
                        float v = texelFetch(In, rbase + clamp(x, 0, int(W) - 1)).x;
                        d[a][b][j] = row && x >= 0 && x < int(W) ? v : 0.0;
                    }
                }
            }
        }
    }
    if (RELU_IN != 0u)
        [[unroll]] for (uint a = 0; a < AL; a++)
            [[unroll]] for (uint b = 0; b < AL; b++) d[a][b] = max(d[a][b], vec4(0));
}

// res = B^T d B
void transform_patch(vec4 d[AL][AL], out vec4 res[AL][AL]) {
    vec4 t[AL][AL]; // B^T d
    [[unroll]] for (uint i = 0; i < AL; i++)
        [[unroll]] for (uint b = 0; b < AL; b++) {
            vec4 s = vec4(0);
            [[unroll]] for (uint a = 0; a < AL; a++) s += wino_bt(i, a) * d[a][b];
            t[i][b] = s;
        }
    [[unroll]] for (uint i = 0; i < AL; i++)
        [[unroll]] for (uint j = 0; j < AL; j++) {
            vec4 s = vec4(0);
            [[unroll]] for (uint b = 0; b < AL; b++) s += t[i][b] * wino_bt(j, b);
            res[i][j] = s;
        }
}

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint kp8 = kp4 / 2u, p = idx / kp8, c8 = idx - p * kp8;
    uint n = p / tpi, r = p - n * tpi, ty = r / tw, tx = r - ty * tw;
    float xs[4][8][8]; // STEM: x around the tile, shared by both halves
    if (STEM != 0u) stem_input(n, ty, tx, p < tiles, xs);
    vec4 d[AL][AL], lo[AL][AL], hi[AL][AL];
    if (STEM != 0u) stem_patch(ty, tx, 2u * c8, xs, d);
    else load_patch(p, n, ty, tx, 2u * c8, d);
    transform_patch(d, lo);
    if (STEM != 0u) stem_patch(ty, tx, 2u * c8 + 1u, xs, d);
    else load_patch(p, n, ty, tx, 2u * c8 + 1u, d);
    transform_patch(d, hi);
    [[unroll]] for (uint i = 0; i < AL; i++)
        [[unroll]] for (uint j = 0; j < AL; j++)
            V[v_off4 / 2u + (PANEL != 0u ? (((i * AL + j) * pp + p - p % PANEL_ROWS) * kp8 +
                                             c8 * PANEL_ROWS + p % PANEL_ROWS)
                                          : ((i * AL + j) * pp + p) * kp8 + c8)] =
                hb_f8(lo[i][j], hi[i][j]);
}
