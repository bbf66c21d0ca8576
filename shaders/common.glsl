// Shared by every kernel. Bindings follow the op's signature string (src/vk/hb_vk.h):
// reads are uniform texel buffers (samplerBuffer); writes are storage buffers bound as windows
// ('s', 'S': offsets count from the window's start, hb_window_off) or storage texel buffers
// (imageBuffer). Offsets are element counts passed in push constants.

// Wide stores: a kernel writes HbF2/HbF4/HbF8 elements (2, 4, 8 floats) made by hb_f2/f4/f8.
// Lavapipe stores to a storage buffer one lane and one component at a time (~8 instructions
// each), so floats packed in pairs into 64-bit components take about half as long (a
// Winograd input transform: 20.5 -> 11.4 ms). Kernels that use them are built twice
// (CMakeLists.txt): with HB_STORE64, run when the device has shaderInt64, and as <name>_st32
// with plain float components otherwise. The memory layout is the same.
#ifdef HB_STORE64
#extension GL_ARB_gpu_shader_int64 : require
#define HbF2 uint64_t
#define HbF4 u64vec2
#define HbF8 u64vec4
uint64_t hb_f2(vec2 v) { return packUint2x32(floatBitsToUint(v)); }
u64vec2 hb_f4(vec4 v) { return u64vec2(hb_f2(v.xy), hb_f2(v.zw)); }
u64vec4 hb_f8(vec4 a, vec4 b) { return u64vec4(hb_f2(a.xy), hb_f2(a.zw), hb_f2(b.xy), hb_f2(b.zw)); }
#else
#define HbF2 vec2
#define HbF4 vec4
struct HbF8 { vec4 lo, hi; };
vec2 hb_f2(vec2 v) { return v; }
vec4 hb_f4(vec4 v) { return v; }
HbF8 hb_f8(vec4 a, vec4 b) { return HbF8(a, b); }
#endif

// 1-D kernels take their workgroup size as specialization constant 0 (hb_tuning.local_size).
// It is named here because lavapipe does not specialise gl_WorkGroupSize in arithmetic.
#ifdef HB_KERNEL_1D
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint HB_LOCAL_SIZE = 64;

// Linear invocation index of a 1-D kernel dispatched by hb_dispatch_1d (2-D grid of groups).
uint hb_global_index() {
    uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    return group * HB_LOCAL_SIZE + gl_LocalInvocationIndex;
}
#endif

// a / d for a < 2^24: integer division has no vector instruction (8 scalar divisions per
// SIMD row on lavapipe); float division is within one of the quotient, then one correction.
uint udiv(uint a, uint d) {
    uint q = uint((float(a) + 0.5) / float(d));
    int r = int(a) - int(q * d);
    return r < 0 ? q - 1u : r >= int(d) ? q + 1u : q;
}
