/* The Vulkan compute runtime: device, memory, pipelines, command recording, profiler.
 *
 * Data model: a tensor is a range of floats inside one large VkBuffer. Every buffer carries
 * texel views (R32F and RGBA32F) made once at allocation; shaders read through uniform texel
 * buffers (the fast read path on lavapipe) and write through storage texel buffers, so no
 * binding is ever limited by maxStorageBufferRange and no view is made per dispatch. Element
 * offsets travel in push constants. Descriptors are pushed (VK_KHR_push_descriptor) into the
 * command buffer, so nothing is allocated per dispatch and a recorded command buffer can be
 * replayed as is. */
#ifndef HB_VK_H
#define HB_VK_H

#include <stddef.h>
#include <stdint.h>
#include <vulkan/vulkan.h>

#include "base/base.h"

typedef struct hb_ctx hb_ctx;
typedef struct hb_buffer hb_buffer;
typedef struct hb_pipeline hb_pipeline;

/* A range of floats in a buffer. off and n count floats; off is a multiple of 16. */
typedef struct {
    hb_buffer *buf;
    uint32_t off;
    uint32_t n;
} hb_tensor;

/* lavapipe silently ends an invocation after 65535 loop iterations in total (its guard
 * against infinite loops; loops the compiler unrolls do not count), leaving a wrong result.
 * Kernels keep their runtime-bounded loops within half of that. */
#define HB_LOOP_BUDGET 32768u

/* Which variants the hot kernels dispatch (the device's kernel profile). cpu: big register
 * blocks read through texel fetches, no shared memory (what lavapipe runs fastest,
 * ../shared/reference/lavapipe-notes.md); gpu: workgroup tiles staged through shared memory. */
typedef enum { HB_KERNELS_CPU, HB_KERNELS_GPU } hb_kernel_set;

/* A shared-memory GEMM's tile: a workgroup computes bm x bn outputs, each of its
 * (bm / tm) * (bn / tn) invocations a tm x tn block; bm a multiple of 16 (the Winograd
 * panels' height), tn of 4 (vec4 columns). */
typedef struct {
    uint32_t bm, bn, tm, tn;
} hb_gemm_tile;

/* Per-device choices the kernels are specialised on (see hb_ctx_tuning). */
typedef struct {
    uint32_t local_size;               /* invocations per workgroup of 1-D kernels */
    uint32_t reduce_local_size;        /* invocations per workgroup of reductions */
    /* Loop iterations one invocation may run: HB_LOOP_BUDGET on lavapipe, 0 (no limit)
     * elsewhere. */
    uint32_t loop_budget;
    hb_kernel_set kernels;             /* HATEBM_KERNELS=cpu|gpu overrides the device's */
    hb_gemm_tile gemm;                 /* gpu profile's GEMMs (HATEBM_GEMM_TILE=BMxBNxTMxTN) */
    uint32_t subgroup_size;            /* the device's default, as it reports it */
    /* the sizes a pipeline may require (VK_EXT_subgroup_size_control; 0 where unknown) */
    uint32_t subgroup_min, subgroup_max;
    /* gpu profile, compute shaders with subgroupAdd, HATEBM_SUBGROUPS not 0: the per-channel
     * reductions (shaders/reduce_subgroup.comp) sum across subgroups first */
    uint32_t subgroup_reduce;
} hb_tuning;

/* ---- context ---- */
typedef struct {
    const char *device; /* index or name substring; NULL: $HATEBM_DEVICE, then best type */
    int validate;       /* -1: from $HATEBM_VALIDATE */
    int quiet;          /* no "using device" line */
} hb_ctx_opts;

/* Creates instance and device. On failure prints one line saying what to do and returns NULL. */
hb_ctx *hb_ctx_create(const hb_ctx_opts *opts);
void hb_ctx_destroy(hb_ctx *ctx);
/* Prints "hatebm: using DEVICE" as hb_ctx_create does unless quiet (a command that may still
 * refuse its input creates the context quiet and announces it once the input is accepted). */
void hb_ctx_announce(const hb_ctx *ctx);
/* Lists the Vulkan devices (hatebm devices). Returns 0, or 2 when there are none. */
int hb_list_devices(void);
/* The usable devices of the best type (the GPUs, or lavapipe where there is none): their
 * indices for --device, at most max of them, in index[]; returns how many there are. */
int hb_best_devices(int *index, int max);
const char *hb_ctx_device_name(const hb_ctx *ctx);
const VkPhysicalDeviceLimits *hb_ctx_limits(const hb_ctx *ctx);
const hb_tuning *hb_ctx_tuning(const hb_ctx *ctx);
/* The tuning a physical device gets, with the environment's overrides (one-line error and
 * exit 2 for a bad HATEBM_KERNELS, HATEBM_GEMM_TILE or HATEBM_SUBGROUPS), and its one-line
 * description. */
hb_tuning hb_tuning_for(VkPhysicalDevice pd);
void hb_tuning_describe(const hb_tuning *t, char *buf, size_t size);
/* Validation messages seen so far (warnings and errors). Tests require 0. */
uint32_t hb_validation_messages(const hb_ctx *ctx);
/* Bytes of device memory held in blocks; constant in steady state. */
size_t hb_device_bytes(const hb_ctx *ctx);
/* Device memory this process may use: the heap budget (VK_EXT_memory_budget) or else the heap
 * size; for a CPU device the machine's memory when larger. *source says which, for messages. */
