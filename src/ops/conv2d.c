/* Stride-1 convolution: shaders/conv2d.comp (forward, backward data, direct; in the gpu
 * kernel profile conv2d_1x1_tiled.comp and conv2d_3x3_tiled.comp instead),
 * conv2d_wino_*.comp (the same, Winograd, for 3x3 layers with enough channels),
 * conv2d_wgrad.comp and conv2d_wgrad_reduce.comp (weight and bias gradients); reference:
 * src/ref/ref_conv2d.c; test: tests/test_conv2d.c. */
#include "ops/conv2d_general.h"
#include "ops/op_common.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    uint32_t total, xblocks, N, cin, cout, H, W;
    uint32_t in_off, w_off, b_off, old_off, out_off, s_o, s_i;
    int32_t tap_base, tap_step;
    uint32_t w_last4, yblocks, mask_off;
} conv_push;

typedef struct {
    uint32_t total, ciblocks, coblocks, N, cin, cout, H, W, in_off, g_off, dst_off, chunk_rows;
    uint32_t has_bias, gb_off, gb_chunk_stride;
} wgrad_push;

typedef struct {
    uint32_t nw, nb, chunks, ws_off, gw_off, gb_off;
} reduce_push;

enum { WSCALAR, WFORWARD, WBACKWARD, WCONST }; /* weight read modes of shaders/conv2d.comp */

/* conv() of a 1x1 layer for the gpu kernel profile: shaders/conv2d_1x1_tiled.comp, a
 * shared-memory GEMM over the pixels of all images with the direct kernel's epilogue (bias,
 * relu, mask, old value) and summation order. Writes go through a storage texel buffer, so
 * no storage window splits the images. */
static void conv1x1_tiled(hb_cmd *cmd, const char *name, hb_tensor out, hb_tensor in,
                          hb_tensor w, hb_tensor b, hb_tensor mask, int relu, int N, int cin,
                          int cout, int H, int W, uint32_t s_o, uint32_t s_i, int32_t tap_base,
                          hb_tensor old) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    const hb_gemm_tile *g = &hb_ctx_tuning(ctx)->gemm;
    uint64_t cols = (uint64_t)N * H * W;
    if (cols > UINT32_MAX / 2) hb_die(1, "%s: shape too large", name);
    uint32_t spec[9] = {(g->bm / g->tm) * (g->bn / g->tn), g->bm, g->bn, g->tm, g->tn,
                        b.buf != NULL, old.buf != NULL, mask.buf != NULL, relu != 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "conv2d_1x1_tiled", "rrrrwr", spec, 9);
    struct {
        uint32_t M, K, HW, cols, in_off, w_off, s_o, s_i, b_off, old_off, out_off, mask_off;
    } pc = {(uint32_t)cout, (uint32_t)cin, (uint32_t)(H * W), (uint32_t)cols, in.off,
            (uint32_t)((int32_t)w.off + tap_base), s_o, s_i, b.buf ? b.off : 0,
            old.buf ? old.off : 0, out.off, mask.buf ? mask.off : 0};
    /* absent bias, old value and mask: stand-in bindings the kernel does not read */
    hb_tensor t[6] = {in, w, hb_or(b, w), hb_or(old, in), out, hb_or(mask, in)};
    hb_dispatch(cmd, name, pl, t, &pc, sizeof pc, (uint32_t)((cols + g->bn - 1) / g->bn),
                ((uint32_t)cout + g->bm - 1) / g->bm, 1);
}

/* conv() of a 3x3 layer for the gpu kernel profile: shaders/conv2d_3x3_tiled.comp, 8x8-pixel
 * tiles of up to 32 output channels (as few as cover cout: the image an input gradient goes
 * to has 1..4) from input tiles and weights staged in shared memory, 4 channels x 4 pixels
 * per invocation; 8 input channels per step, or 4 where the device's shared memory does not
 * hold both buffers of 8 (16 KiB is all Vulkan promises) or the layer has fewer (a stem's
 * 1..4: less staging of zero channels). Same epilogue and summation order as the direct
 * kernel. */
static void conv3x3_tiled(hb_cmd *cmd, const char *name, hb_tensor out, hb_tensor in,
                          hb_tensor w, hb_tensor b, hb_tensor mask, int relu, int N, int cin,
                          int cout, int H, int W, uint32_t s_o, uint32_t s_i, int32_t tap_base,
                          int32_t tap_step, hb_tensor old) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    const uint32_t th = 8, tw = 8, tc = 4, tx = 4;
    uint32_t bc = 4;
    while (bc < 32 && bc < (uint32_t)cout) bc *= 2;
    uint32_t ck = 8, shared = hb_ctx_limits(ctx)->maxComputeSharedMemorySize;
    if (cin < 8 || 2 * ck * ((th + 2) * (tw + 2) + 9 * bc) * 4 > shared) ck = 4;
    uint32_t spec[11] = {(bc / tc) * (th * tw / tx), th, tw, bc, tc, tx, ck, b.buf != NULL,
                         old.buf != NULL, mask.buf != NULL, relu != 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "conv2d_3x3_tiled", "rrrrwr", spec, 11);
    uint32_t xtiles = ((uint32_t)W + tw - 1) / tw, ytiles = ((uint32_t)H + th - 1) / th;
    struct {
        uint32_t cin, cout, H, W, xtiles, in_off, w_off, s_o, s_i;
        int32_t tap_base, tap_step;
        uint32_t b_off, old_off, out_off, mask_off;
    } pc = {(uint32_t)cin, (uint32_t)cout, (uint32_t)H, (uint32_t)W, xtiles, in.off, w.off, s_o,
            s_i, tap_base, tap_step, b.buf ? b.off : 0, old.buf ? old.off : 0, out.off,
            mask.buf ? mask.off : 0};
    /* absent bias, old value and mask: stand-in bindings the kernel does not read */
    hb_tensor t[6] = {in, w, hb_or(b, w), hb_or(old, in), out, hb_or(mask, in)};
    hb_dispatch(cmd, name, pl, t, &pc, sizeof pc, xtiles * ytiles, ((uint32_t)cout + bc - 1) / bc,
                (uint32_t)N);
}

/* The forward kernel computing out (cout channels) from in (cin channels), weight element
 * (out channel o, in channel i, tap t) at w.off + o*s_o + i*s_i + tap_base + t*tap_step.
 * wmode: WFORWARD or WBACKWARD when the weights suit that vec4 path, else WSCALAR (WCONST is
 * chosen here). mask: HB_NONE, or a relu's input shaped like out (outputs where it is not
 * positive are 0, before accumulation). relu: out = max(result, 0). accumulate: out += result;
 * residual (HB_NONE, or shaped like out): out = result + residual. */
