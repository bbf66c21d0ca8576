/* Counter-based RNG (hb_randn) vs src/ref/ref_rng.c: Random123 known answers, GPU vs C
 * reference, reproducibility, independence across seed/stream/counter, replay with a bumped
 * counter, and statistical checks (moments, correlations, normality). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref/ref.h"
#include "testutil.h"

static void kat(void) {
    /* Random123 tests/kat_vectors, "philox4x32 10" lines: ctr[4] key[2] -> out[4] */
    static const uint32_t v[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    for (int i = 0; i < 3; i++) {
        uint32_t out[4];
        ref_philox4x32(v[i], v[i] + 4, out);
        tu_check(memcmp(out, v[i] + 6, sizeof out) == 0,
                 "philox4x32-10 known answer %d: %08x %08x %08x %08x", i, out[0], out[1], out[2],
                 out[3]);
    }
}

/* One draw of n values into a fresh (possibly misaligned) tensor. */
static float *draw(hb_ctx *ctx, hb_tensor ctr, size_t n, uint32_t shift, uint64_t seed,
                   uint32_t stream) {
    hb_tensor big = hb_alloc(ctx, n + shift);
    hb_tensor y = hb_slice(big, shift, (uint32_t)n);
    TU_RUN(ctx, cmd, hb_randn(cmd, y, ctr, seed, stream));
    float *r = tu_download(ctx, y);
    hb_free(ctx, big);
    return r;
}

static void set_counter(hb_ctx *ctx, hb_tensor ctr, uint32_t c) {
    float f = (float)c;
    hb_upload(ctx, ctr, &f);
}

static void vs_ref(hb_ctx *ctx, hb_tensor ctr, size_t n, uint32_t shift, uint64_t seed,
                   uint32_t stream, uint32_t counter) {
    set_counter(ctx, ctr, counter);
    float *a = draw(ctx, ctr, n, shift, seed, stream);
    float *b = draw(ctx, ctr, n, shift, seed, stream);
    tu_check(memcmp(a, b, n * sizeof *a) == 0, "randn n%zu shift%u: two runs bit-identical", n,
             shift);
    float *r = malloc(n * sizeof *r);
    ref_randn(r, n, seed, stream, counter);
    double *want = tu_to_double(r, n);
    char what[128];
    snprintf(what, sizeof what, "randn vs ref n%zu shift%u seed%llx stream%u counter%u", n, shift,
             (unsigned long long)seed, stream, counter);
    tu_close(what, a, want, n, 3e-6, 3e-6); /* ~1 ulp seen on lavapipe */
    free(a), free(b), free(r), free(want);
}

static size_t count_equal(const float *a, const float *b, size_t n) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += a[i] == b[i];
    return k;
}

static double corr(const float *a, const float *b, size_t n) {
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (size_t i = 0; i < n; i++) {
        sa += a[i], sb += b[i], saa += (double)a[i] * a[i], sbb += (double)b[i] * b[i];
        sab += (double)a[i] * b[i];
    }
    double ma = sa / n, mb = sb / n;
    return (sab / n - ma * mb) / sqrt((saa / n - ma * ma) * (sbb / n - mb * mb));
}

static void stats(const char *what, const float *x, size_t n) {
    double s = 0, ss = 0;
    size_t in1 = 0, in2 = 0, finite = 1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) finite = 0;
        s += x[i], ss += (double)x[i] * x[i];
        in1 += fabsf(x[i]) < 1, in2 += fabsf(x[i]) < 2;
    }
    double mean = s / n, var = ss / n - mean * mean, rn = sqrt((double)n);
    tu_check(finite, "%s: all finite", what);
    tu_check(fabs(mean) < 5 / rn, "%s: mean %.5f (bound %.5f)", what, mean, 5 / rn);
    tu_check(fabs(var - 1) < 5 * sqrt(2.0 / n), "%s: variance %.5f (bound 1 +- %.5f)", what, var,
             5 * sqrt(2.0 / n));
    const double p1 = 0.682689492137086, p2 = 0.954499736103642;
    double f1 = (double)in1 / n, f2 = (double)in2 / n;
    tu_check(fabs(f1 - p1) < 5 * sqrt(p1 * (1 - p1) / n), "%s: P(|z|<1) %.5f (want %.5f)", what,
             f1, p1);
    tu_check(fabs(f2 - p2) < 5 * sqrt(p2 * (1 - p2) / n), "%s: P(|z|<2) %.5f (want %.5f)", what,
             f2, p2);
    /* adjacent elements: lanes of one block (lag 1, 2) and across blocks (lag 4) */
    for (size_t lag = 1; lag <= 4; lag++) {
        double c = corr(x, x + lag, n - lag);
        tu_check(fabs(c) < 5 / rn, "%s: lag-%zu autocorrelation %.5f", what, lag, c);
    }
    /* the two halves of each Box-Muller pair: z0^2 and z1^2 uncorrelated too */
    size_t m = n / 4;
    float *a = malloc(m * sizeof *a), *b = malloc(m * sizeof *b);
    for (size_t i = 0; i < m; i++) a[i] = x[4 * i] * x[4 * i], b[i] = x[4 * i + 1] * x[4 * i + 1];
    double c = corr(a, b, m);
    tu_check(fabs(c) < 5 / sqrt((double)m), "%s: corr(z0^2, z1^2) within pairs %.5f", what, c);
    free(a), free(b);
}

