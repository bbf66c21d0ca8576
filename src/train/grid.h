/* PNG sample grids laid out like the paper's Figure 3: one column per chain, rows X, G(Z) and
 * the residual Y magnified around gray. */
#ifndef HB_GRID_H
#define HB_GRID_H

#include <stddef.h>

/* x, g, y: [n][nch][res][res] in [-1, 1] (values outside are clipped); y is shown as
 * clip(mag * y) so 0 is mid-gray. Written atomically (hb_atomic_write). 0 or -1 + err. */
int hb_write_grid(const char *path, const float *x, const float *g, const float *y, int n, int nch,
                  int res, float mag, char *err, size_t errlen);

#endif
