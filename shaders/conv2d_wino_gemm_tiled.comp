#version 450
#extension GL_EXT_control_flow_attributes : require
// The Winograd convolution's batched GEMM for GPUs (the gpu kernel profile, hb_tuning; the
// cpu profile runs conv2d_wino_gemm.comp): for each transform point xi, M[xi][p][n] = sum
// over k of V[xi][p][k] * U[xi][k][n], with that kernel's layouts: V in the input
// transform's panels [xi][p / 16][k / 8][p % 16][k % 8] (A_PANEL = 1) or as V[xi][p][k],
// U[xi][k][n], M[xi][p][n], all read and written as vec4s along the last index.
// Workgroup (x, y, z) = (n tile, p tile, xi) computes a BM x BN tile of M from BK = 8-deep
// panels of V and U staged through shared memory, double-buffered: the next step's global
// loads are issued before this step's products, and one barrier per step suffices. Each
// invocation holds a TM x TN block in registers. p < pp (a multiple of 16) and n < 4 * np4
// (of 16) need not fill a tile: reads past them are zero and their writes skipped; the
// reduction length 4 * kp4 is a multiple of 8 (src/ops/conv2d.c pads it).
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint LOCAL = 256; // (BM / TM) * (BN / TN)
layout(constant_id = 1) const uint BM = 64;     // a multiple of 16
layout(constant_id = 2) const uint BN = 64;
layout(constant_id = 3) const uint TM = 4;
layout(constant_id = 4) const uint TN = 4;      // a multiple of 4
layout(constant_id = 5) const uint A_PANEL = 0;
const uint BK = 8u, PANEL_ROWS = 16u;
// vec4s of each panel per step, and per invocation (the profile has LOCAL <= 2 BM, 2 BN)
const uint A_VEC4 = BM * BK / 4u, B_VEC4 = BK * BN / 4u;
const uint A_LOADS = (A_VEC4 + LOCAL - 1u) / LOCAL, B_LOADS = (B_VEC4 + LOCAL - 1u) / LOCAL;

layout(binding = 0) uniform samplerBuffer Vt;
layout(binding = 1) uniform samplerBuffer Ut;
layout(std430, binding = 2) writeonly buffer Mb { vec4 M[]; };

layout(push_constant) uniform PC {
    uint pp, kp4, np4;   // rows of M, vec4s per row of V and of U (and M)
    uint v_off4, u_off4, m_off4;
};

shared float As[2][BK * BM];    // [k][p]: an invocation's TM rows at one k are adjacent
shared vec4 Bs[2][BK * BN / 4u]; // [k][n / 4]

// vec4 e of the step's V panel: rows in groups of 16 with the 2 vec4s of a row adjacent, so
// both layouts read it contiguously (panels: 32 consecutive vec4s per group)
vec4 load_a(uint e, uint xi, uint p0, uint kstep) {
    uint group = e / 32u, w = e % 32u, p = p0 + group * PANEL_ROWS + w / 2u;
    if (e >= A_VEC4 || p >= pp) return vec4(0);
    uint k4 = kstep * 2u + w % 2u;
    uint base = v_off4 + xi * pp * kp4;
    return texelFetch(Vt, int(A_PANEL != 0u ? base + ((p / PANEL_ROWS) * (kp4 / 2u) + kstep) * 32u
                                                      + (p % PANEL_ROWS) * 2u + w % 2u
                                            : base + p * kp4 + k4));
}

// vec4 e of the step's U panel, row by row (consecutive invocations, consecutive vec4s)
vec4 load_b(uint e, uint xi, uint n40, uint kstep) {
    uint k = e / (BN / 4u), n4 = n40 + e % (BN / 4u);
    if (e >= B_VEC4 || n4 >= np4) return vec4(0);
    return texelFetch(Ut, int(u_off4 + (xi * kp4 * 4u + kstep * BK + k) * np4 + n4));
}

void store_panels(uint buf, vec4 a[A_LOADS], vec4 b[B_LOADS]) {
    uint lid = gl_LocalInvocationIndex;
    [[unroll]] for (uint l = 0; l < A_LOADS; l++) {
        uint e = lid + l * LOCAL, w = e % 32u;
        if (e >= A_VEC4) break;
        uint p = (e / 32u) * PANEL_ROWS + w / 2u, k = (w % 2u) * 4u;
        [[unroll]] for (uint c = 0; c < 4u; c++) As[buf][(k + c) * BM + p] = a[l][c];
    }
    [[unroll]] for (uint l = 0; l < B_LOADS; l++) {
        uint e = lid + l * LOCAL;
        if (e < B_VEC4) Bs[buf][e] = b[l];
    }
}

void main() {
    uint xi = gl_WorkGroupID.z, p0 = gl_WorkGroupID.y * BM, n40 = gl_WorkGroupID.x * (BN / 4u);
    uint lid = gl_LocalInvocationIndex;
    uint tx = lid % (BN / TN), ty = lid / (BN / TN);
    vec4 acc[TM][TN / 4u];
    [[unroll]] for (uint i = 0; i < TM; i++)
        [[unroll]] for (uint j = 0; j < TN / 4u; j++) acc[i][j] = vec4(0);
    vec4 a[A_LOADS], b[B_LOADS];
    [[unroll]] for (uint l = 0; l < A_LOADS; l++) a[l] = load_a(lid + l * LOCAL, xi, p0, 0u);
    [[unroll]] for (uint l = 0; l < B_LOADS; l++) b[l] = load_b(lid + l * LOCAL, xi, n40, 0u);
    store_panels(0u, a, b);
    barrier();
    uint steps = kp4 / 2u;
    for (uint s = 0; s < steps; s++) {
        uint buf = s % 2u;
        if (s + 1u < steps) {
            [[unroll]] for (uint l = 0; l < A_LOADS; l++)
                a[l] = load_a(lid + l * LOCAL, xi, p0, s + 1u);
            [[unroll]] for (uint l = 0; l < B_LOADS; l++)
                b[l] = load_b(lid + l * LOCAL, xi, n40, s + 1u);
        }
        // 4 products summed, then added: conv2d_wino_gemm.comp's order, so both profiles
        // round alike (the same sums on a device that does not fuse multiply-adds)
        [[unroll]] for (uint k = 0; k < BK; k += 4u) {
            vec4 bk[4][TN / 4u];
            [[unroll]] for (uint kk = 0; kk < 4u; kk++)
                [[unroll]] for (uint j = 0; j < TN / 4u; j++)
                    bk[kk][j] = Bs[buf][(k + kk) * (BN / 4u) + tx * (TN / 4u) + j];
            [[unroll]] for (uint i = 0; i < TM; i++) {
                vec4 a4;
                [[unroll]] for (uint kk = 0; kk < 4u; kk++) a4[kk] = As[buf][(k + kk) * BM + ty * TM + i];
                [[unroll]] for (uint j = 0; j < TN / 4u; j++)
                    acc[i][j] += a4.x * bk[0][j] + a4.y * bk[1][j] + a4.z * bk[2][j] + a4.w * bk[3][j];
            }
        }
        if (s + 1u < steps) store_panels(1u - buf, a, b);
        barrier();
    }
    [[unroll]] for (uint i = 0; i < TM; i++) {
        uint p = p0 + ty * TM + i;
        [[unroll]] for (uint j = 0; j < TN / 4u; j++) {
            uint n4 = n40 + tx * (TN / 4u) + j;
            if (p < pp && n4 < np4) M[m_off4 + (xi * pp + p) * np4 + n4] = acc[i][j];
        }
    }
}
