#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Input transform of the pooled convolution by phases (src/ops/conv2d.c, conv2d_wino_s2.glsl). Tile p
// is 4x4 pooled outputs (8x8 input pixels) of one image; V is written in the GEMM's panels,
// V[point][p / 16][k / 8][p % 16][k % 8], 8 floats at a time, zero for padding tiles and
// channels. Rows are read as vec4s (W a multiple of 8, offsets of 4).
// Forward: k = 4 c + phase, one invocation per tile and 2 input channels. The 10x10 input
// patch around the tile (rows 8ty-1 .. 8ty+8) holds the four phases' 5x5 patches:
// d[a][b] of phase (ry, rx) = in[8ty - ry + 2a][8tx - rx + 2b]. STEM = C0 in 1..4: the input
// is relu(conv3x3(x) + b) of a stem conv computed here from x (C0 channels of H x W, weights SW
// [cin][C0][3][3], bias SB), never stored.
// BACKWARD: the pooled output's gradient (H/2 x W/2), k = its channel, 8 per invocation (two
// vec4 halves); phase (ry, rx) reads the 5x5 patch at rows 4ty - 1 + ry, columns 4tx - 1 + rx,
// written to points 25 phase + xi.
#define HB_KERNEL_1D
#include "common.glsl"
#include "conv2d_wino_s2.glsl"

layout(constant_id = 1) const uint BACKWARD = 0;
layout(constant_id = 2) const uint STEM = 0;
const uint PANEL_ROWS = 16u; // WINO_GEMM_ROWS in conv2d.c

layout(binding = 0) uniform samplerBuffer In; // STEM: x
layout(std430, binding = 1) writeonly buffer Vb { HbF8 V[]; };
layout(binding = 2) uniform samplerBuffer SW;
layout(binding = 3) uniform samplerBuffer SB;

layout(push_constant) uniform PC {
    uint total;          // pp * kp / 8
    uint kp8, pp;        // 8-float groups per row of V; padded tile count
    uint tiles, tw, tpi; // real tiles, tiles per row, tiles per image
    uint cin, H, W;      // channels and size of the input (BACKWARD: of the gradient, H/2 x W/2)
    uint in_off, v_off8, sw_off, sb_off;
};

// s2_row16 of the input
void row16(int plane, int y, int q, bool ok, out float e[16]) {
    s2_row16(In, plane, y, q, H, W, ok, e);
}

// Forward: the 10x10 patch of channel c around tile (ty, tx) of image n
void load_region(uint n, uint ty, uint tx, uint c, bool real, out float r[10][10]) {
    bool ch = real && c < cin;
    int plane = int(in_off + (n * cin + min(c, cin - 1u)) * H * W);
    [[unroll]] for (uint q = 0; q < 10u; q++) {
        float e[16];
        row16(plane, int(ty * 8u + q) - 1, int(2u * tx) - 1, ch, e);
        [[unroll]] for (uint s = 0; s < 10u; s++) r[q][s] = e[3u + s];
    }
}

// Forward, STEM: x around the tile, rows 8ty-2 .. 8ty+9, columns 8tx-2 .. 8tx+9
void stem_input(uint n, uint ty, uint tx, bool real, out float xs[4][12][12]) {
    [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
        if (c0 >= STEM) break;
        int plane = int(in_off + (n * STEM + c0) * H * W);
        [[unroll]] for (uint q = 0; q < 12u; q++) {
            float e[16];
            row16(plane, int(ty * 8u + q) - 2, int(2u * tx) - 1, real, e);
            [[unroll]] for (uint s = 0; s < 12u; s++) xs[c0][q][s] = e[2u + s];
        }
    }
}