size_t hb_device_budget(const hb_ctx *ctx, const char **source);

/* ---- memory ---- */
/* Allocates n floats (zeroed). Prints the reason and exits(2) if it cannot. */
hb_tensor hb_alloc(hb_ctx *ctx, size_t n);
/* Frees what hb_alloc returned (not a slice of it; that is a fatal error). */
void hb_free(hb_ctx *ctx, hb_tensor t);
/* The largest tensor hb_alloc can make (one buffer bound whole as a texel view). */
size_t hb_max_tensor_floats(const hb_ctx *ctx);
/* Synchronous copies; the caller makes sure no submitted work still uses t. */
void hb_upload(hb_ctx *ctx, hb_tensor t, const float *src);
void hb_download(hb_ctx *ctx, hb_tensor t, float *dst);
void hb_fill_host(hb_ctx *ctx, hb_tensor t, float value);
/* A sub-range of a tensor; off and n in floats, off a multiple of 4 when read as vec4. */
hb_tensor hb_slice(hb_tensor t, uint32_t off, uint32_t n);
int hb_overlaps(hb_tensor a, hb_tensor b);

/* ---- pipelines ---- */
/* Binding signature, one character per binding in order:
 *   'r' read  float  (uniform texel buffer, R32F)     'R' read  vec4 (RGBA32F)
 *   'w' write float  (storage texel buffer, R32F)     'W' write vec4 (RGBA32F)
 *   's' write float  (storage buffer window)          'S' write vec4 (storage buffer window)
 * Shaders declare texel writes as format-less writeonly imageBuffer, so one shader serves
 * both views. Storage-buffer writes are 1.3-2x faster on lavapipe (imageStore goes through
 * the format conversion path), but a storage buffer is bound as a window of at most
 * maxStorageBufferRange bytes (128 MiB on lavapipe) starting hb_window_off floats before the
 * tensor: the shader indexes from the window's start, and the op splits its dispatches so
 * each output fits (hb_max_window_floats).
 * To update a tensor in place, bind it twice: once to read ('r'), once to write ('w');
 * each invocation reads its own elements before writing them.
 * spec: specialization constants 0..nspec-1 (uint32). Built once, then found by key. */
hb_pipeline *hb_pipeline_get(hb_ctx *ctx, const char *shader, const char *signature,
                             const uint32_t *spec, uint32_t nspec);

/* Floats from the start of a storage window ('s', 'S') to the tensor it binds: the window
 * starts at the offset alignment below the tensor. A multiple of 4 when t.off is. */
uint32_t hb_window_off(const hb_ctx *ctx, hb_tensor t);
/* The largest tensor a storage window can bind, whatever its offset. */
size_t hb_max_window_floats(const hb_ctx *ctx);

/* ---- command recording ---- */
typedef struct hb_cmd hb_cmd;
hb_cmd *hb_cmd_create(hb_ctx *ctx);
hb_ctx *hb_cmd_ctx(hb_cmd *cmd);
void hb_cmd_destroy(hb_cmd *cmd);
/* Starts recording (discarding an earlier recording). */
void hb_cmd_begin(hb_cmd *cmd);
void hb_cmd_end(hb_cmd *cmd);
/* Submits the recorded commands; may be called again to replay them. */
void hb_cmd_submit(hb_cmd *cmd);
void hb_cmd_wait(hb_cmd *cmd);
/* Convenience: submit + wait. */
void hb_cmd_run(hb_cmd *cmd);

/* Records one dispatch. tensors[i] is bound to binding i as the pipeline's signature says;
 * a barrier is inserted first when this dispatch touches a buffer that earlier dispatches in
 * the same recording wrote, or writes a buffer they read. Groups beyond the device's
 * maxComputeWorkGroupCount are split into several dispatches (vkCmdDispatchBase), so 3-D
 * kernels must index by gl_WorkGroupID / gl_GlobalInvocationID, never gl_NumWorkGroups.
 * name labels the profiler and must outlive the context (a string literal). */
void hb_dispatch(hb_cmd *cmd, const char *name, hb_pipeline *p, const hb_tensor *tensors,
                 const void *push, uint32_t push_size, uint32_t gx, uint32_t gy, uint32_t gz);
/* For 1-D kernels: dispatches ceil(count / local) workgroups as a 2-D grid (x up to 65535).
 * The shader recovers the linear index with hb_global_index() from shaders/common.glsl. */
void hb_dispatch_1d(hb_cmd *cmd, const char *name, hb_pipeline *p, const hb_tensor *tensors,
                    const void *push, uint32_t push_size, uint64_t count, uint32_t local);
/* Records a fill of t with 0. */
void hb_cmd_zero(hb_cmd *cmd, hb_tensor t);
/* Records a copy src -> dst (same n). */
void hb_cmd_copy(hb_cmd *cmd, hb_tensor dst, hb_tensor src);

/* ---- profiler (HATEBM_PROFILE=1) ---- */
/* Prints accumulated device time per op name to stderr and clears it. */
void hb_profile_report(hb_ctx *ctx);
/* Device milliseconds accumulated so far by op `name` and its stages ("name/stage");
 * -1 for unknown names. */
double hb_profile_ms(const hb_ctx *ctx, const char *name);
void hb_profile_clear(hb_ctx *ctx);
void hb_profile_enable(hb_ctx *ctx, int on);

#endif
