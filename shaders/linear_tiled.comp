#version 450
#extension GL_EXT_control_flow_attributes : require
// The linear layers' strided GEMM for GPUs (the gpu kernel profile, hb_tuning; the cpu
// profile runs the register-blocked one, src/ops/linear.c):
//   C[m][n] = sum over k of A(m,k) * B(k,n)  (+ bias[n]) (+ C's old value when accumulating)
// with A(m,k) = A[a_off + m*a_sm + k*a_sk], B(k,n) = B[b_off + k*b_sk + n*b_sn] (weights used
// in place, transposed or not), C[c_off + m*N + n]; with rowsum set, the first column of
// workgroups also writes R[r_off + m] = sum over k of A(m,k) (the bias gradient).
// Workgroup (x, y) = (n tile, m tile) computes BM x BN outputs from BK = 8-deep panels of A
// and B staged through shared memory, double-buffered (next step's loads before this step's
// products, one barrier per step); each invocation holds a TM x TN block. Panels are loaded
// along whichever index has stride 1, so consecutive invocations read consecutive floats.
// Rows, columns and k past M, N, K read as zero; their outputs are not written.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint LOCAL = 256; // (BM / TM) * (BN / TN)
layout(constant_id = 1) const uint BM = 64;
layout(constant_id = 2) const uint BN = 64;
layout(constant_id = 3) const uint TM = 4;
layout(constant_id = 4) const uint TN = 4;
const uint BK = 8u;
const uint A_LOADS = (BM * BK + LOCAL - 1u) / LOCAL, B_LOADS = (BK * BN + LOCAL - 1u) / LOCAL;

layout(binding = 0) uniform samplerBuffer At;
layout(binding = 1) uniform samplerBuffer Bt;
layout(binding = 2) uniform samplerBuffer Bias;
layout(binding = 3) uniform samplerBuffer Old;
layout(binding = 4) uniform writeonly imageBuffer C;
layout(binding = 5) uniform writeonly imageBuffer R;

layout(push_constant) uniform PC {
    uint M, N, K;
    uint a_off, a_sm, a_sk, b_off, b_sk, b_sn, c_off, bias_off;
    uint has_bias, accumulate, rowsum, r_off;
};

shared float As[2][BK * BM]; // [k][m]
shared float Bs[2][BK * BN]; // [k][n]

// Element e of a rows x BK panel as (row, k): k fastest when the operand's k stride is 1
uvec2 panel_pos(uint e, uint rows, bool k_fastest) {
    return k_fastest ? uvec2(e / BK, e % BK) : uvec2(e % rows, e / rows);
}

float load_a(uint e, uint m0, uint k0) {
    uvec2 pos = panel_pos(e, BM, a_sk == 1u);
    uint m = m0 + pos.x, k = k0 + pos.y;
    if (e >= BM * BK || m >= M || k >= K) return 0.0;
    return texelFetch(At, int(a_off + m * a_sm + k * a_sk)).x;
}

float load_b(uint e, uint n0, uint k0) {
    uvec2 pos = panel_pos(e, BN, b_sk == 1u);
    uint n = n0 + pos.x, k = k0 + pos.y;
    if (e >= BN * BK || n >= N || k >= K) return 0.0;
    return texelFetch(Bt, int(b_off + k * b_sk + n * b_sn)).x;
}

void store_panels(uint buf, float a[A_LOADS], float b[B_LOADS]) {
    uint lid = gl_LocalInvocationIndex;
    [[unroll]] for (uint l = 0; l < A_LOADS; l++) {
        uint e = lid + l * LOCAL;
        uvec2 pos = panel_pos(e, BM, a_sk == 1u);
        if (e < BM * BK) As[buf][pos.y * BM + pos.x] = a[l];
    }
    [[unroll]] for (uint l = 0; l < B_LOADS; l++) {
        uint e = lid + l * LOCAL;
        uvec2 pos = panel_pos(e, BN, b_sk == 1u);
        if (e < BN * BK) Bs[buf][pos.y * BN + pos.x] = b[l];
    }
}

void main() {
    uint m0 = gl_WorkGroupID.y * BM, n0 = gl_WorkGroupID.x * BN, lid = gl_LocalInvocationIndex;
    uint tx = lid % (BN / TN), ty = lid / (BN / TN);
    float acc[TM][TN], rs[TM];
    [[unroll]] for (uint i = 0; i < TM; i++) {
        rs[i] = 0.0;
        [[unroll]] for (uint j = 0; j < TN; j++) acc[i][j] = 0.0;
    }
    float a[A_LOADS], b[B_LOADS];
    [[unroll]] for (uint l = 0; l < A_LOADS; l++) a[l] = load_a(lid + l * LOCAL, m0, 0u);
    [[unroll]] for (uint l = 0; l < B_LOADS; l++) b[l] = load_b(lid + l * LOCAL, n0, 0u);
    store_panels(0u, a, b);
    barrier();
    uint steps = (K + BK - 1u) / BK;
    for (uint s = 0; s < steps; s++) {
        uint buf = s % 2u;
        if (s + 1u < steps) {
            [[unroll]] for (uint l = 0; l < A_LOADS; l++)
                a[l] = load_a(lid + l * LOCAL, m0, (s + 1u) * BK);
            [[unroll]] for (uint l = 0; l < B_LOADS; l++)
                b[l] = load_b(lid + l * LOCAL, n0, (s + 1u) * BK);
        }
        [[unroll]] for (uint k = 0; k < BK; k++) {
            float bk[TN];
            [[unroll]] for (uint j = 0; j < TN; j++) bk[j] = Bs[buf][k * BN + tx * TN + j];
            [[unroll]] for (uint i = 0; i < TM; i++) {
                float ai = As[buf][k * BM + ty * TM + i];
                rs[i] += ai;
                [[unroll]] for (uint j = 0; j < TN; j++) acc[i][j] += ai * bk[j];
            }
        }
        if (s + 1u < steps) store_panels(1u - buf, a, b);
        barrier();
    }
    [[unroll]] for (uint i = 0; i < TM; i++) {
        uint m = m0 + ty * TM + i;
        if (m >= M) break;
        if (rowsum != 0u && n0 == 0u && tx == 0u) imageStore(R, int(r_off + m), vec4(rs[i]));
        [[unroll]] for (uint j = 0; j < TN; j++) {
            uint n = n0 + tx * TN + j;
            if (n >= N) break;
            float v = acc[i][j];
            if (has_bias != 0u) v += texelFetch(Bias, int(bias_off + n)).x;
            if (accumulate != 0u) v += texelFetch(Old, int(c_off + m * N + n)).x;
            imageStore(C, int(c_off + m * N + n), vec4(v));
        }
    }
}