// Forward, STEM: the 10x10 patch of relu(conv3x3(x) + b) for channel c (zero outside the
// image, for padding channels and padding tiles)
void stem_region(uint ty, uint tx, uint c, bool real, float xs[4][12][12], out float r[10][10]) {
    bool ch = real && c < cin;
    uint cc = min(c, cin - 1u);
    float bias = texelFetch(SB, int(sb_off + cc)).x, w[4][9];
    [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
        if (c0 >= STEM) break;
        [[unroll]] for (uint tap = 0; tap < 9u; tap++)
            w[c0][tap] = texelFetch(SW, int(sw_off + (cc * STEM + c0) * 9u + tap)).x;
    }
    [[unroll]] for (uint q = 0; q < 10u; q++)
        [[unroll]] for (uint s = 0; s < 10u; s++) {
            int y = int(ty * 8u + q) - 1, x = int(tx * 8u + s) - 1;
            float v = bias;
            [[unroll]] for (uint c0 = 0; c0 < 4u; c0++) {
                if (c0 >= STEM) break;
                [[unroll]] for (uint tap = 0; tap < 9u; tap++)
                    v += w[c0][tap] * xs[c0][q + tap / 3u][s + tap % 3u];
            }
            bool inside = ch && y >= 0 && y < int(H) && x >= 0 && x < int(W);
            r[q][s] = inside ? max(v, 0.0) : 0.0;
        }
}

uint v_index(uint point, uint p, uint c8) {
    return v_off8 + ((point * pp + p - p % PANEL_ROWS) * kp8 + c8 * PANEL_ROWS + p % PANEL_ROWS);
}

void forward_pass(uint p, uint c8, uint n, uint ty, uint tx) {
    bool real = p < tiles;
    float xs[4][12][12];
    if (STEM != 0u) stem_input(n, ty, tx, real, xs);
    vec4 res[2][S2_AL][S2_AL];
    [[unroll]] for (uint h = 0; h < 2u; h++) {
        float r[10][10];
        if (STEM != 0u) stem_region(ty, tx, 2u * c8 + h, real, xs, r);
        else load_region(n, ty, tx, 2u * c8 + h, real, r);
        vec4 d[S2_AL][S2_AL]; // the four phases in the components
        [[unroll]] for (uint a = 0; a < S2_AL; a++)
            [[unroll]] for (uint b = 0; b < S2_AL; b++)
                d[a][b] = vec4(r[1u + 2u * a][1u + 2u * b], r[1u + 2u * a][2u * b],
                               r[2u * a][1u + 2u * b], r[2u * a][2u * b]);
        s2_transform_input(d, res[h]);
    }
    [[unroll]] for (uint i = 0; i < S2_AL; i++)
        [[unroll]] for (uint j = 0; j < S2_AL; j++)
            V[v_index(i * S2_AL + j, p, c8)] = hb_f8(res[0][i][j], res[1][i][j]);
}

void backward_pass(uint p, uint c8, uint n, uint ty, uint tx) {
    bool real = p < tiles;
    vec4 r[2][6][6]; // rows 4ty-1 .. 4ty+4, columns 4tx-1 .. 4tx+4; channels in the components
    [[unroll]] for (uint h = 0; h < 2u; h++)
        [[unroll]] for (uint l = 0; l < 4u; l++) {
            uint c = 8u * c8 + 4u * h + l;
            int plane = int(in_off + (n * cin + min(c, cin - 1u)) * H * W);
            [[unroll]] for (uint q = 0; q < 6u; q++) {
                float e[16];
                row16(plane, int(ty * 4u + q) - 1, int(tx) - 1, real && c < cin, e);
                [[unroll]] for (uint s = 0; s < 6u; s++) r[h][q][s][l] = e[3u + s];
            }
        }
    [[unroll]] for (uint ph = 0; ph < 4u; ph++) {
        uint ry = ph / 2u, rx = ph % 2u;
        vec4 res[2][S2_AL][S2_AL];
        [[unroll]] for (uint h = 0; h < 2u; h++) {
            vec4 d[S2_AL][S2_AL];
            [[unroll]] for (uint a = 0; a < S2_AL; a++)
                [[unroll]] for (uint b = 0; b < S2_AL; b++) d[a][b] = r[h][ry + a][rx + b];
            s2_transform_input(d, res[h]);
        }
        [[unroll]] for (uint i = 0; i < S2_AL; i++)
            [[unroll]] for (uint j = 0; j < S2_AL; j++)
                V[v_index(ph * S2_AL * S2_AL + i * S2_AL + j, p, c8)] =
                    hb_f8(res[0][i][j], res[1][i][j]);
    }
}

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint p = idx / kp8, c8 = idx - p * kp8;
    uint pr = min(p, tiles - 1u); // padding tiles read the last real one, written as zeros
    uint n = pr / tpi, r = pr - n * tpi, ty = r / tw, tx = r - ty * tw;
    if (BACKWARD != 0u) backward_pass(p, c8, n, ty, tx);
    else forward_pass(p, c8, n, ty, tx);
}
