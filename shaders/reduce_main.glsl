// The body of reduce.comp and reduce_subgroup.comp, which differ in hb_workgroup_sum alone
// (reduce.glsl).
layout(constant_id = 1) const uint OP = 0;
layout(constant_id = 2) const uint VEC = 1; // 4: x and y bound as RGBA32F, HW counts vec4s

// PROD_SUM writes sum x*y to out and sum x to out2 (affine parameter gradients in one pass)
const uint SUM = 0, SUMSQ = 1, PROD = 2, PROD_SUM = 3;

layout(binding = 0) uniform samplerBuffer X;
layout(binding = 1) uniform samplerBuffer Yin; // PROD, PROD_SUM
layout(binding = 2) uniform writeonly imageBuffer Out;
layout(binding = 3) uniform writeonly imageBuffer Out2; // PROD_SUM

layout(push_constant) uniform PC {
    uint N, C, HW;
    uint x_off, y_off, out_off, out2_off; // x, y in elements of their view; outputs in floats
    float scale;
};

// an R32F view returns (x, 0, 0, 1): keep only x
vec4 lanes(vec4 v) { return VEC == 4u ? v : vec4(v.x, 0, 0, 0); }

void main() {
    uint o = gl_WorkGroupID.x, t = gl_LocalInvocationIndex;
    // walk k = t, t + L, ... < N*HW as (n, p) = (k / HW, k % HW) without a division per step
    uint n = t / HW, p = t - n * HW;
    uint dn = HB_LOCAL_SIZE / HW, dp = HB_LOCAL_SIZE - dn * HW;
    hb_sum acc = hb_sum_new(), acc2 = hb_sum_new();
    while (n < N) {
        uint e = (n * C + o) * HW + p;
        vec4 a = lanes(texelFetch(X, int(x_off + e)));
        vec4 b = OP >= PROD ? lanes(texelFetch(Yin, int(y_off + e))) : vec4(0);
        hb_sum_add(acc, OP == SUM ? a : OP == SUMSQ ? a * a : a * b);
        if (OP == PROD_SUM) hb_sum_add(acc2, a);
        p += dp;
        n += dn;
        if (p >= HW) {
            p -= HW;
            n++;
        }
    }
    vec4 s = hb_workgroup_sum(hb_sum_value(acc));
    if (t == 0u) imageStore(Out, int(out_off + o), vec4(scale * hb_lanes_sum(s)));
    if (OP == PROD_SUM) {
        s = hb_workgroup_sum(hb_sum_value(acc2));
        if (t == 0u) imageStore(Out2, int(out2_off + o), vec4(scale * hb_lanes_sum(s)));
    }
}
