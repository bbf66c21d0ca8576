/* Reference for src/ops/rng.c: the same Philox4x32-10 and Box-Muller as shaders/philox.glsl.
 * The uint32 stream is bit-exact; the normals are the exact (double) Box-Muller of the same
 * bits, which the shader's float version matches to about 1e-6. */
#include <math.h>

#include "ref/ref.h"

void ref_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3], k0 = key[0], k1 = key[1];
    for (int r = 0; r < 10; r++) {
        if (r > 0) k0 += 0x9E3779B9u, k1 += 0xBB67AE85u;
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
        uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
        c0 = hi1 ^ c1 ^ k0;
        c1 = lo1;
        c2 = hi0 ^ c3 ^ k1;
        c3 = lo0;
    }
    out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

static void box_muller(uint32_t a, uint32_t b, float out[2]) {
    double u1 = (double)((a >> 8) + 1u) * 0x1p-24;
    double theta = M_PI * (double)((int32_t)(b >> 8) - 8388608) * 0x1p-23;
    double r = sqrt(-2.0 * log(u1));
    out[0] = (float)(r * sin(theta));
    out[1] = (float)(r * cos(theta));
}

void ref_randn(float *out, size_t n, uint64_t seed, uint32_t stream, uint32_t counter) {
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    for (size_t b = 0; b * 4 < n; b++) {
        uint32_t ctr[4] = {(uint32_t)b, stream, counter, 0}, x[4];
        float z[4];
        ref_philox4x32(ctr, key, x);
        box_muller(x[0], x[1], z);
        box_muller(x[2], x[3], z + 2);
        for (size_t k = 0; k < 4 && b * 4 + k < n; k++) out[b * 4 + k] = z[k];
    }
}
