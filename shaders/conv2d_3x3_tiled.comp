#version 450
#extension GL_EXT_control_flow_attributes : require
// The direct 3x3 convolution (stride 1, zero padding 1) for GPUs (the gpu kernel profile,
// hb_tuning; the cpu profile runs conv2d.comp, src/ops/conv2d.c, which this one matches in
// its weight strides, epilogue and summation order):
//   out[n][o][y][x] = bias[o] + sum over i, ky, kx of w(o, i, 3 ky + kx) in[n][i][y+ky-1][x+kx-1]
// with w(o, i, t) = Wt[w_off + o*s_o + i*s_i + tap_base + t*tap_step]: the backward-data pass
// is the same convolution of gout with the channel roles swapped and the taps flipped. Then
// relu, the relu mask and the old value (accumulation or a residual), in that order.
// Workgroup (x, y, z) = (pixel tile, channel block, image) computes TH x TW pixels x BC output
// channels. Per step of CK input channels, the input tile with its one-pixel halo and the
// step's BC x CK x 9 weights are staged through shared memory, double-buffered (the next
// step's loads are issued before this step's products; one barrier per step). Each invocation
// holds TC channels x TX consecutive pixels of one row. Products are summed from the bias on
// in (i, ky, kx) order, as conv2d.comp sums them, so both profiles round alike on a device
// that does not fuse multiply-adds.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint LOCAL = 128; // (BC / TC) * (TH * TW / TX)
layout(constant_id = 1) const uint TH = 8;
layout(constant_id = 2) const uint TW = 8;
layout(constant_id = 3) const uint BC = 32;
layout(constant_id = 4) const uint TC = 4;
layout(constant_id = 5) const uint TX = 4;
layout(constant_id = 6) const uint CK = 4;
layout(constant_id = 7) const uint HAS_BIAS = 0;
layout(constant_id = 8) const uint HAS_OLD = 0;
layout(constant_id = 9) const uint HAS_MASK = 0;
layout(constant_id = 10) const uint RELU_OUT = 0;
const uint IW = TW + 2u, IH = TH + 2u, IN_TILE = IW * IH;
const uint I_ELEMS = CK * IN_TILE, W_ELEMS = CK * 9u * BC;
const uint I_LOADS = (I_ELEMS + LOCAL - 1u) / LOCAL, W_LOADS = (W_ELEMS + LOCAL - 1u) / LOCAL;

layout(binding = 0) uniform samplerBuffer In;
layout(binding = 1) uniform samplerBuffer Wt;
layout(binding = 2) uniform samplerBuffer Bias;
layout(binding = 3) uniform samplerBuffer Old;
layout(binding = 4) uniform writeonly imageBuffer Out;
layout(binding = 5) uniform samplerBuffer Mask;

layout(push_constant) uniform PC {
    uint cin, cout, H, W, xtiles;
    uint in_off, w_off, s_o, s_i;
    int tap_base, tap_step;
    uint b_off, old_off, out_off, mask_off;
};

shared float Is[2][I_ELEMS];  // [i][row][column] of the tile and its halo
shared float Ws[2][W_ELEMS];  // [i][tap][o]

// Weight element e of a step as (o, i, tap), taps fastest, then whichever channel has the
// smaller stride: runs of consecutive floats in both passes
uvec3 w_pos(uint e) {
    uint t = e % 9u, r = e / 9u;
    return s_o < s_i ? uvec3(r % BC, r / BC, t) : uvec3(r / CK, r % CK, t);
}

float load_w(uint e, uint o0, uint i0) {
    uvec3 p = w_pos(e);
    uint o = o0 + p.x, i = i0 + p.y;
    if (e >= W_ELEMS || o >= cout || i >= cin) return 0.0;
    return texelFetch(Wt, int(w_off + o * s_o + i * s_i) + tap_base + tap_step * int(p.z)).x;
}

// Input element e of a step: (i, row, column) of the tile with its halo, zero outside the image
float load_in(uint e, uint n, int y0, int x0, uint i0) {
    uint i = i0 + e / IN_TILE, r = e % IN_TILE;
    int y = y0 + int(r / IW) - 1, x = x0 + int(r % IW) - 1;
    if (e >= I_ELEMS || i >= cin || y < 0 || y >= int(H) || x < 0 || x >= int(W)) return 0.0;
    return texelFetch(In, int(in_off + ((n * cin + i) * H + uint(y)) * W + uint(x))).x;
}

