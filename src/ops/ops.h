/* The op library: GPU kernels (shaders/NAME.comp) recorded into a command buffer.
 *
 * Conventions (like llm.c: forward and backward side by side):
 * - fp32, NCHW. Shapes are passed explicitly; tensors must hold at least the elements the
 *   shape implies (checked, with a fatal error naming the op).
 * - An optional tensor (a bias, say) is passed as HB_NONE.
 * - "accumulate" = 1 adds the result to what the output holds; 0 overwrites it.
 * - Ops only record; nothing runs until hb_cmd_submit. A recording can be replayed, so every
 *   value that changes between replays (iteration number, learning rate after bias
 *   correction) is read by the kernels from a small device tensor, never baked in.
 * Each op has a plain C double-precision reference in src/ref/ and a test in tests/. */

/* File names: op NAME has its kernel in shaders/NAME.comp, its dispatch in src/ops/NAME.c, its
 * reference in src/ref/ref_NAME.c and its test in tests/test_NAME.c (adam, eltwise, linear,
 * mse, pool, reduce, rng, rows, sphere, upsample, xent; pool2d and resize but for their
 * references). What else there is:
 *
 *   op or file               exception
 *   ------------------------ -------------------------------------------------------------
 *   conv2d                   kernels shaders/conv2d*.comp, their includes conv2d_wino*.glsl;
 *                            the general geometry (any kernel, stride, padding; forward) in
 *                            src/ops/conv2d_general.c, tested in tests/test_conv2d_general.c
 *   pool2d, resize           references in src/ref/ref_pool.c and ref_upsample.c, beside
 *                            their 2x cousins
 *   langevin                 two kernels: shaders/langevin_norm.comp (per-sample norm), then
 *                            langevin.comp (the update)
 *   sphere                   declared in src/ops/sphere.h and src/ref/ref_sphere.h, not here
 *                            and in ref.h
 *   affine_backward_params   an elementwise op (below) run by reduce.c on reduce.comp and
 *                            tested in tests/test_reduce.c
 *   shaders/common.glsl      included by every kernel: bindings, 1-D indexing, wide stores
 *   shaders/philox.glsl      the Philox RNG of rng.comp and langevin.comp (C twin: ref_rng.c)
 *   shaders/reduce.glsl      the workgroup sum of reduce.comp and mse.comp
 *   reduce_subgroup.comp     reduce.comp (whose body is shaders/reduce_main.glsl) with that
 *                            sum by subgroupAdd: the gpu profile's, where the device has it
 *   src/ops/op_common.[ch]   helpers of every dispatcher
 *   tests/shaders/           kernels of the tests alone (iota: tests/test_runtime.c), linked
 *                            into the test executables only */
#ifndef HB_OPS_H
#define HB_OPS_H

#include "vk/hb_vk.h"

#define HB_NONE ((hb_tensor){0})

/* Fatal error unless t holds at least n floats. */
void hb_require(const char *op, const char *what, hb_tensor t, uint64_t n);
/* Outputs of a sliding window of k taps with `stride` (<= 0: 1) over `in` values padded by
 * `pad` on each side, (in + 2 pad - k) / stride + 1: the general convolution's and pool2d's
 * output height and width. */
int hb_window_out(int in, int k, int stride, int pad);

/* ---- convolution (shaders/conv2d*.comp, src/ops/conv2d.c) ----
 * One entry point per pass, each taking a descriptor: the shape and the fusions the pass
 * carries around the convolution (its prologue and epilogue). hb_conv2d_supports says which
 * fusions a shape runs; the graph's fusion plan (src/nn/fusion.c) asks it and nothing else.
 * Stride 1, kernel k in {1, 3}, zero padding k/2. w: [cout][cin][k][k] (PyTorch layout),
 * b: [cout] or HB_NONE. in: [N][cin][H][W], out: [N][cout][H][W] (pool: [H/2][W/2]).
 * workspace: scratch of hb_conv2d_workspace floats, or HB_NONE. 3x3 layers with enough
 * channels run by Winograd in it (images in chunks when it holds fewer than N); without one
 * (or too small for one image) the direct kernel runs. prepared: w's Winograd transform made
 * by hb_conv2d_prepare, or HB_NONE. */