static void conv(hb_cmd *cmd, const char *name, hb_tensor out, hb_tensor in, hb_tensor w,
                 hb_tensor b, hb_tensor mask, int relu, int N, int cin, int cout, int H, int W, int k,
                 uint32_t s_o, uint32_t s_i, int32_t tap_base, int32_t tap_step, uint32_t wmode,
                 int accumulate, hb_tensor residual) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    if (hb_ctx_tuning(ctx)->kernels == HB_KERNELS_GPU) {
        hb_tensor old = residual.buf ? residual : accumulate ? out : HB_NONE;
        if (k == 1)
            conv1x1_tiled(cmd, name, out, in, w, b, mask, relu, N, cin, cout, H, W, s_o, s_i,
                          tap_base, old);
        else
            conv3x3_tiled(cmd, name, out, in, w, b, mask, relu, N, cin, cout, H, W, s_o, s_i,
                          tap_base, tap_step, old);
        return;
    }
    hb_tensor big[4] = {in, out, mask, residual};
    uint32_t vec = hb_vec4_ok(big, 4, (uint64_t)W) ? 4 : 1;
    int old = accumulate || residual.buf; /* the kernel adds an old value */
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t kk = (uint32_t)(k * k);
    /* tile: 16 channels x 4 (3x3) or 2 (1x1) rows x 8 pixels for wide outputs, the rows
     * sharing each weight load: 64->64 1x1 at 8x8 1.5-1.8 -> 1.2 ms forward and backward,
     * 32->32 3x3 at 32x32 33.7 -> 27.7 ms (one row, two, four; B 64 on lavapipe). An output of
     * 1..4 channels (backward data into an image) gets a tile of exactly those channels x 8
     * rows x 8 pixels: with 16 the rest was wasted, and the rows share each input row load
     * (measured best of 4..32 x 4..32 on lavapipe). */
    uint32_t tc = 16, ty = k == 3 ? 4 : 2, tx = 8;
    if (cout <= 4) tc = (uint32_t)cout, ty = 8, tx = 8;
    uint32_t coblocks = ((uint32_t)cout + tc - 1) / tc;
    /* WCONST: a stem (cin <= 4, all input channels in one step): its strides as compile-time
     * constants, so the tile's weights are read as vec4s (scalar reads cost as much as the
     * products here) */
    uint32_t cg = (uint32_t)cin;
    if (wmode == WSCALAR && cin <= 4 && s_o <= 4 * kk && s_i <= 4 * kk && w.off % 4 == 0 &&
        (coblocks == 1 || tc * s_o % 4 == 0))
        wmode = WCONST;
    int wc = wmode == WCONST;
    uint32_t spec[15] = {local, (uint32_t)k, vec, wmode, tc, ty, tx, wc ? s_o : 0,
                         wc ? s_i : 0, wc ? cg : 1, wc && tap_step < 0, b.buf != NULL,
                         old, mask.buf != NULL, relu != 0};
    char sig[7] = {vec == 4 ? 'R' : 'r', wmode != WSCALAR ? 'R' : 'r', 'r', vec == 4 ? 'R' : 'r',
                   vec == 4 ? 'S' : 's', vec == 4 ? 'R' : 'r', 0};
    hb_pipeline *pl = hb_pipeline_get(ctx, "conv2d", sig, spec, 15);
    uint32_t nw = (uint32_t)cin * (uint32_t)cout * kk;
    uint32_t xblocks = ((uint32_t)W + tx - 1) / tx, yblocks = ((uint32_t)H + ty - 1) / ty;
    /* images in chunks whose output fits one storage window */
    size_t in_img = (size_t)cin * H * W, out_img = (size_t)cout * H * W;
    size_t fit = hb_max_window_floats(ctx) / out_img;
    if (!fit)
        hb_die(1, "%s: one image's output (%zu floats) exceeds the storage window", name, out_img);
    uint32_t nimg = fit < (size_t)N ? (uint32_t)fit : (uint32_t)N;
    for (uint32_t n0 = 0; n0 < (uint32_t)N; n0 += nimg) {
        uint32_t nc = (uint32_t)N - n0 < nimg ? (uint32_t)N - n0 : nimg;
        hb_tensor x = hb_slice(in, (uint32_t)(n0 * in_img), (uint32_t)(nc * in_img));
        hb_tensor y = hb_slice(out, (uint32_t)(n0 * out_img), (uint32_t)(nc * out_img));
        hb_tensor m = mask.buf ? hb_slice(mask, (uint32_t)(n0 * out_img), y.n) : x;
        hb_tensor r = residual.buf ? hb_slice(residual, (uint32_t)(n0 * out_img), y.n)
                                   : accumulate ? y : x;
        uint64_t total = (uint64_t)coblocks * nc * yblocks * xblocks;
        if (total > UINT32_MAX) hb_die(1, "%s: shape too large", name);
        conv_push pc = {(uint32_t)total, xblocks, nc, (uint32_t)cin, (uint32_t)cout, (uint32_t)H,
                        (uint32_t)W, x.off, w.off, b.buf ? b.off : 0, r.off,
                        hb_window_off(ctx, y), s_o, s_i, tap_base, tap_step,
                        (w.off + nw + 3) / 4 - 1, yblocks, m.off};
        /* absent bias, old value and mask: stand-in bindings the kernel does not read */
        hb_tensor t[6] = {x, w, hb_or(b, w), r, y, m};
        hb_dispatch_1d(cmd, name, pl, t, &pc, sizeof pc, total, local);
    }
}

/* Winograd F(4x4, 3x3): weight transform, input transform into V, one GEMM per transform
 * point (M = V U), output transform with bias and accumulation: 4x fewer multiplications
 * than the direct kernel. Its transforms cost in proportion to the channels, the products
 * it saves to their square: on lavapipe (batch 64, 32x32 down to 8x8) it was 2x slower than
 * the direct kernel at 16 channels, on par at 32 and 1.5-2x faster at 64. */
#define WINO_MT 4u /* outputs per tile side (shaders/conv2d_wino.glsl) */
#define WINO_MIN_CH 48
/* outputs per GEMM invocation: tiles x output channels (shaders/conv2d_wino_gemm.comp); the
 * rows are also the height of V's panels (PANEL_ROWS in shaders/conv2d_wino_input.comp) */
#define WINO_GEMM_ROWS 16u
#define WINO_GEMM_COLS 16u
/* Workspace cap; images are processed in chunks. Its parts are written through storage
 * windows: 2^27 bytes is the least maxStorageBufferRange Vulkan allows, 256 bytes the largest
 * window offset. */
#define WINO_MAX_FLOATS ((1u << 25) - 64u)

typedef struct {
    uint32_t al2, kp, np, th, tw, tpi; /* points; padded channels in/out; tiles */
    size_t u, per_image, slack;        /* floats: U; V and M per image; tile padding */
} wino_plan;

/* kpad: what the input channels are padded to (8 for a convolution, whose input transform
 * writes 8 channels at a time; the GEMM block for the weight gradient, whose GEMM has them as
 * columns). The same sizes serve the weight gradient: U holds R, V and M hold V and Q. */
static int wino_plan_pad(int cin, int cout, int H, int W, int k, uint32_t kpad, wino_plan *p) {
    if (k != 3 || cin < WINO_MIN_CH || cout < WINO_MIN_CH) return 0;
    uint32_t al = WINO_MT + 2;
    p->al2 = al * al;
    p->kp = ((uint32_t)cin + kpad - 1) / kpad * kpad;
    p->np = ((uint32_t)cout + WINO_GEMM_COLS - 1) / WINO_GEMM_COLS * WINO_GEMM_COLS;
    p->th = ((uint32_t)H + WINO_MT - 1) / WINO_MT;
    p->tw = ((uint32_t)W + WINO_MT - 1) / WINO_MT;
    p->tpi = p->th * p->tw;
    p->u = (size_t)p->al2 * p->kp * p->np;
    p->per_image = (size_t)p->al2 * p->tpi * (p->kp + p->np);
    p->slack = (size_t)p->al2 * WINO_GEMM_ROWS * (p->kp + p->np);
    return p->u + p->slack + p->per_image <= WINO_MAX_FLOATS;
}
static int wino_plan_for(int cin, int cout, int H, int W, int k, wino_plan *p) {
    return wino_plan_pad(cin, cout, H, W, k, 8, p);
}
/* Floats of workspace for plan p and N images (as many as fit, at least one). */
static size_t wino_workspace(const wino_plan *p, int N) {
    size_t imgs = (WINO_MAX_FLOATS - p->u - p->slack) / p->per_image;
    if (imgs > (size_t)N) imgs = (size_t)N;
    return p->u + p->slack + imgs * p->per_image;
}
/* Images per chunk that workspace ws holds for plan p, at most N; 0 when not one (or ws
 * cannot serve: absent, or not aligned to the 8 floats of a wide store). */
static uint32_t wino_chunk_images(const wino_plan *p, hb_tensor ws, int N) {
    if (!ws.buf || ws.off % 8 || ws.n < p->u + p->slack + p->per_image) return 0;
    size_t imgs = (ws.n - p->u - p->slack) / p->per_image;
    return imgs < (size_t)N ? (uint32_t)imgs : (uint32_t)N;
}
/* A chunk's tiles padded to whole GEMM blocks */
static uint32_t wino_padded_tiles(uint32_t tiles) {
    return (tiles + WINO_GEMM_ROWS - 1) / WINO_GEMM_ROWS * WINO_GEMM_ROWS;
}

