/* Plain C double-precision references for every op in src/ops/ops.h: the ground truth the
 * GPU kernels are tested against (tests/test_*.c). Same shapes and conventions as ops.h;
 * outputs are overwritten unless `accumulate`. Straightforward loops, no cleverness. */
#ifndef HB_REF_H
#define HB_REF_H

#include <stddef.h>
#include <stdint.h>

/* convolution, stride 1, padding k/2 (ref_conv2d.c) */
void ref_conv2d_forward(double *out, const double *in, const double *w, const double *b, int N,
                        int cin, int cout, int H, int W, int k);
void ref_conv2d_backward_data(double *gin, const double *gout, const double *w, int N, int cin,
                              int cout, int H, int W, int k);
void ref_conv2d_backward_weight(double *gw, double *gb, const double *in, const double *gout,
                                int N, int cin, int cout, int H, int W, int k);
/* any kernel kh x kw, stride, zero padding pad_h, pad_w per side, out [N][cout][Ho][Wo] */
void ref_conv2d_general(double *out, const double *in, const double *w, const double *b, int N,
                        int cin, int cout, int H, int W, int kh, int kw, int stride, int pad_h,
                        int pad_w);

/* linear (ref_linear.c) */
void ref_linear_forward(double *y, const double *x, const double *w, const double *b, int N,
                        int in, int out);
void ref_linear_backward_data(double *gx, const double *gy, const double *w, int N, int in,
                              int out);
void ref_linear_backward_weight(double *gw, double *gb, const double *x, const double *gy, int N,
                                int in, int out);

/* elementwise (ref_eltwise.c) */
void ref_relu(double *y, const double *x, size_t n);
void ref_relu_backward(double *gx, const double *gy, const double *x, size_t n);
void ref_tanh(double *y, const double *x, double scale, size_t n);
void ref_tanh_backward(double *gx, const double *gy, const double *y, double scale, size_t n);
void ref_affine(double *y, const double *x, const double *gamma, const double *beta, int N, int C,
                int HW);
void ref_affine_backward(double *gx, double *ggamma, double *gbeta, const double *gy,
                         const double *x, const double *gamma, int N, int C, int HW);

/* pooling (ref_pool.c) */
void ref_avgpool2(double *y, const double *x, int N, int C, int H, int W);
void ref_avgpool2_backward(double *gx, const double *gy, int N, int C, int H, int W);
void ref_global_avgpool(double *y, const double *x, int N, int C, int HW);
void ref_global_avgpool_backward(double *gx, const double *gy, int N, int C, int HW);
/* k x k max or average (count_include_pad=False) pooling with stride and padding, as hb_pool2d
 * with y [N][C][Ho][Wo] */
void ref_pool2d(double *y, const double *x, int N, int C, int H, int W, int max, int k, int stride,
                int pad);

/* upsampling (ref_upsample.c) */
void ref_upsample2_bilinear(double *y, const double *x, int N, int C, int H, int W);
void ref_upsample2_bilinear_backward(double *gx, const double *gy, int N, int C, int H, int W);
void ref_upsample2_nearest(double *y, const double *x, int N, int C, int H, int W);
void ref_upsample2_nearest_backward(double *gx, const double *gy, int N, int C, int H, int W);
/* bilinear resize to Ho x Wo, half-pixel centres (F.interpolate, align_corners=False) */
void ref_resize_bilinear(double *y, const double *x, int N, int C, int H, int W, int Ho, int Wo);

/* reductions (ref_reduce.c) */
double ref_sum(const double *x, size_t n);
double ref_sumsq(const double *x, size_t n);
void ref_sqnorm_rows(double *out, const double *x, int rows, int cols);
void ref_channel_sum(double *out, const double *x, const double *y, int N, int C, int HW);

/* MSE loss (ref_mse.c) */
double ref_mse(double *grad, const double *a, const double *b, size_t n, double factor);

/* softmax cross-entropy (ref_xent.c): returns scale * sum of the row losses; loss, correct and
 * grad (each may be NULL) as hb_softmax_xent */
double ref_softmax_xent(double *loss, double *correct, double *grad, const double *logits,
                        const int *labels, int N, int C, double scale);

/* RNG (ref_rng.c): the same Philox4x32-10 and Box-Muller as shaders/philox.glsl */
void ref_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);
void ref_randn(float *out, size_t n, uint64_t seed, uint32_t stream, uint32_t counter);

/* optimiser (ref_adam.c): one step on n elements, in place */
void ref_adam(double *p, const double *g, double *m, double *v, double *ema, size_t n, double lr,
              int step, double beta1, double beta2, double eps, double ema_decay,
              double max_grad_norm);

/* Langevin (ref_langevin.c): one step on x [N][D] in place, noise given */
void ref_langevin_step(double *x, const double *grad, const float *noise, int N, int D,
                       double eps, double grad_scale, double max_norm, double tau);

/* row gather / scatter (ref_rows.c) */
void ref_gather_rows(double *dst, const double *table, const double *index, int rows, int cols);
void ref_scatter_rows(double *table, const double *src, const double *index, int rows, int cols);

#endif