void store_tiles(uint buf, float xi[I_LOADS], float wi[W_LOADS]) {
    uint lid = gl_LocalInvocationIndex;
    [[unroll]] for (uint l = 0; l < I_LOADS; l++) {
        uint e = lid + l * LOCAL;
        if (e < I_ELEMS) Is[buf][e] = xi[l];
    }
    [[unroll]] for (uint l = 0; l < W_LOADS; l++) {
        uint e = lid + l * LOCAL;
        uvec3 p = w_pos(e);
        if (e < W_ELEMS) Ws[buf][(p.y * 9u + p.z) * BC + p.x] = wi[l];
    }
}

void main() {
    uint tile = gl_WorkGroupID.x, o0 = gl_WorkGroupID.y * BC, n = gl_WorkGroupID.z;
    uint ty = tile / xtiles;
    int y0 = int(ty * TH), x0 = int((tile - ty * xtiles) * TW);
    // pixel groups fastest: neighbouring invocations read the same weights
    uint lid = gl_LocalInvocationIndex, groups = TH * TW / TX;
    uint pg = lid % groups, oc = (lid / groups) * TC;
    uint py = pg / (TW / TX), px = (pg % (TW / TX)) * TX;
    float acc[TC][TX];
    [[unroll]] for (uint c = 0; c < TC; c++) {
        uint o = min(o0 + oc + c, cout - 1u);
        float b = HAS_BIAS != 0u ? texelFetch(Bias, int(b_off + o)).x : 0.0;
        [[unroll]] for (uint j = 0; j < TX; j++) acc[c][j] = b;
    }
    float xi[I_LOADS], wi[W_LOADS];
    [[unroll]] for (uint l = 0; l < I_LOADS; l++) xi[l] = load_in(lid + l * LOCAL, n, y0, x0, 0u);
    [[unroll]] for (uint l = 0; l < W_LOADS; l++) wi[l] = load_w(lid + l * LOCAL, o0, 0u);
    store_tiles(0u, xi, wi);
    barrier();
    uint steps = (cin + CK - 1u) / CK;
    for (uint s = 0; s < steps; s++) {
        uint buf = s % 2u, i0 = s * CK;
        if (s + 1u < steps) {
            [[unroll]] for (uint l = 0; l < I_LOADS; l++)
                xi[l] = load_in(lid + l * LOCAL, n, y0, x0, i0 + CK);
            [[unroll]] for (uint l = 0; l < W_LOADS; l++)
                wi[l] = load_w(lid + l * LOCAL, o0, i0 + CK);
        }
        [[unroll]] for (uint i = 0; i < CK; i++) {
            if (i0 + i >= cin) break; // no products of padding channels: the cpu kernel's sums
            [[unroll]] for (uint ky = 0; ky < 3u; ky++) {
                float row[TX + 2u];
                [[unroll]] for (uint j = 0; j < TX + 2u; j++)
                    row[j] = Is[buf][i * IN_TILE + (py + ky) * IW + px + j];
                [[unroll]] for (uint kx = 0; kx < 3u; kx++) {
                    [[unroll]] for (uint c = 0; c < TC; c++) {
                        float wv = Ws[buf][(i * 9u + ky * 3u + kx) * BC + oc + c];
                        [[unroll]] for (uint j = 0; j < TX; j++) acc[c][j] += wv * row[kx + j];
                    }
                }
            }
        }
        if (s + 1u < steps) store_tiles(1u - buf, xi, wi);
        barrier();
    }
    [[unroll]] for (uint c = 0; c < TC; c++) {
        uint o = o0 + oc + c, y = uint(y0) + py;
        if (o >= cout || y >= H) break;
        [[unroll]] for (uint j = 0; j < TX; j++) {
            uint x = uint(x0) + px + j;
            if (x >= W) break;
            uint e = ((n * cout + o) * H + y) * W + x;
            float v = acc[c][j];
            if (RELU_OUT != 0u) v = max(v, 0.0);
            if (HAS_MASK != 0u && !(texelFetch(Mask, int(mask_off + e)).x > 0.0)) v = 0.0;
            if (HAS_OLD != 0u) v += texelFetch(Old, int(old_off + e)).x;
            imageStore(Out, int(out_off + e), vec4(v));
        }
    }
}
