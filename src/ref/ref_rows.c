/* Reference for src/ops/rows.c. */
#include "ref/ref.h"

void ref_gather_rows(double *dst, const double *table, const double *index, int rows, int cols) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) dst[(size_t)r * cols + j] = table[(size_t)index[r] * cols + j];
}

void ref_scatter_rows(double *table, const double *src, const double *index, int rows, int cols) {
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < cols; j++) table[(size_t)index[r] * cols + j] = src[(size_t)r * cols + j];
}
