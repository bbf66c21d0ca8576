#version 450
#extension GL_GOOGLE_include_directive : require
// MSE loss and gradient in one dispatch (src/ops/mse.c): workgroup 0 sums (a - b)^2 over the
// whole tensor in a fixed order (deterministic) and writes loss = scale * sum, scale =
// factor / n; workgroups 1 .. grad_groups write g = coef * (a - b), coef = factor * 2 / n, one
// element each. The long loss group goes first so it overlaps the others. VEC is 4 when
// every tensor is vec4-aligned.
#define HB_KERNEL_1D
#include "common.glsl"
#include "reduce.glsl"
layout(constant_id = 1) const uint VEC = 1;

layout(binding = 0) uniform samplerBuffer A;
layout(binding = 1) uniform samplerBuffer B;
layout(binding = 2) uniform writeonly imageBuffer G;
layout(binding = 3) uniform writeonly imageBuffer Loss; // always a float view

layout(push_constant) uniform PC {
    uint n; // elements (vec4s when VEC == 4)
    uint a_off, b_off, g_off, loss_off;
    uint grad_groups; // 0: no gradient
    float coef, scale;
};

vec4 diff(uint i) {
    vec4 d = texelFetch(A, int(a_off + i)) - texelFetch(B, int(b_off + i));
    return VEC == 4u ? d : vec4(d.x, 0, 0, 0); // an R32F view returns (x, 0, 0, 1)
}

void main() {
    uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (group > 0u) {
        uint i = hb_global_index() - HB_LOCAL_SIZE;
        if (i < n) imageStore(G, int(g_off + i), coef * diff(i));
        return;
    }
    uint t = gl_LocalInvocationIndex;
    hb_sum acc = hb_sum_new();
    for (uint i = t; i < n; i += HB_LOCAL_SIZE) {
        vec4 d = diff(i);
        hb_sum_add(acc, d * d);
    }
    vec4 s = hb_workgroup_sum(hb_sum_value(acc));
    if (t == 0u) imageStore(Loss, int(loss_off), vec4(scale * hb_lanes_sum(s)));
}