/* 2x2 average pooling after a 3x3 convolution by phases (shaders/conv2d_wino_s2.glsl): the pooling of
 * the convolution is a 4x4 convolution of stride 2 (w4 = w convolved with the 2x2 box / 4), in
 * each dimension y[o] = sum over u of w4[u] in[2o + u - 1]. Splitting the input into its phases
 * P_r[j] = in[2j + r] makes that y[o] = w4[1] P_0[o] + w4[3] P_0[o + 1] + w4[0] P_1[o - 1] +
 * w4[2] P_1[o]: a 2x2 convolution per phase (four in 2-D), each by Winograd F(4x4, 2x2) on the
 * pooled grid, the phases summed in one GEMM over 4 cin rows. Its backward-data pass gives
 * phase r of the input gradient, dP_0[j] = w4[3] gy[j - 1] + w4[1] gy[j] and dP_1[j] =
 * w4[2] gy[j] + w4[0] gy[j + 1]: four 2x2 convolutions of gy, one GEMM per phase (100 points).
 * At 64 channels, 32x32, batch 64 on lavapipe the GEMM takes 16.7 ms forward against 27.6 for
 * F(4x4, 3x3) at full resolution. Tiles are 8x8 input pixels (4x4 pooled): H and W multiples
 * of 8. */
#define S2_POINTS 25u /* transform points of one phase */
/* Unlike F(4x4, 3x3) it pays at few channels too (Langevin step, Fashion-MNIST, batch 16,
 * against the direct conv and pooling: ngf 32 0.035 -> 0.020 s, ngf 16 0.015 -> 0.010 s,
 * ngf 8 0.007 -> 0.006 s); below 8 the GEMM's 16-column blocks would be mostly padding. */
#define S2_MIN_CH 8
static int s2_plan(int cin, int cout, int H, int W, int k, int backward, wino_plan *p) {
    if (k != 3 || cin < S2_MIN_CH || cout < S2_MIN_CH || H % 8 || W % 8) return 0;
    uint32_t rows = backward ? (uint32_t)cout : 4u * (uint32_t)cin;
    uint32_t cols = backward ? (uint32_t)cin : (uint32_t)cout;
    p->al2 = backward ? 4 * S2_POINTS : S2_POINTS;
    p->kp = (rows + 7) / 8 * 8;
    p->np = (cols + WINO_GEMM_COLS - 1) / WINO_GEMM_COLS * WINO_GEMM_COLS;
    p->th = (uint32_t)H / 8, p->tw = (uint32_t)W / 8, p->tpi = p->th * p->tw;
    p->u = (size_t)p->al2 * p->kp * p->np;
    p->per_image = (size_t)p->al2 * p->tpi * (p->kp + p->np);
    p->slack = (size_t)p->al2 * WINO_GEMM_ROWS * (p->kp + p->np);
    return p->u + p->slack + p->per_image <= WINO_MAX_FLOATS;
}

static size_t backward_weight_workspace(int N, int cin, int cout, int H, int W, int k);

size_t hb_conv2d_workspace(hb_ctx *ctx, const hb_conv2d_desc *d, unsigned passes) {
    (void)ctx;
    if (hb_conv2d_is_general(d)) return 0; /* the direct kernel */
    int N = d->N, cin = d->cin, cout = d->cout, H = d->H, W = d->W, k = d->k;
    wino_plan p;
    size_t wg = passes & HB_CONV2D_BACKWARD_WEIGHT
                    ? backward_weight_workspace(N, cin, cout, H, W, k)
                    : 0,
           fb = 0;
    /* forward (cin -> cout) and backward data (cout -> cin), at full resolution and pooled */
    for (int pass = 0; pass < 4; pass++) { /* pass 2, 3: pooled (s2_plan) */
        int bwd = pass & 1;
        if (!(passes & (bwd ? HB_CONV2D_BACKWARD_DATA : HB_CONV2D_FORWARD))) continue;
        if (pass < 2 ? !wino_plan_for(bwd ? cout : cin, bwd ? cin : cout, H, W, k, &p)
                     : !s2_plan(cin, cout, H, W, k, bwd, &p))
            continue;
        size_t need = wino_workspace(&p, N);
        if (need > fb) fb = need;
    }
    return fb > wg ? fb : wg;
}

/* Profiler labels of the Winograd stages: op/stage, so the profile shows where time goes and
 * hb_profile_ms(op) still sums the op. */
enum { WINO_WEIGHTS, WINO_INPUT, WINO_GEMM, WINO_OUTPUT };
static const char *wino_label(const char *op, int stage) {
    static const char *labels[2][4] = {
        {"conv2d_forward/wino_weights", "conv2d_forward/wino_input", "conv2d_forward/wino_gemm",
         "conv2d_forward/wino_output"},
        {"conv2d_backward_data/wino_weights", "conv2d_backward_data/wino_input",
         "conv2d_backward_data/wino_gemm", "conv2d_backward_data/wino_output"}};
    return labels[strcmp(op, "conv2d_forward") != 0][stage];
}

/* V[xi][pp][kp] = the input transform of the first `tiles` tiles of x (cin channels of H x W
 * images, or H/2 x W/2 read through pooling's backward pass when pool_in, or the output of
 * stem computed from x, its C0-channel input; relu(x) when relu_in), zero for padding tiles
 * and channels; in panels of WINO_GEMM_ROWS tiles when panel (for the GEMM's left operand,
 * shaders/conv2d_wino_input.comp). */
static void wino_input(hb_cmd *cmd, const char *label, hb_tensor V, hb_tensor x,
                       const wino_plan *p, uint32_t tiles, uint32_t pp, int cin, int H, int W,
                       int pool_in, int panel, const hb_conv2d_stem *stem, int relu_in) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t vin = hb_vec4_ok(&x, 1, (uint64_t)(pool_in ? W / 2 : W));
    if (stem && !vin) hb_die(1, "%s: a stem's x needs vec4-aligned rows", label);
    hb_pipeline *pin = hb_pipeline_get(ctx, "conv2d_wino_input", vin ? "RSrr" : "rSrr",
                                       (uint32_t[]){local, vin ? 4 : 1, pool_in != 0, panel != 0,
                                                    stem ? (uint32_t)stem->cin : 0,
                                                    relu_in != 0},
                                       6);
    struct {
        uint32_t total, kp4, pp, tiles, tw, tpi, cin, H, W, in_off, v_off4, sw_off, sb_off;
    } ip = {pp * p->kp / 8, p->kp / 4, pp, tiles, p->tw, p->tpi, (uint32_t)cin, (uint32_t)H,
            (uint32_t)W, x.off, hb_window_off(ctx, V) / 4, stem ? stem->w.off : 0,
            stem ? stem->b.off : 0};
    /* without a stem, stand-in bindings the kernel does not read */
    hb_tensor it[4] = {x, V, stem ? stem->w : x, stem ? stem->b : x};
    hb_dispatch_1d(cmd, label, pin, it, &ip, sizeof ip, ip.total, local);
}

/* wino_gemm() for the gpu kernel profile: shaders/conv2d_wino_gemm_tiled.comp, shared-memory
 * tiles over the same layouts, so the transforms are unchanged */
static void wino_gemm_tiled(hb_cmd *cmd, const char *label, hb_tensor M, hb_tensor A,
                            hb_tensor B, uint32_t al2, uint32_t rows, uint32_t K, uint32_t cols,
                            int a_panel) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    const hb_gemm_tile *g = &hb_ctx_tuning(ctx)->gemm;
    struct {
        uint32_t pp, kp4, np4, v_off4, u_off4, m_off4;
    } tp = {rows, K / 4, cols / 4, A.off / 4, B.off / 4, hb_window_off(ctx, M) / 4};
    uint32_t spec[6] = {(g->bm / g->tm) * (g->bn / g->tn), g->bm, g->bn, g->tm, g->tn,
                        a_panel != 0};
    hb_tensor tt[3] = {A, B, M};
    hb_dispatch(cmd, label, hb_pipeline_get(ctx, "conv2d_wino_gemm_tiled", "RRS", spec, 6), tt,
                &tp, sizeof tp, (cols + g->bn - 1) / g->bn, (rows + g->bm - 1) / g->bm, al2);
}