typedef enum {
    HB_CONV2D_FORWARD = 1,
    HB_CONV2D_BACKWARD_DATA = 2,
    HB_CONV2D_BACKWARD_WEIGHT = 4,
    HB_CONV2D_ALL_PASSES = 7,
} hb_conv2d_pass;

/* A 3x3 stem conv (1..4 input channels, with bias) whose relu'd output the convolution reads
 * without it being stored: its input is relu(conv3x3(x, w) + b), x [N][cin][H][W], w
 * [C][cin][3][3], b [C] (C: the convolution's cin). */
typedef struct {
    hb_tensor x, w, b;
    int cin;
} hb_conv2d_stem;

typedef struct {
    int N, cin, cout, H, W, k;
    /* Fusions (zero: none). Forward: */
    int relu;             /* epilogue: out = max(conv, 0) */
    int relu_in;          /* prologue: the conv of relu(in), in the Winograd input transform */
    hb_conv2d_stem stem;  /* prologue (stem.x set): in is the stem's output, computed from x;
                           * backward data: gin masked by the stem's relu, recomputed from x */
    hb_tensor shortcut_w, shortcut_b; /* epilogue, with a stem and pool: out += the 1x1 conv
                           * (w [cout][stem cin], bias [cout]) of avgpool2(stem x) */
    /* Both passes: */
    int pool;             /* forward: out = avgpool2(conv) (H, W even), the full-resolution
                           * convolution never written; backward data: gout is the pooling's
                           * gradient [N][cout][H/2][W/2] */
    hb_tensor residual;   /* forward: out = conv + residual; backward data: gin = .. + residual
                           * (shaped like out, or gin): an add fused into the epilogue */
    /* Backward data: */
    hb_tensor relu_mask;  /* gin = [relu_mask > 0] * ..: the backward pass of a relu whose
                           * output this conv reads (relu_mask: its input or output) */
    int accumulate;       /* gin += .. */
    /* General geometry, forward only (the direct kernel shaders/conv2d_general.comp; of the
     * fusions only relu): kh > 0 makes the kernel kh x kw (w [cout][cin][kh][kw]) with `stride`
     * (0: 1) and pad_h, pad_w zeros on each side, out [N][cout][Ho][Wo] (hb_window_out).
     * kh == 0: k x k, stride 1, padding k/2 as above. Its prepared weights (hb_conv2d_prepare,
     * forward) are w rearranged for vec4 reads. */
    int kh, kw, stride, pad_h, pad_w;
    /* Concatenation, forward only (the general kernel): out_c_total > 0 means out holds
     * out_c_total channels per image and the result fills channels [out_c_off, + cout). */
    int out_c_off, out_c_total;
} hb_conv2d_desc;

/* 1 when `pass` runs with d's fusions for d's shape (the tensors' alignment aside: a stem's
 * x and the pooled ops' tensors start on a vec4; the pooled and stem variants need the
 * workspace hb_conv2d_workspace asks for). */
int hb_conv2d_supports(const hb_conv2d_desc *d, hb_conv2d_pass pass);
/* Floats of scratch the fastest path of the passes in `passes` (a mask) wants for d's shape,
 * whatever the fusions. */
size_t hb_conv2d_workspace(hb_ctx *ctx, const hb_conv2d_desc *d, unsigned passes);
/* Weights prepared once for many passes (a Langevin chain, where they do not change): the
 * Winograd transform `pass` (forward or backward data) makes of w, with d->pool also the
 * pooled form. *prepared is allocated on first use and left HB_NONE when the pass does not
 * run by Winograd; valid until w changes. */
