#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Winograd output transform (src/ops/conv2d.c): for tile p and 4 output channels,
// out = [mask > 0] * (A^T m A (+ bias)) (+ the old value when ACCUMULATE; the mask, a relu's
// input, when HAS_MASK: that relu's backward pass fused in), or max(A^T m A + bias, 0) when
// RELU_OUT (a forward pass into a relu), m the alpha x alpha GEMM
// results of the tile, read as vec4 over the channels. VEC = 4 (W and offsets multiples
// of 4): each tile row is one vec4 store. POOL = 1: the output is the 2x2 average pooling of
// that (before mask and accumulation), (H/2) x (W/2); H and W even, no RELU_OUT; with VEC = 2
// (W/2 and the output's offset even) each pooled row's two values are one store.
// PAIR = 1 (VEC 4, or POOL with VEC 2; rows of an even number of tiles, W and the output's
// offset multiples of 8): tiles p and p + 1, horizontal neighbours, in one invocation, so
// each row is stored 8 (pooled: 4) floats at a time. Stores are wide (common.glsl) and are
// half of this kernel's time.
// MASK_STEM = C0 in 1..4 (with HAS_MASK and VEC = 4): the relu's input is the stem conv
// conv3x3(x) + b, never stored; the mask is computed here from x (Mask: C0 channels of H x W),
// the weights SW [cout][C0][3][3] and the bias SB.
// SC_STEM = C0 in 1..4 (with POOL, after a stem's input transform): the block's 1x1 shortcut
// of the stem's pooled input is added, out += SB[co] + sum_c SW[co][c] * avgpool2(x)[c], x
// (C0 channels of H x W, rows vec4-aligned) read as vec4s through Mask: the shortcut conv,
// its input pooling and the residual add never run.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint VEC = 1;
layout(constant_id = 2) const uint POOL = 0;
// What the epilogue does, fixed per pipeline: lavapipe runs both sides of every branch (with
// masks), so a flag read at run time would cost its texel fetches even when off.
layout(constant_id = 3) const uint HAS_BIAS = 0;
layout(constant_id = 4) const uint ACCUMULATE = 0;
layout(constant_id = 5) const uint HAS_MASK = 0;
layout(constant_id = 6) const uint RELU_OUT = 0;
layout(constant_id = 7) const uint PAIR = 0;
layout(constant_id = 8) const uint MASK_STEM = 0;
layout(constant_id = 9) const uint SC_STEM = 0;
#include "conv2d_wino.glsl"

layout(binding = 0) uniform samplerBuffer Mt;
layout(binding = 1) uniform samplerBuffer Bias;
layout(binding = 2) uniform samplerBuffer Old;
layout(binding = 4) uniform samplerBuffer Mask; // MASK_STEM, SC_STEM: x
layout(binding = 5) uniform samplerBuffer SW;
layout(binding = 6) uniform samplerBuffer SB;
layout(std430, binding = 3) writeonly buffer Ob8 { HbF8 Out8[]; };
layout(std430, binding = 3) writeonly buffer Ob4 { HbF4 Out4[]; };
layout(std430, binding = 3) writeonly buffer Ob2 { HbF2 Out2[]; };
layout(std430, binding = 3) writeonly buffer Ob1 { float Out1[]; };

layout(push_constant) uniform PC {
    uint total;           // tiles * c4n, halved with PAIR
    uint c4n, pp, np4;    // vec4s of real channels; padded tiles; vec4s per row of M
    uint tw, tpi, cout, H, W;
    uint m_off4, b_off, old_off, out_off; // old value (texel view), output (storage window)
    uint mask_off;
    uint sw_off, sb_off; // MASK_STEM, SC_STEM
};

// MASK_STEM: rows 4ty-1 .. 4ty+4 and columns 4tx-1 .. 4tx+4 of x around tile (ty, tx) of
// image n (zero outside)
void stem_input(uint n, uint ty, uint tx, out float xs[4][AL][AL]) {
    int w4 = int(W / 4u), t = int(tx);
    [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
        if (c0 >= MASK_STEM) break;
        int plane = int(mask_off + (n * MASK_STEM + c0) * H * W);
        [[unroll]] for (uint a = 0; a < AL; a++) {
            int y = int(ty * MT) - 1 + int(a);
            bool row = y >= 0 && y < int(H);
            int r4 = (plane + clamp(y, 0, int(H) - 1) * int(W)) / 4;
            vec4 lft = texelFetch(Mask, r4 + max(t - 1, 0)), mid = texelFetch(Mask, r4 + t),
                 rgt = texelFetch(Mask, r4 + min(t + 1, w4 - 1));
            xs[c0][a][0] = row && t > 0 ? lft.w : 0.0;
            [[unroll]] for (uint b = 0; b < 4u; b++) xs[c0][a][1u + b] = row ? mid[b] : 0.0;
            xs[c0][a][5] = row && t + 1 < w4 ? rgt.x : 0.0;
        }
    }
}

