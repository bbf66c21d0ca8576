#version 450
#extension GL_GOOGLE_include_directive : require
// Segmented sums (src/ops/reduce.c): workgroup o writes
//   out[o] = scale * sum over n < N, p < HW of f(x[e], y[e]),  e = (n*C + o)*HW + p,
// which covers whole-tensor sums (N = C = 1), per-row sums (N = 1) and per-channel sums of
// NCHW tensors. Each invocation sums a fixed strided subset in order, then reduce.glsl
// combines the partials: the same bits on every run. One workgroup per output needs no
// scratch; the inputs here are at most a few million elements.
#define HB_KERNEL_1D
#include "common.glsl"
#include "reduce.glsl"
#include "reduce_main.glsl"