void hb_conv2d_prepare(hb_cmd *cmd, const hb_conv2d_desc *d, hb_conv2d_pass pass, hb_tensor w,
                       hb_tensor *prepared);
void hb_conv2d_forward(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor out, hb_tensor in,
                       hb_tensor w, hb_tensor b, hb_tensor prepared, hb_tensor workspace);
/* gin = d(sum out*gout)/d in, with d's fusions */
void hb_conv2d_backward_data(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor gin,
                             hb_tensor gout, hb_tensor w, hb_tensor prepared,
                             hb_tensor workspace);
/* gw (and gb unless HB_NONE) = gradients of sum(out*gout), overwritten; no fusions. By
 * Winograd (3x3, >= 48 channels each way) as many images per chunk as the workspace holds,
 * else the direct kernel's partial sums in it. */
void hb_conv2d_backward_weight(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor gw,
                               hb_tensor gb, hb_tensor in, hb_tensor gout, hb_tensor workspace);

/* ---- linear (shaders/linear.comp, src/ops/linear.c) ----
 * y[N][out] = x[N][in] * w[out][in]^T + b[out] (b may be HB_NONE). */
void hb_linear_forward(hb_cmd *cmd, hb_tensor y, hb_tensor x, hb_tensor w, hb_tensor b, int N,
                       int in, int out);
void hb_linear_backward_data(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor w, int N,
                             int in, int out, int accumulate);
/* gw, gb (gb may be HB_NONE) overwritten. */
void hb_linear_backward_weight(hb_cmd *cmd, hb_tensor gw, hb_tensor gb, hb_tensor x,
                               hb_tensor gy, int N, int in, int out);

/* ---- elementwise (shaders/eltwise.comp, src/ops/eltwise.c); n = y.n unless stated ---- */
void hb_fill(hb_cmd *cmd, hb_tensor y, float value);
/* y = alpha*x + beta*y (beta 0: y = alpha*x; scale and axpy are special cases) */
void hb_axpby(hb_cmd *cmd, hb_tensor y, hb_tensor x, float alpha, float beta);
void hb_add(hb_cmd *cmd, hb_tensor c, hb_tensor a, hb_tensor b); /* c = a + b */
void hb_relu(hb_cmd *cmd, hb_tensor y, hb_tensor x);
void hb_relu_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor x, int accumulate);
/* y = scale * tanh(x) */
void hb_tanh(hb_cmd *cmd, hb_tensor y, hb_tensor x, float scale);
/* gx = gy * scale * (1 - tanh(x)^2), from y = scale*tanh(x) */
void hb_tanh_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor y, float scale);
/* Frozen batch norm: y = gamma[c]*x + beta[c], x: [N][C][HW] */
void hb_affine(hb_cmd *cmd, hb_tensor y, hb_tensor x, hb_tensor gamma, hb_tensor beta, int N,
               int C, int HW);
/* relu(affine(x)) in one pass: a batch norm and the relu after it */
void hb_affine_relu(hb_cmd *cmd, hb_tensor y, hb_tensor x, hb_tensor gamma, hb_tensor beta,
                    int N, int C, int HW);
void hb_affine_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor gamma, int N, int C,
                        int HW, int accumulate);
/* ggamma[c] = sum gy*x, gbeta[c] = sum gy over n and pixels; overwritten. */
void hb_affine_backward_params(hb_cmd *cmd, hb_tensor ggamma, hb_tensor gbeta, hb_tensor gy,
                               hb_tensor x, int N, int C, int HW);

/* ---- pooling (shaders/pool.comp, src/ops/pool.c) ---- */
/* 2x2 average pool, stride 2: x [N][C][H][W] -> y [N][C][H/2][W/2] (H, W even) */
void hb_avgpool2(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int H, int W);
void hb_avgpool2_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, int N, int C, int H, int W,
                          int accumulate);
/* Global average pool: x [N][C][HW] -> y [N][C] */
void hb_global_avgpool(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int HW);
void hb_global_avgpool_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, int N, int C, int HW);
/* global average pooling of relu(x) (the relu never stored), and its backward pass into x:
 * gx = [x > 0] * gy / HW */
