/* Reference for src/ops/xent.c. */
#include <math.h>

#include "ref/ref.h"

double ref_softmax_xent(double *loss, double *correct, double *grad, const double *logits,
                        const int *labels, int N, int C, double scale) {
    double total = 0;
    for (int n = 0; n < N; n++) {
        const double *l = logits + (size_t)n * C;
        int arg = 0;
        for (int c = 1; c < C; c++)
            if (l[c] > l[arg]) arg = c;
        double sum = 0;
        for (int c = 0; c < C; c++) sum += exp(l[c] - l[arg]);
        double row = log(sum) - (l[labels[n]] - l[arg]);
        total += row;
        if (loss) loss[n] = row;
        if (correct) correct[n] = arg == labels[n];
        if (grad)
            for (int c = 0; c < C; c++)
                grad[(size_t)n * C + c] = scale * (exp(l[c] - l[arg]) / sum - (c == labels[n]));
    }
    return scale * total;
}
