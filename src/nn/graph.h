/* A network as a small static graph of ops, recorded forward and backward into a command
 * buffer. Built once with the hb_g_* builders (which name parameters exactly like the PyTorch
 * modules in bench/hatebm_torch.py), then finalised for a maximum batch: every value and its
 * gradient get a device tensor of their own, so a forward+backward for a fixed batch size can
 * be recorded once and replayed. Parameters live in one flat tensor (and their gradients in
 * another), which is what Adam, EMA and checkpoints operate on. */
#ifndef HB_GRAPH_H
#define HB_GRAPH_H

#include "io/safetensors.h"
#include "nn/fusion.h"
#include "ops/ops.h"

typedef struct {
    int c, h, w; /* per sample; flat features are c x 1 x 1 */
} hb_shape;

typedef enum {
    HB_G_INPUT,
    HB_G_CONV,
    HB_G_LINEAR,
    HB_G_RELU,
    HB_G_AVGPOOL,
    HB_G_UPSAMPLE,
    HB_G_AFFINE,
    HB_G_TANH,
    HB_G_GAP,
    HB_G_ADD,
    HB_G_RESHAPE,
    HB_G_SPHERE,
} hb_g_kind;

typedef struct {
    hb_g_kind kind;
    int in0, in1;           /* input values (-1: none) */
    hb_shape shape;         /* output, per sample */
    int weight, bias;       /* parameter indices (-1: none) */
    int k;                  /* conv kernel size */
    float scale;            /* tanh factor */
    hb_tensor val, grad;    /* [max_batch x size]; a reshape shares its input's */
    int shares_grad;        /* > 0: grad is the tensor of this add, the one consumer */
    int consumers, consumer; /* how many nodes read this value, and the last (hb_g_finalize) */
    hb_tensor prep_fwd, prep_bwd; /* conv: Winograd weights of hb_g_freeze (HB_NONE: none) */
} hb_g_node;

#define HB_G_MAX_CHUNKS 64

/* A vector in the graph's parameter layout (weights, gradients, Adam moments, EMA weights).
 * On the host it is one flat array of nparam_floats; on the device it is split into chunks
 * that each fit one buffer (maxTexelBufferElements floats: 2^27 on many GPUs, fewer than the
 * 150M weights of the large ImageNet hat net). */
typedef struct {
    int n;
    hb_tensor t[HB_G_MAX_CHUNKS];
} hb_g_flat;

typedef struct {
    char name[96];
    int ndim;
    int64_t shape[4];
    uint32_t off, n; /* in the host flat layout */
    int chunk;       /* device chunk holding it, at off - chunk_base[chunk] */
    int init;        /* HB_INIT_* */
    float fan_in, fan_out; /* weights and biases: of their layer */
} hb_g_param_info;

enum { HB_INIT_WEIGHT, HB_INIT_ZERO, HB_INIT_ONE, HB_INIT_BIAS };
/* How hb_g_init_params draws weights and biases: the authors' Keras init (Glorot-uniform
 * weights, zero biases) or PyTorch's default for Conv2d and Linear (kaiming_uniform(a=sqrt(5))
 * weights and biases, both U(+-1/sqrt(fan_in))). */
typedef enum { HB_G_INIT_GLOROT = 0, HB_G_INIT_TORCH = 1 } hb_g_init_scheme;

typedef struct hb_graph {
    hb_ctx *ctx;
    char name[32]; /* "hat", "gen", ... for messages */
    hb_g_node *nodes;
    int nnodes, nodes_cap;
    hb_g_param_info *params;
    int nparams, params_cap;
    uint32_t nparam_floats;
    int max_batch;
    hb_g_flat weights, grads;
    uint32_t chunk_base[HB_G_MAX_CHUNKS + 1]; /* host offset where each chunk starts */
    hb_tensor workspace;          /* conv and sphere scratch */
    hb_tensor temp;               /* for accumulating ops without an accumulate mode */
    int output;
    int frozen; /* hb_g_freeze: passes recorded now use the prepared conv weights */
    hb_g_init_scheme init; /* what hb_g_init_params draws (default: glorot) */
    hb_fusion_role *plan[HB_PLAN_KINDS]; /* hb_g_finalize: what runs in each kind of pass */
} hb_graph;

hb_graph *hb_g_new(hb_ctx *ctx, const char *name);
void hb_g_free(hb_graph *g);