// MASK_STEM: [conv3x3(x) + b > 0] along row i of the tile, channel co
vec4 stem_mask(float xs[4][AL][AL], uint co, uint i) {
    vec4 s = vec4(texelFetch(SB, int(sb_off + co)).x);
    [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
        if (c0 >= MASK_STEM) break;
        [[unroll]] for (uint tap = 0; tap < 9u; tap++) {
            float w = texelFetch(SW, int(sw_off + (co * MASK_STEM + c0) * 9u + tap)).x;
            [[unroll]] for (uint x = 0; x < MT; x++)
                s[x] += w * xs[c0][i + tap / 3u][x + tap % 3u];
        }
    }
    return vec4(greaterThan(s, vec4(0)));
}

// y = A^T m A (+ bias) of tile p, channels 4 c4 .. 4 c4 + 3 in the components
void tile_values(uint p, uint c4, vec4 bias, out vec4 y[MT][MT]) {
    vec4 m[AL][AL];
    [[unroll]] for (uint i = 0; i < AL; i++)
        [[unroll]] for (uint j = 0; j < AL; j++)
            m[i][j] = texelFetch(Mt, int(m_off4 + ((i * AL + j) * pp + p) * np4 + c4));
    vec4 t[MT][AL]; // A^T m
    [[unroll]] for (uint i = 0; i < MT; i++)
        [[unroll]] for (uint b = 0; b < AL; b++) {
            vec4 s = vec4(0);
            [[unroll]] for (uint a = 0; a < AL; a++) s += wino_at(i, a) * m[a][b];
            t[i][b] = s;
        }
    [[unroll]] for (uint i = 0; i < MT; i++)
        [[unroll]] for (uint j = 0; j < MT; j++) {
            vec4 s = bias;
            [[unroll]] for (uint b = 0; b < AL; b++) s += t[i][b] * wino_at(j, b);
            y[i][j] = s;
        }
}

// The epilogue of 4 consecutive outputs at element o (VEC paths; o a multiple of 4);
// stem_m: the mask under MASK_STEM
vec4 finish4(vec4 v, uint o, vec4 stem_m) {
    if (RELU_OUT != 0u) v = max(v, vec4(0));
    if (HAS_MASK != 0u && MASK_STEM != 0u) v *= stem_m;
    else if (HAS_MASK != 0u)
        v = mix(vec4(0), v, greaterThan(texelFetch(Mask, int((mask_off + o) / 4u)), vec4(0)));
    if (ACCUMULATE != 0u) v += texelFetch(Old, int((old_off + o) / 4u));
    return v;
}
float finish1(float v, uint o) {
    if (RELU_OUT != 0u) v = max(v, 0.0);
    if (HAS_MASK != 0u && !(texelFetch(Mask, int(mask_off + o)).x > 0.0)) v = 0.0;
    if (ACCUMULATE != 0u) v += texelFetch(Old, int(old_off + o)).x;
    return v;
}

// SC_STEM: avgpool2(x) of channel c0 at pooled rows 2ty, 2ty + 1 (i) of image n, the tile's two
// pooled columns (and the next tile's with PAIR: components z, w); the additions in the order
// of avgpool2's vec4 path (shaders/pool.comp)
void pooled_x(uint n, uint ty, uint tx, out vec4 xp[4][MT / 2u]) {
    [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
        if (c0 >= SC_STEM) break;
        [[unroll]] for (uint i = 0; i < MT / 2u; i++) {
            uint row = min(ty * MT + 2u * i, H - 2u); // rows past the image (H % 4 == 2): unused
            uint r4 = (mask_off + ((n * SC_STEM + c0) * H + row) * W) / 4u + tx;
            vec4 s0 = texelFetch(Mask, int(r4)) + texelFetch(Mask, int(r4 + W / 4u)), s1 = vec4(0);
            if (PAIR != 0u) s1 = texelFetch(Mask, int(r4 + 1u)) + texelFetch(Mask, int(r4 + 1u + W / 4u));
            xp[c0][i] = 0.25 * vec4(s0.x + s0.y, s0.z + s0.w, s1.x + s1.y, s1.z + s1.w);
        }
    }
}

