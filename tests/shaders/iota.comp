#version 450
#extension GL_GOOGLE_include_directive : require
// y[i] = i + base over a 3-D grid of 8-wide groups: exercises vkCmdDispatchBase splitting
// (tests/test_runtime.c) and marks every invocation of a large dispatch.
layout(local_size_x = 8) in;
layout(binding = 0) uniform writeonly imageBuffer Y;
layout(push_constant) uniform PC { uint n, y_off; float base; };
void main() {
    uint i = gl_GlobalInvocationID.x;
    if (i < n) imageStore(Y, int(y_off + i), vec4(float(i) + base));
}