void hb_global_avgpool_relu(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int HW);
void hb_global_avgpool_relu_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, hb_tensor x, int N,
                                     int C, int HW);

/* ---- pooling of any window, forward only (shaders/pool2d.comp, src/ops/pool2d.c) ----
 * k x k windows with `stride` (0: 1) and `pad` on each side (pad < k), x [N][C][H][W] -> y
 * [N][c_total][Ho][Wo], Ho = (H + 2 pad - k) / stride + 1 (hb_window_out). max: the
 * largest tap inside the image; else the average of the taps inside it (PyTorch's
 * count_include_pad=False). out_c_total > 0: y holds that many channels per image and the
 * result fills channels [out_c_off, + C) (a concatenation's branch); 0: c_total = C. */
typedef struct {
    int N, C, H, W;
    int max, k, stride, pad;
    int out_c_off, out_c_total;
} hb_pool2d_desc;
void hb_pool2d(hb_cmd *cmd, const hb_pool2d_desc *d, hb_tensor y, hb_tensor x);

/* ---- bilinear resize to any size (shaders/resize.comp, src/ops/resize.c), forward only ----
 * x [N][C][H][W] -> y [N][C][Ho][Wo] like PyTorch's F.interpolate(size=(Ho, Wo),
 * mode='bilinear', align_corners=False). */
void hb_resize_bilinear(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int H, int W, int Ho,
                        int Wo);

/* ---- 2x upsampling (shaders/upsample.comp, src/ops/upsample.c) ----
 * x [N][C][H][W] -> y [N][C][2H][2W]. Bilinear uses half-pixel centres, like PyTorch's
 * interpolate(scale_factor=2, mode='bilinear', align_corners=False). */
void hb_upsample2_bilinear(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int H, int W);
void hb_upsample2_bilinear_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, int N, int C, int H,
                                    int W);
void hb_upsample2_nearest(hb_cmd *cmd, hb_tensor y, hb_tensor x, int N, int C, int H, int W);
void hb_upsample2_nearest_backward(hb_cmd *cmd, hb_tensor gx, hb_tensor gy, int N, int C, int H,
                                   int W);

/* ---- reductions (shaders/reduce.comp, src/ops/reduce.c); results overwritten ---- */
/* out[0] = scale * sum(x)  (mean: scale = 1/n) */
void hb_reduce_sum(hb_cmd *cmd, hb_tensor out, hb_tensor x, float scale);
/* out[0] = scale * sum(x^2) */
void hb_reduce_sumsq(hb_cmd *cmd, hb_tensor out, hb_tensor x, float scale);
/* out[r] = sum_j x[r][j]^2 for x [rows][cols]: per-sample squared L2 norm */
void hb_sqnorm_rows(hb_cmd *cmd, hb_tensor out, hb_tensor x, int rows, int cols);
/* out[c] = sum over n, p of x[n][c][p] (times y[n][c][p] unless y is HB_NONE) */
void hb_channel_sum(hb_cmd *cmd, hb_tensor out, hb_tensor x, hb_tensor y, int N, int C, int HW);

/* ---- MSE (shaders/mse.comp, src/ops/mse.c) ----
 * loss[0] = factor * mean((a-b)^2); grad (unless HB_NONE) = d loss / d a. */
void hb_mse(hb_cmd *cmd, hb_tensor loss, hb_tensor grad, hb_tensor a, hb_tensor b, float factor);

/* ---- softmax cross-entropy (shaders/xent.comp, src/ops/xent.c) ----
 * logits [N][C], labels [N] (class indices as floats, each in 0..C-1). Per row n: loss[n] =
 * -log softmax(logits[n])[label], correct[n] = 1 when the first arg-max is the label else 0,
 * and (unless grad is HB_NONE) grad[n] = scale * (softmax(logits[n]) - onehot(label)): the
 * gradient of scale * sum(loss). */