/* builders: return the new value's id */
int hb_g_input(hb_graph *g, hb_shape s);
int hb_g_conv(hb_graph *g, int x, const char *name, int cout, int k, int bias);
int hb_g_linear(hb_graph *g, int x, const char *name, int out, int bias);
int hb_g_relu(hb_graph *g, int x);
int hb_g_avgpool(hb_graph *g, int x);
int hb_g_upsample(hb_graph *g, int x); /* 2x bilinear, half-pixel centres */
int hb_g_affine(hb_graph *g, int x, const char *name); /* frozen batch norm: weight, bias */
int hb_g_tanh(hb_graph *g, int x, float scale);
int hb_g_gap(hb_graph *g, int x);
int hb_g_add(hb_graph *g, int a, int b);
int hb_g_reshape(hb_graph *g, int x, hb_shape s);
int hb_g_sphere(hb_graph *g, int x); /* z = sqrt(D) x / (||x|| + 1e-6) per sample */

/* Allocates every tensor for batches up to max_batch; output = the last value built. Makes
 * the fusion plans (printed to stderr when HATEBM_PLAN=1). */
void hb_g_finalize(hb_graph *g, int max_batch);
/* Device floats hb_g_finalize(g, max_batch) will allocate (before it is called). */
size_t hb_g_plan_floats(hb_graph *g, int max_batch);
/* Initialises parameters by g->init: like the authors' Keras code (Glorot-uniform kernels, zero
 * biases) or PyTorch's default; batch-norm gamma 1 and beta 0 in both; reproducible from the
 * seed (one draw per float in either scheme). */
void hb_g_init_params(hb_graph *g, uint64_t seed);

size_t hb_g_size(const hb_graph *g, int value); /* floats per sample */
hb_tensor hb_g_value(const hb_graph *g, int value, int batch); /* first batch samples */
hb_tensor hb_g_grad(const hb_graph *g, int value, int batch);
hb_tensor hb_g_param(const hb_graph *g, int index);
/* The descriptor of conv node c over N samples, without fusions (works before finalising). */
hb_conv2d_desc hb_g_conv_desc(const hb_graph *g, int c, int N);
hb_tensor hb_g_param_grad(const hb_graph *g, int index);
int hb_g_find_param(const hb_graph *g, const char *name);

/* Multiply-add FLOPs (2 per product) of the convolutions and linear layers of one forward
 * pass over N samples (works before hb_g_finalize). */
double hb_g_flops(const hb_graph *g, int N);

/* Records the forward pass over `batch` samples (input value 0 must hold them). */
void hb_g_forward(hb_graph *g, hb_cmd *cmd, int batch);
/* Records the backward pass from the output's gradient (which the caller fills first, e.g.
 * with hb_fill). Parameter gradients are written when want_param_grads; the input's
 * gradient when want_input_grad. */
void hb_g_backward(hb_graph *g, hb_cmd *cmd, int batch, int want_param_grads,
                   int want_input_grad);

/* For passes that all see the same weights and want no parameter gradients (the steps of a
 * Langevin chain): hb_g_freeze records each Winograd conv's weight transforms (forward and
 * backward data) once, and the passes recorded until hb_g_thaw use them instead of
 * transforming at every pass, and follow the frozen fusion plan (nn/fusion.h: a relu'd stem
 * conv computed inside the conv that reads it, never stored, say). Thaw before recording
 * anything that changes the weights or wants their gradients. */
void hb_g_freeze(hb_graph *g, hb_cmd *cmd);
void hb_g_thaw(hb_graph *g);

/* Vectors in the parameter layout: allocate one (zeroed), copy it to or from the host's flat
 * array (nparam_floats floats; hb_g_download_flat mallocs it). */
hb_g_flat hb_g_flat_alloc(const hb_graph *g);
void hb_g_flat_free(const hb_graph *g, hb_g_flat *f);
float *hb_g_download_flat(const hb_graph *g, const hb_g_flat *f);
void hb_g_upload_flat(const hb_graph *g, const hb_g_flat *f, const float *host);

/* Weights as safetensors tensors named like the PyTorch modules (with a prefix such as "hat."
 * or ""): hb_g_add_tensors adds each parameter of a host flat array to a writer. */
void hb_g_add_tensors(const hb_graph *g, hb_st_writer *w, const char *prefix, const float *flat);
/* Loads every parameter from f (names prefixed) into the weights, or into another vector of
 * the same layout (EMA weights, say). Strict, like load_state_dict(strict=True): a missing,
 * unexpected or mis-shaped tensor is refused with a message naming it. 0 or -1. */
int hb_g_load_params(hb_graph *g, const hb_st_file *f, const char *prefix, char *err,
                     size_t errlen);
int hb_g_load_into(hb_graph *g, const hb_st_file *f, const char *prefix, const hb_g_flat *dst,
                   char *err, size_t errlen);

#endif
