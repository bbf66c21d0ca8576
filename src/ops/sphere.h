/* Sphere projection (shaders/sphere.comp, src/ops/sphere.c; reference src/ref/ref_sphere.c):
 * the retrofit encoder's latent projection. x, z: [N][D].
 *   z = sqrt(D) * x / (||x|| + 1e-6)  per sample
 * scratch: at least 2*N floats; afterwards scratch[s] = ||x_s|| and (backward)
 * scratch[N + s] = x_s . gz_s. One workgroup per sample, deterministic. */
#ifndef HB_SPHERE_H
#define HB_SPHERE_H

#include "ops/ops.h"

void hb_sphere(hb_cmd *cmd, hb_tensor z, hb_tensor x, hb_tensor scratch, int N, int D);
/* gx = d(sum z*gz)/dx = s*gz - sqrt(D) * (x.gz) / ((n + 1e-6)^2 * n) * x, with n = ||x||,
 * s = sqrt(D)/(n + 1e-6); at n = 0 (x = 0) gx = s*gz. Overwritten. */
void hb_sphere_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gz, hb_tensor x, hb_tensor scratch,
                        int N, int D);

#endif
