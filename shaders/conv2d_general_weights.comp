#version 450
#extension GL_GOOGLE_include_directive : require
// The general convolution's weights rearranged for its PREPARED path (src/ops/conv2d_general.c):
// w [cout][cin][taps] -> prepared [coblocks][cin][taps][TC], TC output channels of a tap side
// by side, channels past cout zero. One prepared element per invocation.
#define HB_KERNEL_1D
#include "common.glsl"
#define TC 16u // shaders/conv2d_general.comp's output channels per invocation

layout(binding = 0) uniform samplerBuffer W;
layout(binding = 1) uniform writeonly imageBuffer P;

layout(push_constant) uniform PC {
    uint total; // coblocks * cin * taps * TC
    uint cout, cin_taps, w_off, p_off;
};

void main() {
    uint i = hb_global_index();
    if (i >= total) return;
    uint c = i % TC, r = i / TC; // r = cb * cin_taps + k
    uint k = r % cin_taps, co = (r / cin_taps) * TC + c;
    float v = co < cout ? texelFetch(W, int(w_off + co * cin_taps + k)).x : 0.0;
    imageStore(P, int(p_off + i), vec4(v));
}
