#version 450
#extension GL_GOOGLE_include_directive : require
// Sums the per-chunk partial weight and bias gradients of shaders/conv2d_wgrad.comp in a
// fixed order (deterministic, no atomics). Workspace: [chunks][nw] then [chunks][nb].
//   i < nw:  gw[i]      = sum over s of ws[s*nw + i]
//   else:    gb[i - nw] = sum over s of ws[chunks*nw + s*nb + i - nw]
#define HB_KERNEL_1D
#include "common.glsl"

layout(binding = 0) uniform samplerBuffer Ws;
layout(binding = 1) uniform writeonly imageBuffer Gw;
layout(binding = 2) uniform writeonly imageBuffer Gb;

layout(push_constant) uniform PC {
    uint nw, nb, chunks, ws_off, gw_off, gb_off;
};

void main() {
    uint i = hb_global_index();
    if (i >= nw + nb) return;
    bool w = i < nw;
    uint base = w ? ws_off + i : ws_off + chunks * nw + i - nw, stride = w ? nw : nb;
    float s = 0.0;
    for (uint c = 0; c < chunks; c++) s += texelFetch(Ws, int(base + c * stride)).x;
    if (w) imageStore(Gw, int(gw_off + i), vec4(s));
    else imageStore(Gb, int(gb_off + i - nw), vec4(s));
}
