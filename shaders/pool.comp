#version 450
#extension GL_GOOGLE_include_directive : require
// Average pooling (src/ops/pool.c), one invocation per output element. OP selects the kernel.
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint OP = 0;

const uint AVGPOOL2 = 0, AVGPOOL2_BWD = 1, GLOBAL = 2, GLOBAL_BWD = 3;

layout(binding = 0) uniform samplerBuffer X;    // forward: x; backward: gy
layout(binding = 1) uniform samplerBuffer Yold; // output's previous value (accumulate)
layout(binding = 2) uniform writeonly imageBuffer Y;

layout(push_constant) uniform PC {
    uint n;                  // output elements
    uint x_off, y_off;
    uint W;                  // avgpool2: input width (output width W/2)
    uint HW;                 // global: pixels per (n, c)
    uint accumulate;
};

float x_at(uint i) { return texelFetch(X, int(x_off + i)).x; }

void main() {
    uint i = hb_global_index();
    if (i >= n) return;
    float r;
    if (OP == AVGPOOL2) { // i = (plane * H/2 + oy) * W/2 + ox; input row 2*oy starts at 2*W*(i / (W/2))
        uint wo = W / 2u, row = i / wo, ox = i - row * wo;
        uint base = row * 2u * W + 2u * ox;
        r = 0.25 * ((x_at(base) + x_at(base + 1u)) + (x_at(base + W) + x_at(base + W + 1u)));
    } else if (OP == AVGPOOL2_BWD) { // i = (plane * H + y) * W + x reads gy at (plane, y/2, x/2)
        uint row = i / W, x = i - row * W;
        r = 0.25 * x_at((row / 2u) * (W / 2u) + x / 2u);
    } else if (OP == GLOBAL) { // i = plane; sequential, so the result is deterministic
        float s = 0.0;
        for (uint p = 0u; p < HW; p++) s += x_at(i * HW + p);
        r = s / float(HW);
    } else // GLOBAL_BWD
        r = x_at(i / HW) / float(HW);
    if (accumulate != 0u) r += texelFetch(Yold, int(y_off + i)).x;
    imageStore(Y, int(y_off + i), vec4(r));
}