int main(void) {
    hb_ctx *ctx = tu_ctx();
    kat();
    hb_tensor ctr = hb_alloc(ctx, 1);

    const size_t sizes[] = {1, 5, 4099, 4096};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (uint32_t shift = 0; shift <= 1; shift++) {
            vs_ref(ctx, ctr, sizes[i], shift, 42, 0, 0);
            vs_ref(ctx, ctr, sizes[i], shift, 0x123456789abcdef0ull, 7, 12345);
        }

    /* a large draw, both paths */
    const size_t n = 1u << 20;
    vs_ref(ctx, ctr, n, 0, 2024, 3, 9);
    vs_ref(ctx, ctr, n + 3, 1, 2024, 3, 9);

    /* changing seed (either half), stream or counter changes (nearly) every value */
    set_counter(ctx, ctr, 5);
    float *base = draw(ctx, ctr, n, 0, 11, 1);
    float *other_stream = draw(ctx, ctr, n, 0, 11, 2);
    float *other_seed = draw(ctx, ctr, n, 0, 12, 1);
    float *other_seed_hi = draw(ctx, ctr, n, 0, 11 | (1ull << 32), 1);
    set_counter(ctx, ctr, 6);
    float *other_counter = draw(ctx, ctr, n, 0, 11, 1);
    const float *others[] = {other_stream, other_seed, other_seed_hi, other_counter};
    const char *names[] = {"stream", "seed", "seed high word", "counter"};
    for (int k = 0; k < 4; k++) {
        size_t eq = count_equal(base, others[k], n);
        tu_check(eq < 16, "different %s: %zu of %zu values equal", names[k], eq, n);
        double c = corr(base, others[k], n);
        tu_check(fabs(c) < 5 / sqrt((double)n), "different %s: correlation %.5f", names[k], c);
    }

    /* a process holding rows from element `first` on draws exactly those of the whole draw,
     * through both paths (vec4 and scalar) */
    set_counter(ctx, ctr, 5);
    for (uint32_t first = 4; first <= 4096; first *= 32)
        for (uint32_t len = 4093; len <= 4096; len += 3) {
            hb_tensor part = hb_alloc(ctx, len);
            TU_RUN(ctx, cmd, hb_randn_at(cmd, part, ctr, 11, 1, first));
            float *p = tu_download(ctx, part);
            tu_check(memcmp(p, base + first, len * sizeof *p) == 0,
                     "randn_at first %u, %u values: the whole draw's from element %u", first, len,
                     first);
            free(p);
            hb_free(ctx, part);
        }

    stats("randn 1M", base, n);
    stats("randn 1M counter+1", other_counter, n);

    /* replay: one recording, counter bumped by the host between submits */
    {
        const size_t m = 4099;
        hb_tensor y = hb_alloc(ctx, m);
        hb_cmd *cmd = hb_cmd_create(ctx);
        hb_cmd_begin(cmd);
        hb_randn(cmd, y, ctr, 99, 4);
        hb_cmd_end(cmd);
        float *r = malloc(m * sizeof *r), *prev = NULL;
        for (uint32_t it = 0; it < 3; it++) {
            set_counter(ctx, ctr, 100 + it);
            hb_cmd_run(cmd);
            float *got = tu_download(ctx, y);
            ref_randn(r, m, 99, 4, 100 + it);
            double *want = tu_to_double(r, m);
            char what[64];
            snprintf(what, sizeof what, "replay %u (counter %u)", it, 100 + it);
            tu_close(what, got, want, m, 3e-6, 3e-6);
            if (prev) tu_check(count_equal(prev, got, m) < 4, "replay %u draws fresh noise", it);
            free(prev), free(want);
            prev = got;
        }
        free(prev), free(r);
        hb_cmd_destroy(cmd);
    }

    free(base), free(other_stream), free(other_seed), free(other_seed_hi), free(other_counter);
    return tu_finish(ctx);
}
