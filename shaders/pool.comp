#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Average pooling (src/ops/pool.c). OP selects the kernel; each invocation writes VEC
// consecutive outputs (4 when the output is vec4-aligned: far fewer invocations and stores),
// each computed on its own from scalar reads, or together from vec4 reads (ALIGNED4).
#define HB_KERNEL_1D
#include "common.glsl"
layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint VEC = 1;
// fixed per pipeline: lavapipe runs both sides of a branch, a run-time flag would always fetch
layout(constant_id = 3) const uint ACCUMULATE = 0;
// RELU (global pooling of a relu's output, the relu never stored): forward pools max(x, 0);
// backward masks by the relu's input (Mask, shaped like gx, VEC wide)
layout(constant_id = 4) const uint RELU = 0;
// ALIGNED4: in vec4 kernels, the four outputs of a vec4 share their input row (avgpool2
// backward: W % 4 == 0) or plane (global backward: HW % 4 == 0). In forward kernels x is read
// as vec4s (X bound RGBA32F; x starts on a vec4): avgpool2 with W % 8 == 0 reads two vec4s of
// each input row per vec4 of outputs, global pooling with HW % 4 == 0 its planes in vec4s.
// A specialisation constant: lavapipe runs both sides of a branch, so a run-time test would
// also run the general path.
layout(constant_id = 5) const uint ALIGNED4 = 0;

const uint AVGPOOL2 = 0, AVGPOOL2_BWD = 1, GLOBAL = 2, GLOBAL_BWD = 3;

layout(binding = 0) uniform samplerBuffer X;    // forward: x; backward: gy (floats, but see ALIGNED4)
layout(binding = 1) uniform samplerBuffer Yold; // output's previous value (ACCUMULATE), VEC wide
layout(binding = 3) uniform samplerBuffer Mask; // RELU backward: the relu's input, VEC wide
layout(std430, binding = 2) writeonly buffer Y4b { HbF4 Y4[]; }; // VEC == 4 (wide stores)
layout(std430, binding = 2) writeonly buffer Y1b { float Y1[]; };

layout(push_constant) uniform PC {
    uint n;                  // invocations: output elements / VEC (/ 2, pool2_backward_rows)
    uint x_off, old_off;     // x in floats, y's old value in elements of its view
    uint mask_off;           // in elements of its view
    uint y_off;              // y in its storage window
    uint W;                  // avgpool2: input width (output width W/2)
    uint HW;                 // global: pixels per (n, c)
};

float x_at(uint i) { return texelFetch(X, int(x_off + i)).x; }

// Output element i (a float index; below 2^24, which udiv needs: src/ops/pool.c).
float value(uint i) {
    float r;
    if (OP == AVGPOOL2) { // i = (plane * H/2 + oy) * W/2 + ox; input row 2*oy starts at 2*W*(i / (W/2))
        uint wo = W / 2u, row = udiv(i, wo), ox = i - row * wo;
        uint base = row * 2u * W + 2u * ox;
        r = 0.25 * ((x_at(base) + x_at(base + 1u)) + (x_at(base + W) + x_at(base + W + 1u)));
    } else if (OP == AVGPOOL2_BWD) { // i = (plane * H + y) * W + x reads gy at (plane, y/2, x/2)
        uint row = udiv(i, W), x = i - row * W;
        r = 0.25 * x_at((row / 2u) * (W / 2u) + x / 2u);
    } else if (OP == GLOBAL && ALIGNED4 != 0u) { // i = plane, read in vec4s (fixed order)
        vec4 s = vec4(0);
        for (uint p = 0u; p < HW / 4u; p++) {
            vec4 v = texelFetch(X, int((x_off + i * HW) / 4u + p));
            s += RELU != 0u ? max(v, vec4(0)) : v;
        }
        r = ((s.x + s.y) + (s.z + s.w)) / float(HW);
    } else if (OP == GLOBAL) { // i = plane; sequential, so the result is deterministic
        float s = 0.0;
        for (uint p = 0u; p < HW; p++) s += RELU != 0u ? max(x_at(i * HW + p), 0.0) : x_at(i * HW + p);
        r = s / float(HW);
    } else // GLOBAL_BWD
        r = x_at(udiv(i, HW)) / float(HW);
    return r;
}

// avgpool2 backward, VEC 4 and ALIGNED4: invocation i writes 4 outputs in each of the two
// rows that input row t = i / (W/4) spreads to, from 2 inputs (n counts these pairs)
void pool2_backward_rows(uint i) {
    uint w4 = W / 4u, t = udiv(i, w4), x4 = i - t * w4, s = t * (W / 2u) + 2u * x4;
    float a = 0.25 * x_at(s), b = 0.25 * x_at(s + 1u);
    uint top = 2u * t * w4 + x4;
    [[unroll]] for (uint k = 0; k < 2u; k++) {
        vec4 r = vec4(a, a, b, b);
        if (ACCUMULATE != 0u) r += texelFetch(Yold, int(old_off + top + k * w4));
        Y4[y_off + top + k * w4] = hb_f4(r);
    }
}

void main() {
    uint i = hb_global_index();
    if (i >= n) return;
    if (OP == AVGPOOL2_BWD && VEC == 4u && ALIGNED4 != 0u) {
        pool2_backward_rows(i);
        return;
    }
    vec4 r = vec4(0);
    if (OP == AVGPOOL2 && VEC == 4u && ALIGNED4 != 0u) { // output row t, vec4 x4 of it
        uint w8 = W / 8u, t = udiv(i, w8), x4 = i - t * w8, top = (x_off + 2u * t * W) / 4u + 2u * x4;
        vec4 a = texelFetch(X, int(top)), b = texelFetch(X, int(top + 1u));
        vec4 c = texelFetch(X, int(top + W / 4u)), d = texelFetch(X, int(top + W / 4u + 1u));
        vec4 s0 = a + c, s1 = b + d; // column sums of the two rows
        r = 0.25 * vec4(s0.x + s0.y, s0.z + s0.w, s1.x + s1.y, s1.z + s1.w);
    } else if (OP == GLOBAL_BWD && VEC == 4u && ALIGNED4 != 0u) {
        r = vec4(x_at(udiv(4u * i, HW)) / float(HW));
    } else
        for (uint k = 0u; k < VEC; k++) r[k] = value(i * VEC + k);
    if (RELU != 0u && OP == GLOBAL_BWD)
        r = mix(vec4(0), r, greaterThan(texelFetch(Mask, int(mask_off + i)), vec4(0)));
    if (ACCUMULATE != 0u) r += texelFetch(Yold, int(old_off + i));
    if (VEC == 4u) Y4[y_off + i] = hb_f4(r);
    else Y1[y_off + i] = r.x;
}