void hb_softmax_xent(hb_cmd *cmd, hb_tensor loss, hb_tensor correct, hb_tensor grad,
                     hb_tensor logits, hb_tensor labels, int N, int C, float scale);

/* ---- counter-based RNG (shaders/philox.glsl, shaders/rng.comp, src/ops/rng.c) ----
 * Philox4x32-10 keyed by seed; element i of draw (stream, counter) is a pure function of
 * (seed, stream, counter[0], i). counter: a device tensor whose element 0 holds a
 * non-negative integer as a float (the iteration), so replays of one recording draw new
 * noise when the host bumps it. */
void hb_randn(hb_cmd *cmd, hb_tensor out, hb_tensor counter, uint64_t seed, uint32_t stream);
/* Elements first..first+out.n-1 of that draw (first % 4 == 0): a process holding rows r.. of a
 * batch draws, with first = r * row size, exactly what one process draws for those rows. */
void hb_randn_at(hb_cmd *cmd, hb_tensor out, hb_tensor counter, uint64_t seed, uint32_t stream,
                 uint32_t first);

/* ---- Adam + weight EMA (shaders/adam.comp, src/ops/adam.c) ----
 * hyper: device tensor [4] = {lr, 1 - beta1^t, 1 - beta2^t, unused} written by the host
 * before each submit (hb_adam_hyper). grad_sqnorm: device tensor [1] with the global
 * squared gradient norm (hb_reduce_sumsq over the flat gradient) when max_grad_norm > 0,
 * else HB_NONE. Per element: g *= min(1, max_norm/||g||); m, v updated; p -= lr * mhat /
 * (sqrt(vhat) + eps); ema = decay*ema + (1-decay)*p. */
typedef struct {
    float beta1, beta2, eps, ema_decay, max_grad_norm;
} hb_adam_cfg;
void hb_adam_hyper(float out[4], const hb_adam_cfg *cfg, float lr, int step /* 1-based */);
void hb_adam(hb_cmd *cmd, hb_tensor param, hb_tensor grad, hb_tensor m, hb_tensor v,
             hb_tensor ema, hb_tensor hyper, hb_tensor grad_sqnorm, const hb_adam_cfg *cfg);

/* ---- fused Langevin step (shaders/langevin.comp, src/ops/langevin.c) ----
 * x: [N][D], updated in place: with g' = grad_scale*grad + 2*tau*x (energy gradient incl.
 * the prior tau*||x||^2), drift = (eps^2/2) g' clipped per sample to L2 norm max_norm
 * (max_norm <= 0: no clip), x <- x - drift + eps * noise, noise = hb_randn(seed, stream,
 * counter). scratch: [N] floats. Two dispatches: per-sample norm, then the update. */
typedef struct {
    float eps, grad_scale, max_norm, tau;
    uint64_t seed;
    uint32_t stream;
    uint32_t first; /* x[0]'s element index in the noise's draw, % 4 == 0 (see hb_randn_at) */
} hb_langevin_cfg;
void hb_langevin_step(hb_cmd *cmd, hb_tensor x, hb_tensor grad, hb_tensor scratch,
                      hb_tensor counter, int N, int D, const hb_langevin_cfg *cfg);

/* ---- row gather / scatter (shaders/rows.comp, src/ops/rows.c) ----
 * index: device tensor of `rows` row numbers held as floats (exact below 2^24), each in
 * [0, table_rows). gather: dst[r] = table[index[r]]; scatter: table[index[r]] = src[r]
 * (indices must be distinct). Rows are `cols` floats. */
void hb_gather_rows(hb_cmd *cmd, hb_tensor dst, hb_tensor table, hb_tensor index, int rows,
                    int cols, int table_rows);
void hb_scatter_rows(hb_cmd *cmd, hb_tensor table, hb_tensor src, hb_tensor index, int rows,
                     int cols, int table_rows);

#endif
