#version 450
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_control_flow_attributes : require
// Strided GEMM for the linear layers (src/ops/linear.c):
//   C[m][n] = sum over k of A(m,k) * B(k,n)  (+ bias[n]) (+ C's old value when accumulating)
// with A(m,k) = A[a_off + m*a_sm + k*a_sk] and B(k,n) = B[b_off + k*b_sk + n*b_sn], so the
// forward and both backward passes use the weights in place, transposed or not.
// Each invocation computes an 8x8 tile of C. With rowsum set, the invocations of the first
// column block also write R[m] = sum over k of A(m,k) (the linear bias gradient), saving a
// dispatch.
#define HB_KERNEL_1D
#include "common.glsl"
const uint TM = 8, TN = 8;

layout(binding = 0) uniform samplerBuffer At;
layout(binding = 1) uniform samplerBuffer Bt;
layout(binding = 2) uniform samplerBuffer Bias;
layout(binding = 3) uniform samplerBuffer Old;
layout(binding = 4) uniform writeonly imageBuffer C;
layout(binding = 5) uniform writeonly imageBuffer R;

layout(push_constant) uniform PC {
    uint total, nblocks, M, N, K;
    uint a_off, a_sm, a_sk, b_off, b_sk, b_sn, c_off, bias_off;
    uint has_bias, accumulate, rowsum, r_off;
};

void main() {
    uint idx = hb_global_index();
    if (idx >= total) return;
    // n block fastest: neighbouring lanes share the rows of A
    uint m0 = (idx / nblocks) * TM, n0 = (idx % nblocks) * TN;
    uint arow[TM], bcol[TN]; // clamped so reads stay in range; extra rows/columns are dropped
    [[unroll]] for (uint i = 0; i < TM; i++) arow[i] = a_off + min(m0 + i, M - 1u) * a_sm;
    [[unroll]] for (uint j = 0; j < TN; j++) bcol[j] = b_off + min(n0 + j, N - 1u) * b_sn;
    vec4 acc[TM][2];
    float rs[TM];
    [[unroll]] for (uint i = 0; i < TM; i++) {
        acc[i][0] = acc[i][1] = vec4(0);
        rs[i] = 0.0;
    }
    for (uint k = 0; k < K; k++) {
        vec4 b0, b1;
        [[unroll]] for (uint j = 0; j < 4u; j++) {
            b0[j] = texelFetch(Bt, int(bcol[j] + k * b_sk)).x;
            b1[j] = texelFetch(Bt, int(bcol[j + 4u] + k * b_sk)).x;
        }
        [[unroll]] for (uint i = 0; i < TM; i++) {
            float a = texelFetch(At, int(arow[i] + k * a_sk)).x;
            acc[i][0] += a * b0;
            acc[i][1] += a * b1;
            rs[i] += a;
        }
    }
    [[unroll]] for (uint i = 0; i < TM; i++) {
        uint m = m0 + i;
        if (m >= M) break;
        if (rowsum != 0u && n0 == 0u) imageStore(R, int(r_off + m), vec4(rs[i]));
        [[unroll]] for (uint j = 0; j < TN; j++) {
            uint n = n0 + j;
            if (n >= N) break;
            float v = acc[i][j / 4u][j % 4u];
            if (has_bias != 0u) v += texelFetch(Bias, int(bias_off + n)).x;
            if (accumulate != 0u) v += texelFetch(Old, int(c_off + m * N + n)).x;
            imageStore(C, int(c_off + m * N + n), vec4(v));
        }
    }
}
