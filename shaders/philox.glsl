// Counter-based normal RNG shared by rng.comp and langevin.comp; the C twin is
// src/ref/ref_rng.c (ref_philox4x32, ref_randn), which must stay bit-identical.
//
// Philox4x32-10 (Salmon et al. 2011, Random123): key = seed (lo, hi); counter =
// (block, stream, iteration, 0). Each block gives 4 uint32 -> 4 N(0,1) floats by Box-Muller:
// pairs (x0, x1) and (x2, x3); u1 = ((x0>>8)+1) * 2^-24 in (0, 1], r = sqrt(-2 ln u1);
// theta = pi * ((x1>>8) - 2^23) * 2^-23 in [-pi, pi); normals (r sin theta, r cos theta).
// ln, sin and cos are computed here (not the built-ins, whose required precision is loose),
// so every device agrees with the double-precision reference to about 1e-6.
// Element i of a draw is lane i % 4 of block i / 4.

uvec4 hb_philox4x32_10(uvec4 c, uvec2 k) {
    for (int r = 0; r < 10; r++) {
        if (r > 0) k += uvec2(0x9E3779B9u, 0xBB67AE85u);
        uint hi0, lo0, hi1, lo1;
        umulExtended(0xD2511F53u, c.x, hi0, lo0);
        umulExtended(0xCD9E8D57u, c.z, hi1, lo1);
        c = uvec4(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    }
    return c;
}

// ln(u) for u in (0, 1] to a few ulp. The built-in log is only required to be within 2^-21
// absolute on [0.5, 2], which would spoil the small radii; this version is also the same on
// every device. u = m * 2^e with m in [sqrt(1/2), sqrt(2)); ln m = 2 atanh((m-1)/(m+1)).
float hb_log(float u) {
    int e;
    float m = frexp(u, e);
    if (m < 0.70710678) {
        m *= 2.0;
        e -= 1;
    }
    float s = (m - 1.0) / (m + 1.0), s2 = s * s; // |s| <= 0.172
    float p = s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0))));
    return float(e) * 0.693147180559945 + (2.0 * s + 2.0 * s * p);
}

// (sin(pi t), cos(pi t)) for |t| <= 1, by quadrant reduction and Taylor polynomials on
// [-pi/4, pi/4] (the built-in sin/cos are only required to be within 2^-11 absolute).
vec2 hb_sincospi(float t) {
    float q = roundEven(2.0 * t);
    float x = 3.14159265358979 * (t - 0.5 * q); // exact reduction, |x| <= pi/4
    float x2 = x * x;
    float s = x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 +
                                                                      x2 * (1.0 / 362880.0)))));
    float c = 1.0 + x2 * (-0.5 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0 +
                                                                    x2 * (-1.0 / 3628800.0)))));
    int quadrant = int(q) & 3;
    if (quadrant == 0) return vec2(s, c);
    if (quadrant == 1) return vec2(c, -s);
    if (quadrant == 2) return vec2(-s, -c);
    return vec2(-c, s);
}

// Two normals from two uint32: u1 = ((a>>8)+1) 2^-24 in (0, 1], theta = pi t with
// t = ((b>>8) - 2^23) 2^-23 in [-1, 1); (r sin theta, r cos theta), r = sqrt(-2 ln u1).
vec2 hb_box_muller(uint a, uint b) {
    float u1 = float((a >> 8) + 1u) * (1.0 / 16777216.0);
    float t = float(int(b >> 8) - 8388608) * (1.0 / 8388608.0);
    float r = sqrt(-2.0 * hb_log(u1));
    return r * hb_sincospi(t);
}

// The 4 normals of block `block` of draw (seed, stream, iteration).
vec4 hb_randn4(uint block, uvec2 seed, uint stream, uint iteration) {
    uvec4 x = hb_philox4x32_10(uvec4(block, stream, iteration, 0u), seed);
    return vec4(hb_box_muller(x.x, x.y), hb_box_muller(x.z, x.w));
}
