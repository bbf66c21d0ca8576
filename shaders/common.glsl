// Shared by every kernel. Bindings follow the op's signature string (src/vk/hb_vk.h):
// reads are uniform texel buffers (samplerBuffer); writes are storage buffers bound as windows
// ('s', 'S': offsets count from the window's start, hb_window_off) or storage texel buffers
// (imageBuffer). Offsets are element counts passed in push constants.

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
