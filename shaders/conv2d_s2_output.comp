#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Output transform of the pooled convolution by phases (src/ops/conv2d.c, conv2d_wino_s2.glsl): tile
// p, 4 channels (vec4 lanes) per invocation, m read as vec4 over the channels.
// Forward: out (H/2 x W/2) = A^T m A + bias, 4x4 pooled outputs per tile, each row one
// 4-float store. SC_STEM = C0 in 1..4: a ResNet block's 1x1 shortcut of the stem's pooled
// input is added, out += SB[co] + sum_c SW[co][c] * avgpool2(x)[c] (x: C0 channels of H x W,
// through Mask), so the shortcut conv, its pooling and the residual add never run.
// BACKWARD: the input gradient (H x W): phase (ry, rx) of the 8x8 pixels of tile p is
// A^T m A of points 25 phase ..; each row one 8-float store, after the epilogue:
// [mask > 0] * value (HAS_MASK: a relu's backward pass; MASK_STEM = C0: the relu's input is
// the stem conv3x3(x) + b, computed here from x through Mask, weights SW, bias SB), + the old
// value (ACCUMULATE).
#define HB_KERNEL_1D
#include "common.glsl"
#include "conv2d_wino_s2.glsl"

layout(constant_id = 1) const uint BACKWARD = 0;
layout(constant_id = 2) const uint HAS_BIAS = 0;
layout(constant_id = 3) const uint SC_STEM = 0;
layout(constant_id = 4) const uint HAS_MASK = 0;
layout(constant_id = 5) const uint MASK_STEM = 0;
layout(constant_id = 6) const uint ACCUMULATE = 0;

layout(binding = 0) uniform samplerBuffer Mt;
layout(binding = 1) uniform samplerBuffer Bias;
layout(binding = 2) uniform samplerBuffer Old;
layout(std430, binding = 3) writeonly buffer Ob8 { HbF8 Out8[]; };
layout(std430, binding = 3) writeonly buffer Ob4 { HbF4 Out4[]; };
layout(binding = 4) uniform samplerBuffer Mask; // MASK_STEM, SC_STEM: x
layout(binding = 5) uniform samplerBuffer SW;
layout(binding = 6) uniform samplerBuffer SB;

layout(push_constant) uniform PC {
    uint total;        // tiles * c4n
    uint c4n, pp, np4; // vec4s of real channels; padded tiles; vec4s per row of M
    uint tw, tpi, cout, H, W; // the full-resolution size
    uint m_off4, b_off, old_off, out_off, mask_off, sw_off, sb_off;
};

void tile(uint point0, uint p, uint c4, vec4 bias, out vec4 y[S2_MT][S2_MT]) {
    vec4 m[S2_AL][S2_AL];
    [[unroll]] for (uint i = 0; i < S2_AL; i++)
        [[unroll]] for (uint j = 0; j < S2_AL; j++)
            m[i][j] = texelFetch(Mt, int(m_off4 + ((point0 + i * S2_AL + j) * pp + p) * np4 + c4));
    s2_transform_output(m, bias, y);
}

void forward_pass(uint p, uint c4, uint n, uint ty, uint tx) {
    uint H2 = H / 2u, W2 = W / 2u;
    vec4 bias = vec4(0);
    if (HAS_BIAS != 0u)
        [[unroll]] for (uint j = 0; j < 4u; j++)
            bias[j] = texelFetch(Bias, int(b_off + min(4u * c4 + j, cout - 1u))).x;
    vec4 y[S2_MT][S2_MT];
    tile(0u, p, c4, bias, y);
    vec4 xp[4][S2_MT]; // SC_STEM: avgpool2(x) of channel c0 along the tile's row i
    [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
        if (c0 >= SC_STEM) break;
        [[unroll]] for (uint i = 0; i < S2_MT; i++) {
            // the additions in the order of avgpool2's vec4 path (shaders/pool.comp)
            uint r4 = (mask_off + ((n * SC_STEM + c0) * H + 8u * ty + 2u * i) * W) / 4u + 2u * tx;
            vec4 s0 = texelFetch(Mask, int(r4)) + texelFetch(Mask, int(r4 + W / 4u));
            vec4 s1 = texelFetch(Mask, int(r4 + 1u)) + texelFetch(Mask, int(r4 + 1u + W / 4u));
            xp[c0][i] = 0.25 * vec4(s0.x + s0.y, s0.z + s0.w, s1.x + s1.y, s1.z + s1.w);
        }
    }
    [[unroll]] for (uint j = 0; j < 4u; j++) {
        uint co = 4u * c4 + j;
        if (co >= cout) break;
        float sb = 0.0, sw[4];
        if (SC_STEM != 0u) {
            sb = texelFetch(SB, int(sb_off + co)).x;
            [[unroll]] for (uint c0 = 0; c0 < 4u; c0++)
                if (c0 < SC_STEM) sw[c0] = texelFetch(SW, int(sw_off + co * SC_STEM + c0)).x;
        }
        [[unroll]] for (uint i = 0; i < S2_MT; i++) {
            vec4 row = vec4(y[i][0][j], y[i][1][j], y[i][2][j], y[i][3][j]);
            if (SC_STEM != 0u) {
                vec4 s = vec4(sb);
                [[unroll]] for (uint c0 = 0; c0 < 4u; c0++)
                    if (c0 < SC_STEM) s += sw[c0] * xp[c0][i];
                row += s;
            }
            uint o = ((n * cout + co) * H2 + 4u * ty + i) * W2 + 4u * tx;
            Out4[(out_off + o) / 4u] = hb_f4(row);
        }
    }
}

