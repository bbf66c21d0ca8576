#version 450
#extension GL_EXT_control_flow_attributes : require
// The 1x1 convolution for GPUs (the gpu kernel profile, hb_tuning; the cpu profile runs
// conv2d.comp, src/ops/conv2d.c) as a GEMM over pixels: with columns j = (image, pixel) of all
// N images,
//   out[n][m][p] = bias[m] + sum over k of w(m, k) * in[n][k][p],
// w(m, k) = Wt[w_off + m*s_o + k*s_i] (forward: s_o = cin, s_i = 1; backward data: the
// weights' channel roles swapped, s_o = 1, s_i = cin), then the direct kernel's epilogue:
// relu, the relu mask, the old value (accumulation or a residual), in that order.
// The products are summed from the bias on in k order, as conv2d.comp sums them, so both
// profiles round alike on a device that does not fuse multiply-adds.
// Workgroup (x, y) = (column tile, row tile) computes BM x BN outputs from BK = 8-deep panels
// of w and in staged through shared memory, double-buffered (next step's loads before this
// step's products, one barrier per step); each invocation holds a TM x TN block. The input
// panel is loaded along pixels (consecutive invocations, consecutive floats); rows, columns
// and k past M, the columns and K read as zero and are not written.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint LOCAL = 256; // (BM / TM) * (BN / TN)
layout(constant_id = 1) const uint BM = 64;
layout(constant_id = 2) const uint BN = 64;
layout(constant_id = 3) const uint TM = 4;
layout(constant_id = 4) const uint TN = 4;
layout(constant_id = 5) const uint HAS_BIAS = 0;
layout(constant_id = 6) const uint HAS_OLD = 0;
layout(constant_id = 7) const uint HAS_MASK = 0;
layout(constant_id = 8) const uint RELU_OUT = 0;
const uint BK = 8u;
const uint A_LOADS = (BM * BK + LOCAL - 1u) / LOCAL, B_LOADS = (BK * BN + LOCAL - 1u) / LOCAL;

layout(binding = 0) uniform samplerBuffer In;
layout(binding = 1) uniform samplerBuffer Wt;
layout(binding = 2) uniform samplerBuffer Bias;
layout(binding = 3) uniform samplerBuffer Old;
layout(binding = 4) uniform writeonly imageBuffer Out;
layout(binding = 5) uniform samplerBuffer Mask;

layout(push_constant) uniform PC {
    uint M, K, HW, cols; // output channels, input channels, pixels per image, N * HW
    uint in_off, w_off, s_o, s_i, b_off, old_off, out_off, mask_off;
};

shared float As[2][BK * BM]; // [k][m]
shared float Bs[2][BK * BN]; // [k][j]

// Element e of the weight panel as (m, k): k fastest when the weights' k stride is 1
uvec2 a_pos(uint e) { return s_i == 1u ? uvec2(e / BK, e % BK) : uvec2(e % BM, e / BM); }

float load_a(uint e, uint m0, uint k0) {
    uvec2 pos = a_pos(e);
    uint m = m0 + pos.x, k = k0 + pos.y;
    if (e >= BM * BK || m >= M || k >= K) return 0.0;
    return texelFetch(Wt, int(w_off + m * s_o + k * s_i)).x;
}

// Element e of the input panel is (k, j) = (e / BN, e % BN); base: in's index of (0, j), or
// ~0u for a column past the last
float load_b(uint e, uint base, uint k0) {
    uint k = k0 + e / BN;
    if (e >= BN * BK || base == ~0u || k >= K) return 0.0;
    return texelFetch(In, int(base + k * HW)).x;
}

void store_panels(uint buf, float a[A_LOADS], float b[B_LOADS]) {
    uint lid = gl_LocalInvocationIndex;
    [[unroll]] for (uint l = 0; l < A_LOADS; l++) {
        uint e = lid + l * LOCAL;
        uvec2 pos = a_pos(e);
        if (e < BM * BK) As[buf][pos.y * BM + pos.x] = a[l];
    }
    [[unroll]] for (uint l = 0; l < B_LOADS; l++) {
        uint e = lid + l * LOCAL;
        if (e < BN * BK) Bs[buf][e] = b[l];
    }
}

void main() {
    uint m0 = gl_WorkGroupID.y * BM, j0 = gl_WorkGroupID.x * BN, lid = gl_LocalInvocationIndex;
    uint tx = lid % (BN / TN), ty = lid / (BN / TN);
    // each load's column is the same at every step: its image and pixel once
    uint base[B_LOADS];
    [[unroll]] for (uint l = 0; l < B_LOADS; l++) {
        uint j = j0 + (lid + l * LOCAL) % BN, n = j / HW;
        base[l] = j < cols ? in_off + n * K * HW + (j - n * HW) : ~0u;
    }
    float acc[TM][TN];
    [[unroll]] for (uint i = 0; i < TM; i++) {
        uint m = min(m0 + ty * TM + i, M - 1u);
        float b = HAS_BIAS != 0u ? texelFetch(Bias, int(b_off + m)).x : 0.0;
        [[unroll]] for (uint j = 0; j < TN; j++) acc[i][j] = b;
    }
    float a[A_LOADS], b[B_LOADS];
    [[unroll]] for (uint l = 0; l < A_LOADS; l++) a[l] = load_a(lid + l * LOCAL, m0, 0u);
    [[unroll]] for (uint l = 0; l < B_LOADS; l++) b[l] = load_b(lid + l * LOCAL, base[l], 0u);
    store_panels(0u, a, b);
    barrier();
    uint steps = (K + BK - 1u) / BK;
    for (uint s = 0; s < steps; s++) {
        uint buf = s % 2u;
        if (s + 1u < steps) {
            [[unroll]] for (uint l = 0; l < A_LOADS; l++)
                a[l] = load_a(lid + l * LOCAL, m0, (s + 1u) * BK);
            [[unroll]] for (uint l = 0; l < B_LOADS; l++)
                b[l] = load_b(lid + l * LOCAL, base[l], (s + 1u) * BK);
        }
        [[unroll]] for (uint k = 0; k < BK; k++) {
            float bk[TN];
            [[unroll]] for (uint j = 0; j < TN; j++) bk[j] = Bs[buf][k * BN + tx * TN + j];
            [[unroll]] for (uint i = 0; i < TM; i++) {
                float ai = As[buf][k * BM + ty * TM + i];
                [[unroll]] for (uint j = 0; j < TN; j++) acc[i][j] += ai * bk[j];
            }
        }
        if (s + 1u < steps) store_panels(1u - buf, a, b);
        barrier();
    }
    [[unroll]] for (uint i = 0; i < TM; i++) {
        uint m = m0 + ty * TM + i;
        if (m >= M) break;
        [[unroll]] for (uint j = 0; j < TN; j++) {
            uint col = j0 + tx * TN + j;
            if (col >= cols) break;
            uint n = col / HW, e = (n * M + m) * HW + (col - n * HW);
            float v = acc[i][j];
            if (RELU_OUT != 0u) v = max(v, 0.0);
            if (HAS_MASK != 0u && !(texelFetch(Mask, int(mask_off + e)).x > 0.0)) v = 0.0;
            if (HAS_OLD != 0u) v += texelFetch(Old, int(old_off + e)).x;
            imageStore(Out, int(out_off + e), vec4(v));
        }
    }
}
