#version 450
#extension GL_GOOGLE_include_directive : require
// Row gather and scatter by an index tensor (src/ops/rows.c): the historical bank of
// Algorithm 1 reads a random batch of (z, x) pairs and overwrites the same slots.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint SCATTER = 0;

layout(binding = 0) uniform samplerBuffer Src;
layout(binding = 1) uniform samplerBuffer Index; // row numbers held as floats
layout(binding = 2) uniform writeonly imageBuffer Dst;

layout(push_constant) uniform PC {
    uint rows, cols;           // rows moved, floats per row
    uint src_off, idx_off, dst_off;
};

void main() {
    uint i = hb_global_index();
    if (i >= rows * cols) return;
    uint r = i / cols, j = i - r * cols;
    uint slot = uint(texelFetch(Index, int(idx_off + r)).x);
    uint from = SCATTER != 0u ? r : slot, to = SCATTER != 0u ? slot : r;
    imageStore(Dst, int(dst_off + to * cols + j), texelFetch(Src, int(src_off + from * cols + j)));
}
