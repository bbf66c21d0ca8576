/* FID statistics to and from .npz files (mu, sigma), the form published reference statistics
 * take. */
#include <math.h>
#include <string.h>

#include "eval/fid.h"
#include "io/files.h"
#include "io/npz.h"

int hb_fid_stats_save_npz(const char *path, const hb_fid_stats *s, char *err, size_t errlen) {
    const char *names[2] = {"mu", "sigma"};
    hb_npz_array a[2] = {{1, {s->dim}, (size_t)s->dim, s->mean},
                         {2, {s->dim, s->dim}, (size_t)s->dim * s->dim, s->cov}};
    return hb_npz_write(path, 2, names, a, err, errlen);
}

static int all_finite(const hb_npz_array *a) {
    for (size_t i = 0; i < a->n; i++)
        if (!isfinite(a->data[i])) return 0;
    return 1;
}

int hb_fid_stats_load_npz(const char *path, hb_fid_stats *out, char *err, size_t errlen) {
    hb_npz_array mu, sigma;
    memset(out, 0, sizeof *out);
    if (hb_npz_read(path, "mu", &mu, err, errlen)) return -1;
    if (hb_npz_read(path, "sigma", &sigma, err, errlen)) {
        hb_npz_array_free(&mu);
        return -1;
    }
    int rc = -1;
    if (mu.ndim != 1 || mu.shape[0] < 1 || mu.shape[0] > 65536)
        hb_errorf(err, errlen, "%s: mu must be a vector of 1..65536 values", path);
    else if (sigma.ndim != 2 || sigma.shape[0] != mu.shape[0] || sigma.shape[1] != mu.shape[0])
        hb_errorf(err, errlen, "%s: sigma must be %lld x %lld, like mu's length", path,
                  (long long)mu.shape[0], (long long)mu.shape[0]);
    else if (!all_finite(&mu) || !all_finite(&sigma))
        hb_errorf(err, errlen, "%s: mu or sigma holds NaN or Inf", path);
    else {
        *out = (hb_fid_stats){(int)mu.shape[0], 0, mu.data, sigma.data};
        return 0;
    }
    hb_npz_array_free(&mu), hb_npz_array_free(&sigma);
    return rc;
}
