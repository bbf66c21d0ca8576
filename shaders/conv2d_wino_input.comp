#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Winograd input transform (src/ops/conv2d.c): for tile p (MT x MT outputs of one image) and
// 4 channels, V[xi][p][c..c+3] = (B^T d B)[xi] of the alpha x alpha input patch d around the
// tile (zero outside the image, for padding channels and for padding tiles p >= tiles).
// Four channels at a time so the transform is vec4 arithmetic and V is written as vec4s,
// the layout the GEMM reads along its reduction.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint MT = 4;
#include "wino.glsl"

layout(binding = 0) uniform samplerBuffer In;
layout(binding = 1) uniform writeonly imageBuffer V;

layout(push_constant) uniform PC {
    uint total;       // pp * kp / 4
    uint kp4, pp;     // vec4s per row of V; padded tile count (multiple of 8)
    uint tiles, tw, tpi; // real tiles, tiles per row, tiles per image
    uint cin, H, W, in_off, v_off4;
};

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    uint p = idx / kp4, c4 = idx - p * kp4;
    uint n = p / tpi, r = p - n * tpi, ty = r / tw, tx = r - ty * tw;
    bool real = p < tiles;
    int y0 = int(ty * MT) - 1, x0 = int(tx * MT) - 1;
    vec4 d[AL][AL];
    [[unroll]] for (uint j = 0; j < 4u; j++) {
        uint c = 4u * c4 + j;
        bool ch = real && c < cin;
        // clamped so padding reads stay in range
        int plane = int(in_off + (min(n, tiles / tpi - 1u) * cin + min(c, cin - 1u)) * H * W);
        [[unroll]] for (uint a = 0; a < AL; a++) {
            int y = y0 + int(a);
            bool row = ch && y >= 0 && y < int(H);
            int rbase = plane + clamp(y, 0, int(H) - 1) * int(W);
            [[unroll]] for (uint b = 0; b < AL; b++) {
                int x = x0 + int(b);
                float v = texelFetch(In, rbase + clamp(x, 0, int(W) - 1)).x;
                d[a][b][j] = row && x >= 0 && x < int(W) ? v : 0.0;
            }
        }
    }
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
            imageStore(V, int(v_off4 + ((i * AL + j) * pp + p) * kp4 + c4), s);
        }
}