/* M[xi][rows][cols] = A[xi][rows][K] B[xi][K][cols] for xi < al2; rows and cols multiples of
 * the GEMM block, K of 8; A in wino_input's panels when a_panel. */
static void wino_gemm(hb_cmd *cmd, const char *label, hb_tensor M, hb_tensor A, hb_tensor B,
                      uint32_t al2, uint32_t rows, uint32_t K, uint32_t cols, int a_panel) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    const hb_tuning *tuning = hb_ctx_tuning(ctx);
    if (tuning->kernels == HB_KERNELS_GPU) {
        wino_gemm_tiled(cmd, label, M, A, B, al2, rows, K, cols, a_panel);
        return;
    }
    uint32_t local = tuning->local_size;
    struct {
        uint32_t total, nblocks, pblocks, pp, kp4, np4, v_off4, u_off4, m_off4;
    } gp = {al2 * (rows / WINO_GEMM_ROWS) * (cols / WINO_GEMM_COLS), cols / WINO_GEMM_COLS,
            rows / WINO_GEMM_ROWS, rows, K / 4, cols / 4, A.off / 4, B.off / 4,
            hb_window_off(ctx, M) / 4};
    hb_tensor gt[3] = {A, B, M};
    hb_dispatch_1d(cmd, label,
                   hb_pipeline_get(ctx, "conv2d_wino_gemm", "RRS",
                                   (uint32_t[]){local, a_panel != 0}, 2),
                   gt, &gp, sizeof gp, gp.total, local);
}

/* U = the weight transform of plan p: weights w read with strides s_o (output channel of
 * this convolution) and s_i (input channel), taps from tap_base in steps of tap_step. */
static void wino_weights(hb_cmd *cmd, const char *label, hb_tensor U, hb_tensor w,
                         const wino_plan *p, int cin, int cout, uint32_t s_o, uint32_t s_i,
                         int32_t tap_base, int32_t tap_step) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    struct {
        uint32_t total, kp, np, cin, cout, w_off, s_o, s_i;
        int32_t tap_base, tap_step;
        uint32_t u_off;
    } wp = {p->kp * p->np, p->kp, p->np, (uint32_t)cin, (uint32_t)cout, w.off, s_o, s_i,
            tap_base, tap_step, hb_window_off(ctx, U)};
    hb_tensor wt[2] = {w, U};
    hb_dispatch_1d(cmd, label, hb_pipeline_get(ctx, "conv2d_wino_weights", "rs", &local, 1), wt,
                   &wp, sizeof wp, wp.total, local);
}

/* How a convolution reads w: its channels in (ci) and out (co), the weight strides of an
 * output and an input channel, and the taps (from tap_base in steps of tap_step). Backward
 * data is a convolution of gout with the roles swapped and the taps flipped, so weights are
 * never repacked. */
typedef struct {
    int ci, co;
    uint32_t s_o, s_i;
    int32_t tap_base, tap_step;
} conv_dir;
static conv_dir forward_dir(int cin, int cout, int k) {
    return (conv_dir){cin, cout, (uint32_t)(cin * k * k), (uint32_t)(k * k), 0, 1};
}
static conv_dir backward_data_dir(int cin, int cout, int k) {
    return (conv_dir){cout, cin, (uint32_t)(k * k), (uint32_t)(cin * k * k), k * k - 1, -1};
}

/* What wino() fuses around the convolution (zero: nothing). */
typedef struct {
    hb_tensor mask;        /* out = [mask > 0] * conv: a relu's backward pass */
    int relu, accumulate;  /* out = max(conv, 0); out += conv */
    int relu_in;           /* the conv of relu(in) */
    hb_tensor residual;    /* out = conv + residual (shaped like out): a residual add */
    int pool_in, pool_out; /* `in` given at half resolution and read through 2x2 average
                            * pooling's backward pass; `out` the pooling of the conv (H, W even) */
    const hb_conv2d_stem *stem_in;   /* `in` is this stem's output, computed from its x */
    const hb_conv2d_stem *stem_mask; /* the mask is this stem's pre-activation, ditto */
    hb_tensor sc_w, sc_b; /* with stem_in and pool_out: out += the 1x1 shortcut (sc_w [cout]
                           * [stem cin], sc_b [cout]) of the stem's pooled x */
} wino_fusions;

static void s2_weights(hb_cmd *cmd, const char *label, hb_tensor U, hb_tensor w,
                       const wino_plan *p, int cin, int cout, int backward) {
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    struct {
        uint32_t total, kp, np, cin, cout, w_off, u_off;
    } wp = {p->kp * p->np * (backward ? 4 : 1), p->kp, p->np, (uint32_t)cin, (uint32_t)cout,
            w.off, hb_window_off(ctx, U)};
    hb_tensor wt[2] = {w, U};
    hb_dispatch_1d(cmd, label,
                   hb_pipeline_get(ctx, "conv2d_s2_weights", "rs",
                                   (uint32_t[]){local, backward != 0}, 2),
                   wt, &wp, sizeof wp, wp.total, local);
}

/* wino() for a convolution under a pooling (f->pool_out) or its backward-data pass
 * (f->pool_in), by phases; 0 (nothing recorded) when the shape, the tensors' vec4 alignment,
 * the workspace or the prepared weights do not suit it (unaligned tensors or weights prepared
 * without pooled are an error where there is no full-resolution path to fall back to).
 * cin, cout: the layer's. */
