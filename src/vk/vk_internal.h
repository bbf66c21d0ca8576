/* Internal state of the runtime, shared by the vk_*.c files. */
#ifndef HB_VK_INTERNAL_H
#define HB_VK_INTERNAL_H

#include "vk/hb_vk.h"

#define HB_CHECK(call)                                                                       \
    do {                                                                                     \
        VkResult r_ = (call);                                                                \
        if (r_ != VK_SUCCESS) hb_vk_fail(#call, r_, __FILE__, __LINE__);                     \
    } while (0)
void hb_vk_fail(const char *what, VkResult r, const char *file, int line)
    __attribute__((noreturn));

typedef struct {
    uint32_t off, n; /* floats */
} hb_span;

struct hb_buffer {
    VkBuffer buf;
    VkDeviceMemory mem;
    VkBufferView view_f1, view_f4; /* R32F and RGBA32F over the whole buffer */
    float *map;                    /* NULL when the memory is not host-visible */
    uint32_t capacity;             /* floats */
    hb_span *free_list;            /* sorted, coalesced */
    uint32_t nfree, free_cap;
};

struct hb_pipeline {
    char shader[48];
    char signature[16];
    uint32_t spec[16], nspec;
    VkDescriptorSetLayout dsl;
    VkPipelineLayout layout;
    VkPipeline pipe;
};

typedef struct {
    const char *name;
    double ms;
    uint64_t calls;
} hb_profile_entry;

struct hb_ctx {
    VkInstance instance;
    VkDebugUtilsMessengerEXT messenger;
    VkPhysicalDevice phys;
    VkPhysicalDeviceProperties props;
    VkDevice dev;
    VkQueue queue;
    uint32_t queue_family;
    uint32_t timestamp_bits;
    PFN_vkCmdPushDescriptorSetKHR push_descriptor;
    uint32_t validation_messages;
    int quiet;
    hb_tuning tuning;
    int store64; /* shaderInt64 enabled: kernels with wide stores run their 64-bit build */

    /* memory */
    uint32_t mem_type;
    int host_visible;
    size_t block_floats; /* default block size */
    size_t max_block_floats;
    hb_buffer **buffers;
    uint32_t nbuffers;
    size_t device_bytes;
    hb_buffer *staging; /* used when device memory is not host-visible */
    VkCommandPool pool;

    /* pipelines */
    VkPipelineCache pipeline_cache;
    char cache_path[1024];
    VkShaderModule *modules; /* one per embedded module (hb_shaders.h), made on first use */
    hb_pipeline **pipelines;
    uint32_t npipelines, pipelines_cap;

    /* profiler */
    int profiling;
    hb_profile_entry *profile;
    uint32_t nprofile, profile_cap;
};

/* Whether the physical device offers the device extension `name`. */
int hb_device_has_extension(VkPhysicalDevice pd, const char *name);

/* One-shot command buffer for transfers done outside a recording. */
VkCommandBuffer hb_oneshot_begin(hb_ctx *ctx);
void hb_oneshot_end(hb_ctx *ctx, VkCommandBuffer cb);

void hb_memory_init(hb_ctx *ctx);
void hb_memory_destroy(hb_ctx *ctx);
void hb_pipelines_init(hb_ctx *ctx);
void hb_pipelines_destroy(hb_ctx *ctx);
/* The descriptor type of a binding signature character (hb_pipeline_get). */
VkDescriptorType hb_descriptor_type(char sig);

/* Every barrier the runtime records: all compute and transfer work before it, made visible
 * to all compute and transfer work after it. */
void hb_full_barrier(VkCommandBuffer cb);

#endif
