/* Reference for src/ops/adam.c: one Adam step with global-norm clipping and weight EMA. */
#include <math.h>

#include "ref/ref.h"

void ref_adam(double *p, const double *g, double *m, double *v, double *ema, size_t n, double lr,
              int step, double beta1, double beta2, double eps, double ema_decay,
              double max_grad_norm) {
    double scale = 1;
    if (max_grad_norm > 0) { /* tf.clip_by_global_norm */
        double sq = 0;
        for (size_t i = 0; i < n; i++) sq += g[i] * g[i];
        double norm = sqrt(sq);
        scale = max_grad_norm / (norm > max_grad_norm ? norm : max_grad_norm);
    }
    double bc1 = 1 - pow(beta1, step), bc2 = 1 - pow(beta2, step);
    for (size_t i = 0; i < n; i++) {
        double gi = g[i] * scale;
        m[i] = beta1 * m[i] + (1 - beta1) * gi;
        v[i] = beta2 * v[i] + (1 - beta2) * gi * gi;
        p[i] -= lr * (m[i] / bc1) / (sqrt(v[i] / bc2) + eps);
        if (ema) ema[i] = ema_decay * ema[i] + (1 - ema_decay) * p[i];
    }
}