static int wino_s2(hb_cmd *cmd, const char *name, hb_tensor out, hb_tensor in, hb_tensor w,
                   hb_tensor prepared, hb_tensor b, hb_tensor ws, int N, int H, int W, int cin,
                   int cout, const wino_fusions *f) {
    int bwd = f->pool_in;
    wino_plan p, full;
    if (f->relu || f->relu_in || f->residual.buf || !s2_plan(cin, cout, H, W, 3, bwd, &p))
        return 0;
    /* prepared weights hold the full-resolution form first (where there is one), then this
     * one (hb_conv2d_prepare with pooled) */
    int has_full = wino_plan_for(bwd ? cout : cin, bwd ? cin : cout, H, W, 3, &full);
    size_t full_u = has_full ? full.u : 0;
    const hb_conv2d_stem *stem = bwd ? f->stem_mask : f->stem_in;
    hb_tensor mask = bwd ? (stem ? stem->x : f->mask) : HB_NONE, x = stem && !bwd ? stem->x : in;
    hb_tensor reads[2] = {x, mask};
    if (!hb_vec4_ok(reads, 2, (uint64_t)W) || out.off % (bwd ? 8 : 4)) {
        if (has_full) return 0;
        hb_die(1, "%s: pooled %dx%d %d->%d runs only by phases, which needs its tensors to start "
                  "on a vec4 (8 floats for a gradient out)", name, H, W, cin, cout);
    }
    uint32_t nimg = wino_chunk_images(&p, ws, N);
    if (!nimg) return 0;
    if (prepared.buf && prepared.n < full_u + p.u) {
        if (has_full) return 0;
        hb_die(1, "%s: prepared weights of %u floats, %zu wanted: prepare them with pooled", name,
               prepared.n, full_u + p.u);
    }
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    hb_tensor U = prepared.buf ? hb_slice(prepared, (uint32_t)full_u, (uint32_t)p.u)
                               : hb_slice(ws, 0, (uint32_t)p.u);
    if (!prepared.buf) s2_weights(cmd, wino_label(name, WINO_WEIGHTS), U, w, &p, cin, cout, bwd);

    int cx = bwd ? cout : cin, cy = bwd ? cin : cout; /* channels of in and out */
    uint32_t Hx = bwd ? (uint32_t)H / 2 : (uint32_t)H, Wx = bwd ? (uint32_t)W / 2 : (uint32_t)W;
    size_t in_img = stem && !bwd ? (size_t)stem->cin * H * W : (size_t)cx * Hx * Wx;
    size_t out_img = (size_t)cy * H * W / (bwd ? 1 : 4);
    size_t mask_img = stem ? (size_t)stem->cin * H * W : out_img;
    const hb_conv2d_stem *sc = f->sc_w.buf ? f->stem_in : NULL; /* shortcut of its pooled x */
    /* the stem's weights for the input transform (forward) or the output's mask (backward),
     * the shortcut's for the forward output; else stand-ins the kernels do not read */
    hb_tensor in_sw = stem && !bwd ? stem->w : w, in_sb = stem && !bwd ? stem->b : w;
    hb_tensor sw = stem && bwd ? stem->w : sc ? f->sc_w : w;
    hb_tensor sb = stem && bwd ? stem->b : sc ? f->sc_b : w;
    hb_pipeline *pin = hb_pipeline_get(
        ctx, "conv2d_s2_input", "RSrr",
        (uint32_t[]){local, bwd != 0, stem && !bwd ? (uint32_t)stem->cin : 0}, 3);
    uint32_t c4n = ((uint32_t)cy + 3) / 4;
    hb_pipeline *pout = hb_pipeline_get(
        ctx, "conv2d_s2_output", "RrRSRrr",
        (uint32_t[]){local, bwd != 0, b.buf != NULL, sc ? (uint32_t)sc->cin : 0,
                     mask.buf != NULL, stem && bwd ? (uint32_t)stem->cin : 0,
                     f->accumulate != 0},
        7);
    for (uint32_t n0 = 0; n0 < (uint32_t)N; n0 += nimg) {
        uint32_t nc = (uint32_t)N - n0 < nimg ? (uint32_t)N - n0 : nimg;
        uint32_t tiles = nc * p.tpi, pp = wino_padded_tiles(tiles);
        hb_tensor V = hb_slice(ws, (uint32_t)p.u, p.al2 * pp * p.kp);
        hb_tensor M = hb_slice(ws, (uint32_t)p.u + V.n, p.al2 * pp * p.np);
        hb_tensor xc = hb_slice(x, (uint32_t)(n0 * in_img), (uint32_t)(nc * in_img));
        hb_tensor y = hb_slice(out, (uint32_t)(n0 * out_img), (uint32_t)(nc * out_img));
        hb_tensor m = mask.buf ? hb_slice(mask, (uint32_t)(n0 * mask_img),
                                          (uint32_t)(nc * mask_img))
                               : sc ? hb_slice(sc->x, (uint32_t)(n0 * mask_img),
                                               (uint32_t)(nc * mask_img))
                                    : M;
        struct {
            uint32_t total, kp8, pp, tiles, tw, tpi, cin, H, W, in_off, v_off8, sw_off, sb_off;
        } ip = {pp * p.kp / 8, p.kp / 8, pp, tiles, p.tw, p.tpi,
                (uint32_t)cx, Hx, Wx, xc.off, hb_window_off(ctx, V) / 8, in_sw.off, in_sb.off};
        hb_tensor it[4] = {xc, V, in_sw, in_sb};
        hb_dispatch_1d(cmd, wino_label(name, WINO_INPUT), pin, it, &ip, sizeof ip, ip.total,
                       local);
        wino_gemm(cmd, wino_label(name, WINO_GEMM), M, V, U, p.al2, pp, p.kp, p.np, 1);
        struct {
            uint32_t total, c4n, pp, np4, tw, tpi, cout, H, W, m_off4, b_off, old_off, out_off;
            uint32_t mask_off, sw_off, sb_off;
        } op = {tiles * c4n, c4n, pp, p.np / 4, p.tw, p.tpi, (uint32_t)cy, (uint32_t)H,
                (uint32_t)W, M.off / 4, b.buf ? b.off : 0, y.off, hb_window_off(ctx, y), m.off,
                sw.off, sb.off};
        /* absent bias, old value and mask: stand-in bindings the kernel does not read */
        hb_tensor ot[7] = {M, hb_or(b, M), f->accumulate ? y : M, y, m, sw, sb};
        hb_dispatch_1d(cmd, wino_label(name, WINO_OUTPUT), pout, ot, &op, sizeof op, op.total,
                       local);
    }
    return 1;
}

/* The convolution of conv() by Winograd when the shape suits it and the workspace holds at
 * least one image; 0 (nothing recorded) otherwise. prepared: the weight transform made
 * before (hb_conv2d_prepare), else HB_NONE. */
static int wino(hb_cmd *cmd, const char *name, hb_tensor out, hb_tensor in, hb_tensor w,
                hb_tensor prepared, hb_tensor b, hb_tensor ws, int N, int H, int W, int k,
                conv_dir d, const wino_fusions *f) {
    int cin = d.ci, cout = d.co;
    if ((f->pool_out || f->pool_in) &&
        wino_s2(cmd, name, out, in, w, prepared, b, ws, N, H, W, f->pool_in ? cout : cin,
                f->pool_in ? cin : cout, f))
        return 1;
    wino_plan p;
    uint32_t nimg = wino_plan_for(cin, cout, H, W, k, &p) ? wino_chunk_images(&p, ws, N) : 0;
    if (!nimg) return 0;
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t np4 = p.np / 4, c4n = ((uint32_t)cout + 3) / 4;
    if (prepared.buf) hb_require(name, "prepared weights", prepared, p.u);
    hb_tensor U = hb_slice(prepared.buf ? prepared : ws, 0, (uint32_t)p.u);
    if (!prepared.buf)
        wino_weights(cmd, wino_label(name, WINO_WEIGHTS), U, w, &p, cin, cout, d.s_o, d.s_i,
                     d.tap_base, d.tap_step);

    const hb_conv2d_stem *sm = f->stem_mask;
    hb_tensor mask = sm ? sm->x : f->mask;
    /* the shortcut reads the stem's x through the mask's binding, its weights through the
     * stem mask's */
    const hb_conv2d_stem *sc = f->sc_w.buf ? f->stem_in : NULL;
    const hb_conv2d_stem *xs = sm ? sm : sc; /* whose x the mask's binding holds */
    hb_tensor to[3] = {out, mask, f->residual};
    int old = f->accumulate || f->residual.buf; /* the kernel adds an old value */
    /* pooled: pairs when every chunk's output offset is even */
    uint32_t vout = f->pool_out ? (W % 4 == 0 && out.off % 2 == 0 ? 2 : 1)
                                : (hb_vec4_ok(to, 3, (uint64_t)W) ? 4 : 1);
    if (sm && vout != 4) hb_die(1, "%s: a stem's mask needs vec4-aligned rows", name);
    /* two neighbour tiles per invocation when their rows make whole 8-float (pooled: 4-float)
     * stores: W % 8 == 0 and the output's offset a multiple of 8 (4) floats, so every chunk's
     * offset in its storage window is too, whatever the device's window alignment */
    uint32_t pair =
        W % 8 == 0 && (f->pool_out ? out.off % 4 == 0 : vout == 4 && out.off % 8 == 0);
    hb_pipeline *pout = hb_pipeline_get(
        ctx, "conv2d_wino_output",
        vout == 4 ? "RrRSRrr" : sc ? "RrrsRrr" : "Rrrsrrr",
        (uint32_t[]){local, vout, f->pool_out != 0, b.buf != NULL, (uint32_t)old,
                     mask.buf != NULL, f->relu != 0, pair, sm ? (uint32_t)sm->cin : 0,
                     sc ? (uint32_t)sc->cin : 0},
        10);
    /* per image: the input (a stem's x when stem_in), the output, the mask (a stem's x) */
    size_t in_img = f->stem_in ? (size_t)f->stem_in->cin * H * W
                               : (size_t)cin * H * W / (f->pool_in ? 4 : 1);
    size_t out_img = (size_t)cout * H * W / (f->pool_out ? 4 : 1);
    size_t mask_img = xs ? (size_t)xs->cin * H * W : out_img;
    for (uint32_t n0 = 0; n0 < (uint32_t)N; n0 += nimg) {
        uint32_t nc = (uint32_t)N - n0 < nimg ? (uint32_t)N - n0 : nimg;
        uint32_t tiles = nc * p.tpi, pp = wino_padded_tiles(tiles);
        hb_tensor V = hb_slice(ws, (uint32_t)p.u, p.al2 * pp * p.kp);
        hb_tensor M = hb_slice(ws, (uint32_t)p.u + V.n, p.al2 * pp * p.np);
        hb_tensor x = hb_slice(f->stem_in ? f->stem_in->x : in, (uint32_t)(n0 * in_img),
                               (uint32_t)(nc * in_img));
        hb_tensor y = hb_slice(out, (uint32_t)(n0 * out_img), (uint32_t)(nc * out_img));
        hb_tensor mx = xs ? xs->x : mask;
        hb_tensor m = mx.buf ? hb_slice(mx, (uint32_t)(n0 * mask_img), (uint32_t)(nc * mask_img))
                             : HB_NONE;
        hb_tensor sw = sm ? sm->w : sc ? f->sc_w : M, sb = sm ? sm->b : sc ? f->sc_b : M;
        hb_tensor r = f->residual.buf ? hb_slice(f->residual, (uint32_t)(n0 * out_img), y.n)
                                      : f->accumulate ? y : M;
        wino_input(cmd, wino_label(name, WINO_INPUT), V, x, &p, tiles, pp, cin, H, W,
                   f->pool_in, 1, f->stem_in, f->relu_in);
        wino_gemm(cmd, wino_label(name, WINO_GEMM), M, V, U, p.al2, pp, p.kp, p.np, 1);

        struct {
            uint32_t total, c4n, pp, np4, tw, tpi, cout, H, W, m_off4, b_off, old_off, out_off;
            uint32_t mask_off, sw_off, sb_off;
        } op = {tiles * c4n / (pair ? 2 : 1), c4n, pp, np4, p.tw, p.tpi, (uint32_t)cout,
                (uint32_t)H, (uint32_t)W, M.off / 4, b.buf ? b.off : 0, r.off,
                hb_window_off(ctx, y), m.buf ? m.off : 0, sw.off, sb.off};
        /* absent bias, old value, mask and stem: stand-in bindings the kernel does not read */
        hb_tensor ot[7] = {M, hb_or(b, M), r, y, hb_or(m, M), sw, sb};
        hb_dispatch_1d(cmd, wino_label(name, WINO_OUTPUT), pout, ot, &op, sizeof op, op.total,
                       local);
    }
    return 1;
}

