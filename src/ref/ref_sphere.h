/* Double-precision references for src/ops/sphere.c. */
#ifndef HB_REF_SPHERE_H
#define HB_REF_SPHERE_H

/* z = sqrt(D) * x / (||x|| + 1e-6) per sample; x, z: [N][D] */
void ref_sphere(double *z, const double *x, int N, int D);
/* gx = d(sum z*gz)/dx (at x = 0: sqrt(D)/1e-6 * gz) */
void ref_sphere_backward(double *gx, const double *gz, const double *x, int N, int D);

#endif