// pooled value (x, i) of channel j
float pooled(vec4 y[MT][MT], uint i, uint x, uint j) {
    return 0.25 * (y[2u * i][2u * x][j] + y[2u * i][2u * x + 1u][j] + y[2u * i + 1u][2u * x][j] +
                   y[2u * i + 1u][2u * x + 1u][j]);
}

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint q = idx / c4n, c4 = idx - q * c4n, p = PAIR != 0u ? 2u * q : q;
    uint n = p / tpi, r = p - n * tpi, ty = r / tw, tx = r - ty * tw;
    vec4 bias = vec4(0);
    if (HAS_BIAS != 0u)
        [[unroll]] for (uint j = 0; j < 4u; j++)
            bias[j] = texelFetch(Bias, int(b_off + min(4u * c4 + j, cout - 1u))).x;
    vec4 y[MT][MT], y1[MT][MT]; // y1: tile p + 1 (PAIR)
    tile_values(p, c4, bias, y);
    if (PAIR != 0u) tile_values(p + 1u, c4, bias, y1);
    if (POOL != 0u) {
        uint H2 = H / 2u, W2 = W / 2u;
        vec4 xp[4][MT / 2u];
        if (SC_STEM != 0u) pooled_x(n, ty, tx, xp);
        [[unroll]] for (uint j = 0; j < 4u; j++) {
            uint co = 4u * c4 + j;
            if (co >= cout) break;
            float sb = 0.0, sw[4];
            if (SC_STEM != 0u) {
                sb = texelFetch(SB, int(sb_off + co)).x;
                [[unroll]] for (uint c0 = 0; c0 < 4u; c0++)
                    if (c0 < SC_STEM) sw[c0] = texelFetch(SW, int(sw_off + co * SC_STEM + c0)).x;
            }
            [[unroll]] for (uint i = 0; i < MT / 2u; i++) {
                uint yy = ty * (MT / 2u) + i;
                if (yy >= H2) break;
                uint o0 = ((n * cout + co) * H2 + yy) * W2 + tx * (MT / 2u);
                vec4 row; // PAIR: both tiles' two values; else .xy
                [[unroll]] for (uint x = 0; x < MT / 2u; x++) {
                    uint xx = tx * (MT / 2u) + x;
                    if (PAIR == 0u && xx >= W2) break;
                    row[x] = finish1(pooled(y, i, x, j), o0 + x);
                    if (PAIR != 0u) row[2u + x] = finish1(pooled(y1, i, x, j), o0 + 2u + x);
                    if (SC_STEM != 0u) {
                        [[unroll]] for (uint h = 0; h < 2u; h++) {
                            if (h == 1u && PAIR == 0u) break;
                            float s = sb;
                            [[unroll]] for (uint c0 = 0; c0 < 4u; c0++)
                                if (c0 < SC_STEM) s += sw[c0] * xp[c0][i][2u * h + x];
                            row[2u * h + x] += s;
                        }
                    }
                    if (VEC != 2u) Out1[out_off + o0 + x] = row[x];
                }
                if (PAIR != 0u) Out4[(out_off + o0) / 4u] = hb_f4(row);
                else if (VEC == 2u) Out2[(out_off + o0) / 2u] = hb_f2(row.xy);
            }
        }
        return;
    }
    uint x0 = tx * MT;
    float xs[4][AL][AL], xs1[4][AL][AL]; // MASK_STEM: x around the tile(s)
    if (MASK_STEM != 0u) {
        stem_input(n, ty, tx, xs);
        if (PAIR != 0u) stem_input(n, ty, tx + 1u, xs1);
    }
    [[unroll]] for (uint j = 0; j < 4u; j++) {
        uint co = 4u * c4 + j;
        if (co >= cout) break;
        [[unroll]] for (uint i = 0; i < MT; i++) {
            uint yy = ty * MT + i;
            if (yy >= H) break;
            uint o = ((n * cout + co) * H + yy) * W + x0;
            if (VEC == 4u) {
                vec4 m = MASK_STEM != 0u ? stem_mask(xs, co, i) : vec4(1);
                vec4 v = finish4(vec4(y[i][0][j], y[i][1][j], y[i][2][j], y[i][3][j]), o, m);
                if (PAIR != 0u) {
                    vec4 m1 = MASK_STEM != 0u ? stem_mask(xs1, co, i) : vec4(1);
                    vec4 v1 = finish4(vec4(y1[i][0][j], y1[i][1][j], y1[i][2][j], y1[i][3][j]),
                                      o + MT, m1);
                    Out8[(out_off + o) / 8u] = hb_f8(v, v1);
                } else {
                    Out4[(out_off + o) / 4u] = hb_f4(v);
                }
            } else {
                [[unroll]] for (uint x = 0; x < MT; x++) {
                    if (x0 + x >= W) break;
                    Out1[out_off + o + x] = finish1(y[i][x][j], o + x);
                }
            }
        }
    }
}