/* The fusions a descriptor carries, for messages: "relu_in+pool", or "none" */
static const char *fusion_names(const hb_conv2d_desc *d, char *buf, size_t size) {
    const char *names[8] = {"relu", "relu_in", "stem", "shortcut", "pool", "residual",
                            "relu_mask", "accumulate"};
    int on[8] = {d->relu, d->relu_in, d->stem.x.buf != NULL, d->shortcut_w.buf != NULL,
                 d->pool, d->residual.buf != NULL, d->relu_mask.buf != NULL, d->accumulate};
    size_t len = 0;
    buf[0] = 0;
    for (int i = 0; i < 8; i++)
        if (on[i] && len < size)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "+" : "", names[i]);
    return len ? buf : "none";
}

/* 1 when forward and backward data run by Winograd at full resolution */
static int wino_both(int cin, int cout, int H, int W, int k) {
    wino_plan p;
    return wino_plan_for(cin, cout, H, W, k, &p) && wino_plan_for(cout, cin, H, W, k, &p);
}

/* Pooling fuses into a Winograd shape, forward and backward data alike: 48+ channels, or 8+
 * with H and W multiples of 8 (run by phases) */
static int pool_fuses(const hb_conv2d_desc *d) {
    wino_plan p;
    return d->H % 2 == 0 && d->W % 2 == 0 &&
           (wino_both(d->cin, d->cout, d->H, d->W, d->k) ||
            (s2_plan(d->cin, d->cout, d->H, d->W, d->k, 0, &p) &&
             s2_plan(d->cin, d->cout, d->H, d->W, d->k, 1, &p)));
}

/* A stem fuses into a Winograd shape, pooled or not as the op will be; rows of x vec4s */
static int stem_fuses(const hb_conv2d_desc *d) {
    return d->k == 3 && d->stem.cin >= 1 && d->stem.cin <= 4 && d->W % 4 == 0 &&
           d->H % 2 == 0 && (d->pool ? pool_fuses(d) : wino_both(d->cin, d->cout, d->H, d->W, 3));
}

int hb_conv2d_supports(const hb_conv2d_desc *d, hb_conv2d_pass pass) {
    if (hb_conv2d_is_general(d)) return hb_conv2d_general_supports(d, pass);
    if (d->k != 1 && d->k != 3) return 0;
    int stem = d->stem.x.buf != NULL, residual = d->residual.buf != NULL;
    wino_plan p;
    switch (pass) {
    case HB_CONV2D_FORWARD:
        if (d->relu_mask.buf || d->accumulate) return 0;
        if (stem)
            return stem_fuses(d) && !(d->relu && d->pool) && !d->relu_in && !residual &&
                   (!d->shortcut_w.buf || d->pool);
        if (d->shortcut_w.buf) return 0;
        if (d->relu_in)
            return wino_plan_for(d->cin, d->cout, d->H, d->W, d->k, &p) && !d->pool && !residual;
        if (d->pool) return pool_fuses(d) && !d->relu && !residual;
        return 1;
    case HB_CONV2D_BACKWARD_DATA:
        if (d->relu || d->relu_in || d->shortcut_w.buf) return 0;
        if (stem) return stem_fuses(d) && !residual && !d->relu_mask.buf;
        if (d->pool) return pool_fuses(d) && !residual;
        return !(residual && d->accumulate);
    case HB_CONV2D_BACKWARD_WEIGHT:
        return !d->relu && !d->relu_in && !stem && !d->shortcut_w.buf && !d->pool && !residual &&
               !d->relu_mask.buf && !d->accumulate;
    default: return 0; /* one pass at a time */
    }
}

static void require_supported(const char *op, const hb_conv2d_desc *d, hb_conv2d_pass pass) {
    char names[96];
    if (!hb_conv2d_supports(d, pass))
        hb_die(1, "%s: %dx%d %d->%d k=%d with fusions %s does not run (hb_conv2d_supports)", op,
               d->H, d->W, d->cin, d->cout, d->k, fusion_names(d, names, sizeof names));
}

/* The sizes of a stem's tensors; its x must start on a vec4 */
static void require_stem(const char *op, const hb_conv2d_desc *d) {
    const hb_conv2d_stem *st = &d->stem;
    hb_require(op, "stem x", st->x, (uint64_t)d->N * st->cin * d->H * d->W);
    hb_require(op, "stem weight", st->w, (uint64_t)d->cin * st->cin * 9);
    hb_require(op, "stem bias", st->b, (uint64_t)d->cin);
    if (st->x.off % 4) hb_die(1, "%s: the stem's x must start on a vec4", op);
}

/* The pooled and stem variants run only by Winograd, with a workspace that holds one image's
 * worth (checked by whether wino() recorded) */
static void require_recorded(const char *op, int recorded) {
    if (!recorded)
        hb_die(1, "%s: workspace smaller than hb_conv2d_workspace asks for this shape", op);
}