// MASK_STEM: x around the tile, rows 8ty-1 .. 8ty+8, columns 8tx-1 .. 8tx+8 (zero outside)
void stem_input(uint n, uint ty, uint tx, out float xs[4][10][10]) {
    [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
        if (c0 >= MASK_STEM) break;
        int plane = int(mask_off + (n * MASK_STEM + c0) * H * W);
        [[unroll]] for (uint q = 0; q < 10u; q++) {
            float e[16];
            s2_row16(Mask, plane, int(8u * ty + q) - 1, int(2u * tx) - 1, H, W, true, e);
            [[unroll]] for (uint s = 0; s < 10u; s++) xs[c0][q][s] = e[3u + s];
        }
    }
}

void backward_pass(uint p, uint c4, uint n, uint ty, uint tx) {
    vec4 y[4][S2_MT][S2_MT]; // per phase
    [[unroll]] for (uint ph = 0; ph < 4u; ph++) tile(ph * S2_AL * S2_AL, p, c4, vec4(0), y[ph]);
    float xs[4][10][10];
    if (MASK_STEM != 0u) stem_input(n, ty, tx, xs);
    [[unroll]] for (uint j = 0; j < 4u; j++) {
        uint co = 4u * c4 + j;
        if (co >= cout) break;
        float sw[4][9], sb = 0.0;
        if (MASK_STEM != 0u) {
            sb = texelFetch(SB, int(sb_off + co)).x;
            [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
                if (c0 >= MASK_STEM) break;
                [[unroll]] for (uint t = 0; t < 9u; t++)
                    sw[c0][t] = texelFetch(SW, int(sw_off + (co * MASK_STEM + c0) * 9u + t)).x;
            }
        }
        [[unroll]] for (uint rr = 0; rr < 8u; rr++) {
            uint ry = rr % 2u, i = rr / 2u;
            vec4 lo = vec4(y[2u * ry][i][0][j], y[2u * ry + 1u][i][0][j], y[2u * ry][i][1][j],
                           y[2u * ry + 1u][i][1][j]);
            vec4 hi = vec4(y[2u * ry][i][2][j], y[2u * ry + 1u][i][2][j], y[2u * ry][i][3][j],
                           y[2u * ry + 1u][i][3][j]);
            uint o = ((n * cout + co) * H + 8u * ty + rr) * W + 8u * tx;
            if (MASK_STEM != 0u) {
                float s[8];
                [[unroll]] for (uint x = 0; x < 8u; x++) {
                    s[x] = sb;
                    [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
                        if (c0 >= MASK_STEM) break;
                        [[unroll]] for (uint t = 0; t < 9u; t++)
                            s[x] += sw[c0][t] * xs[c0][rr + t / 3u][x + t % 3u];
                    }
                }
                lo *= vec4(greaterThan(vec4(s[0], s[1], s[2], s[3]), vec4(0)));
                hi *= vec4(greaterThan(vec4(s[4], s[5], s[6], s[7]), vec4(0)));
            } else if (HAS_MASK != 0u) {
                int m4 = int((mask_off + o) / 4u);
                lo = mix(vec4(0), lo, greaterThan(texelFetch(Mask, m4), vec4(0)));
                hi = mix(vec4(0), hi, greaterThan(texelFetch(Mask, m4 + 1), vec4(0)));
            }
            if (ACCUMULATE != 0u) {
                lo += texelFetch(Old, int((old_off + o) / 4u));
                hi += texelFetch(Old, int((old_off + o) / 4u + 1u));
            }
            Out8[(out_off + o) / 8u] = hb_f8(lo, hi);
        }
    }
}

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint p = idx / c4n, c4 = idx - p * c4n;
    uint n = p / tpi, r = p - n * tpi, ty = r / tw, tx = r - ty * tw;
    if (BACKWARD != 0u) backward_pass(p, c4, n, ty, tx);
    else forward_pass(p, c4, n, ty, tx);
}