void hb_conv2d_forward(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor out, hb_tensor in,
                       hb_tensor w, hb_tensor b, hb_tensor prepared, hb_tensor workspace) {
    const char *op = "conv2d_forward";
    int N = d->N, cin = d->cin, cout = d->cout, H = d->H, W = d->W, k = d->k;
    require_supported(op, d, HB_CONV2D_FORWARD);
    if (hb_conv2d_is_general(d)) {
        hb_conv2d_general_forward(cmd, d, out, in, w, b, prepared);
        return;
    }
    const hb_conv2d_stem *stem = d->stem.x.buf ? &d->stem : NULL;
    uint64_t out_px = d->pool ? (uint64_t)(H / 2) * (W / 2) : (uint64_t)H * W;
    if (stem) require_stem(op, d);
    else hb_require(op, "input", in, (uint64_t)N * cin * H * W);
    hb_require(op, "output", out, (uint64_t)N * cout * out_px);
    hb_require(op, "weight", w, (uint64_t)cout * cin * k * k);
    if (b.buf) hb_require(op, "bias", b, (uint64_t)cout);
    if (d->residual.buf) hb_require(op, "residual", d->residual, (uint64_t)N * cout * H * W);
    if (d->shortcut_w.buf) {
        hb_require(op, "shortcut weight", d->shortcut_w, (uint64_t)cout * stem->cin);
        hb_require(op, "shortcut bias", d->shortcut_b, (uint64_t)cout);
    }
    if ((uint32_t)cin > HB_LOOP_BUDGET)
        hb_die(1, "%s: %d input channels (at most %u)", op, cin, HB_LOOP_BUDGET);
    conv_dir dir = forward_dir(cin, cout, k);
    wino_fusions f = {.relu = d->relu, .relu_in = d->relu_in, .residual = d->residual,
                      .pool_out = d->pool, .stem_in = stem, .sc_w = d->shortcut_w,
                      .sc_b = d->shortcut_b};
    int recorded = wino(cmd, op, out, stem ? HB_NONE : in, w, prepared, b, workspace, N, H, W, k,
                        dir, &f);
    if (recorded) return;
    require_recorded(op, !(stem || d->relu_in || d->pool));
    uint32_t wmode = w.off % 4 == 0 && cin % 4 == 0 ? WFORWARD : WSCALAR;
    conv(cmd, op, out, in, w, b, HB_NONE, d->relu, N, cin, cout, H, W, k, dir.s_o, dir.s_i,
         dir.tap_base, dir.tap_step, wmode, 0, d->residual);
}

void hb_conv2d_backward_data(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor gin,
                             hb_tensor gout, hb_tensor w, hb_tensor prepared,
                             hb_tensor workspace) {
    const char *op = "conv2d_backward_data";
    int N = d->N, cin = d->cin, cout = d->cout, H = d->H, W = d->W, k = d->k;
    require_supported(op, d, HB_CONV2D_BACKWARD_DATA);
    const hb_conv2d_stem *stem = d->stem.x.buf ? &d->stem : NULL;
    uint64_t out_px = d->pool ? (uint64_t)(H / 2) * (W / 2) : (uint64_t)H * W;
    if (stem) require_stem(op, d);
    hb_require(op, "gout", gout, (uint64_t)N * cout * out_px);
    hb_require(op, "gin", gin, (uint64_t)N * cin * H * W);
    hb_require(op, "weight", w, (uint64_t)cout * cin * k * k);
    if (d->relu_mask.buf) hb_require(op, "relu_mask", d->relu_mask, (uint64_t)N * cin * H * W);
    if (d->residual.buf) hb_require(op, "residual", d->residual, (uint64_t)N * cin * H * W);
    if ((uint32_t)cout > HB_LOOP_BUDGET)
        hb_die(1, "%s: %d output channels (at most %u)", op, cout, HB_LOOP_BUDGET);
    conv_dir dir = backward_data_dir(cin, cout, k);
    wino_fusions f = {.mask = d->relu_mask, .accumulate = d->accumulate,
                      .residual = d->residual, .pool_in = d->pool, .stem_mask = stem};
    if (wino(cmd, op, gin, gout, w, prepared, HB_NONE, workspace, N, H, W, k, dir, &f)) return;
    require_recorded(op, !(stem || d->pool));
    uint32_t wmode = w.off % 4 == 0 && cin % 4 == 0 ? WBACKWARD : WSCALAR;
    conv(cmd, op, gin, gout, w, HB_NONE, d->relu_mask, 0, N, cout, cin, H, W, k, dir.s_o,
         dir.s_i, dir.tap_base, dir.tap_step, wmode, d->accumulate, d->residual);
}

/* The direction and Winograd plan of the forward (backward_data = 0) or backward-data (1)
 * pass; 0 when that pass does not run by Winograd */
static int prepared_plan(int cin, int cout, int H, int W, int k, int backward_data, conv_dir *d,
                         wino_plan *p) {
    *d = backward_data ? backward_data_dir(cin, cout, k) : forward_dir(cin, cout, k);
    return wino_plan_for(d->ci, d->co, H, W, k, p);
}

void hb_conv2d_prepare(hb_cmd *cmd, const hb_conv2d_desc *d, hb_conv2d_pass pass, hb_tensor w,
                       hb_tensor *prepared) {
    int bwd = pass == HB_CONV2D_BACKWARD_DATA;
    const char *op = bwd ? "conv2d_backward_data" : "conv2d_forward";
    if (pass != HB_CONV2D_FORWARD && !bwd) hb_die(1, "hb_conv2d_prepare: forward or backward data");
    if (hb_conv2d_is_general(d)) {
        if (bwd) hb_die(1, "hb_conv2d_prepare: a general geometry runs forward only");
        hb_conv2d_general_prepare(cmd, d, w, prepared);
        return;
    }
    int cin = d->cin, cout = d->cout, H = d->H, W = d->W, k = d->k;
    conv_dir dir;
    wino_plan p, s2;
    int full = prepared_plan(cin, cout, H, W, k, bwd, &dir, &p);
    int pooled = d->pool && s2_plan(cin, cout, H, W, k, bwd, &s2);
    size_t full_u = full ? p.u : 0, need = full_u + (pooled ? s2.u : 0);
    if (!need) return;
    hb_require(op, "weight", w, (uint64_t)cout * cin * k * k);
    if (!prepared->buf) *prepared = hb_alloc(hb_cmd_ctx(cmd), need);
    hb_require(op, "prepared weights", *prepared, need);
    if (full)
        wino_weights(cmd, wino_label(op, WINO_WEIGHTS), hb_slice(*prepared, 0, (uint32_t)full_u),
                     w, &p, dir.ci, dir.co, dir.s_o, dir.s_i, dir.tap_base, dir.tap_step);
    /* the pooled form after the full-resolution one (wino_s2 falls back to that one when a
     * call's tensors are not vec4-aligned) */
    if (pooled)
        s2_weights(cmd, wino_label(op, WINO_WEIGHTS),
                   hb_slice(*prepared, (uint32_t)full_u, (uint32_t)s2.u), w, &s2, cin, cout, bwd);
}

/* input and output channels per invocation of shaders/conv2d_wgrad.comp (TI, TC) */
#define WGRAD_TI(k) ((k) == 1 ? 8u : 2u)
#define WGRAD_TC(cout) ((cout) >= 16 ? 16u : 8u)

/* Row chunks of the weight-gradient reduction: enough tiles x chunks to keep every lane of
 * the device busy (cin = 1 or 3 stems have only a handful of tiles), and few enough rows per
 * chunk to stay within the loop budget (row loop x pixel loop). */
static uint32_t wgrad_chunk_rows(int N, int cin, int cout, int H, int W, int k,
                                 uint32_t *chunks) {
    uint32_t tc = WGRAD_TC(cout);
    uint32_t tiles = ((uint32_t)cout + tc - 1) / tc * ((uint32_t)cin + WGRAD_TI(k) - 1) / WGRAD_TI(k);
    uint32_t rows = (uint32_t)N * (uint32_t)H, want = 256; /* invocations */
    uint32_t s = tiles >= want ? 1 : (want + tiles - 1) / tiles;
    if (s > rows) s = rows;
    uint32_t chunk = (rows + s - 1) / s;
    uint32_t max_rows = HB_LOOP_BUDGET / (((uint32_t)W + 3) / 4 + 1);
    if (max_rows == 0) hb_die(1, "conv2d_backward_weight: image width %d too large", W);
    if (chunk > max_rows) chunk = max_rows;
    *chunks = (rows + chunk - 1) / chunk;
    return chunk;
}

static size_t backward_weight_workspace(int N, int cin, int cout, int H, int W, int k) {
    wino_plan p;
    if (wino_plan_pad(cin, cout, H, W, k, WINO_GEMM_COLS, &p)) return wino_workspace(&p, N);
    uint32_t chunks;
    wgrad_chunk_rows(N, cin, cout, H, W, k, &chunks);
    /* partial weight and bias gradients per chunk */
    return chunks > 1 ? (size_t)chunks * cout * (cin * k * k + 1) : 0;
}

/* The weight gradient by Winograd (F(4x4, 3x3) turned around: gw = G^T [sum over tiles of
 * (A g A^T) * (B^T d B)] G, g a tile of gout and d the input patch under it): 4x fewer
 * products than the direct kernel. Per chunk of images: the input transform into V, the
 * output gradient's transform into Q, one GEMM per transform point (R = Q V, reducing over the
 * tiles) and the last transform into gw, accumulating over chunks. 0 (nothing recorded) when
 * the shape does not suit it or the workspace holds less than one image. */
static int wino_wgrad(hb_cmd *cmd, hb_tensor gw, hb_tensor gb, hb_tensor in, hb_tensor gout,
                      hb_tensor ws, int N, int cin, int cout, int H, int W, int k) {
    wino_plan p;
    uint32_t nimg = wino_plan_pad(cin, cout, H, W, k, WINO_GEMM_COLS, &p)
                        ? wino_chunk_images(&p, ws, N)
                        : 0;
    if (!nimg) return 0;
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t vg = hb_vec4_ok(&gout, 1, (uint64_t)W);
    hb_pipeline *pq = hb_pipeline_get(ctx, "conv2d_wino_gout", vg ? "RS" : "rS",
                                      (uint32_t[]){local, vg ? 4 : 1}, 2);
    hb_tensor R = hb_slice(ws, 0, (uint32_t)p.u);
    size_t in_img = (size_t)cin * H * W, out_img = (size_t)cout * H * W;
    for (uint32_t n0 = 0; n0 < (uint32_t)N; n0 += nimg) {
        uint32_t nc = (uint32_t)N - n0 < nimg ? (uint32_t)N - n0 : nimg;
        /* the GEMM loops pp / 4 times: below 2^25 / (36 * 32 * 4), within HB_LOOP_BUDGET */
        uint32_t tiles = nc * p.tpi, pp = wino_padded_tiles(tiles);
        hb_tensor V = hb_slice(ws, (uint32_t)p.u, p.al2 * pp * p.kp);
        hb_tensor Q = hb_slice(ws, (uint32_t)p.u + V.n, p.al2 * p.np * pp);
        hb_tensor x = hb_slice(in, (uint32_t)(n0 * in_img), (uint32_t)(nc * in_img));
        hb_tensor g = hb_slice(gout, (uint32_t)(n0 * out_img), (uint32_t)(nc * out_img));
        wino_input(cmd, "conv2d_backward_weight/wino_input", V, x, &p, tiles, pp, cin, H, W, 0,
                   0, NULL, 0);
        struct {
            uint32_t total, pp4, cop, tiles, tw, tpi, cout, H, W, g_off, q_off4;
        } qp = {p.np * pp / 4, pp / 4, p.np, tiles, p.tw, p.tpi, (uint32_t)cout, (uint32_t)H,
                (uint32_t)W, g.off, hb_window_off(ctx, Q) / 4};
        hb_tensor qt[2] = {g, Q};
        hb_dispatch_1d(cmd, "conv2d_backward_weight/wino_gout", pq, qt, &qp, sizeof qp,
                       qp.total, local);
        wino_gemm(cmd, "conv2d_backward_weight/wino_gemm", R, Q, V, p.al2, p.np, pp, p.kp, 0);
        struct {
            uint32_t total, c4n, cop, cin, r_off4, old_off, gw_off;
        } op = {(uint32_t)cout * p.kp / 4, p.kp / 4, p.np, (uint32_t)cin, R.off / 4, gw.off,
                hb_window_off(ctx, gw)};
        hb_tensor ot[3] = {R, n0 ? gw : R, gw};
        hb_dispatch_1d(cmd, "conv2d_backward_weight/wino_wgrad",
                       hb_pipeline_get(ctx, "conv2d_wino_wgrad", "Rrs",
                                       (uint32_t[]){local, n0 > 0}, 2),
                       ot, &op, sizeof op, op.total, local);
    }
    if (gb.buf) hb_channel_sum(cmd, gb, gout, HB_NONE, N, cout, H * W);
    return 1;
}

void hb_conv2d_backward_weight(hb_cmd *cmd, const hb_conv2d_desc *d, hb_tensor gw,
                               hb_tensor gb, hb_tensor in, hb_tensor gout, hb_tensor workspace) {
    const char *op = "conv2d_backward_weight";
    require_supported(op, d, HB_CONV2D_BACKWARD_WEIGHT);
    int N = d->N, cin = d->cin, cout = d->cout, H = d->H, W = d->W, k = d->k;
    hb_ctx *ctx = hb_cmd_ctx(cmd);
    uint32_t kk = (uint32_t)(k * k), nw = (uint32_t)cout * cin * kk;
    hb_require(op, "input", in, (uint64_t)N * cin * H * W);
    hb_require(op, "gout", gout, (uint64_t)N * cout * H * W);
    hb_require(op, "gw", gw, nw);
    if (gb.buf) hb_require(op, "gb", gb, (uint64_t)cout);
    if (wino_wgrad(cmd, gw, gb, in, gout, workspace, N, cin, cout, H, W, k)) return;
    uint32_t chunks, chunk = wgrad_chunk_rows(N, cin, cout, H, W, k, &chunks);
    if (chunks > 1) hb_require(op, "workspace", workspace, (uint64_t)chunks * (nw + cout));
    hb_tensor dst = chunks > 1 ? workspace : gw;
    /* bias partials after the weight partials in the workspace; gb stands in when absent */
    uint32_t gb_off = chunks > 1 ? workspace.off + chunks * nw : gb.buf ? gb.off : 0;
    hb_tensor gb_dst = chunks > 1 ? workspace : hb_or(gb, gw);

    hb_tensor big[2] = {in, gout};
    uint32_t vec = hb_vec4_ok(big, 2, (uint64_t)W) ? 4 : 1;
    uint32_t local = hb_ctx_tuning(ctx)->local_size;
    uint32_t tc = WGRAD_TC(cout);
    uint32_t spec[4] = {local, (uint32_t)k, vec, tc};
    hb_pipeline *pl = hb_pipeline_get(ctx, "conv2d_wgrad", vec == 4 ? "RRww" : "rrww", spec, 4);
    uint32_t ciblocks = ((uint32_t)cin + WGRAD_TI(k) - 1) / WGRAD_TI(k);
    uint32_t coblocks = ((uint32_t)cout + tc - 1) / tc;
    uint32_t total = chunks * coblocks * ciblocks;
    wgrad_push pc = {total, ciblocks, coblocks, (uint32_t)N, (uint32_t)cin, (uint32_t)cout,
                     (uint32_t)H, (uint32_t)W, in.off, gout.off, dst.off, chunk,
                     gb.buf != NULL, gb_off, chunks > 1 ? (uint32_t)cout : 0};
    hb_tensor t[4] = {in, gout, dst, gb_dst};
    hb_dispatch_1d(cmd, "conv2d_backward_weight", pl, t, &pc, sizeof pc, total, local);
    if (chunks > 1) {
        hb_pipeline *rp = hb_pipeline_get(ctx, "conv2d_wgrad_reduce", "rww", &local, 1);
        uint32_t nb = gb.buf ? (uint32_t)cout : 0;
        reduce_push rc = {nw, nb, chunks, workspace.off, gw.off, gb.buf ? gb.off : 0};
        hb_tensor rt[3] = {workspace, gw, hb_or(gb, gw)};
        hb_dispatch_1d(cmd, "conv2d_wgrad_reduce", rp, rt, &rc, sizeof rc, nw + nb, local);
    }
}
