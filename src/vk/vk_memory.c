/* Device memory: a few large buffers, each with its own memory block and texel views, and a
 * first-fit free list inside each. Tensors are ranges of floats in them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vk/vk_internal.h"

#define ALIGN_FLOATS 16u /* 64 bytes: vec4-aligned, cache-line aligned */
#define DEFAULT_BLOCK_BYTES (256ull << 20)

static uint32_t find_memory_type(hb_ctx *ctx, uint32_t bits, VkMemoryPropertyFlags want) {
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(ctx->phys, &mp);
    for (uint32_t i = 0; i < mp.memoryTypeCount; i++)
        if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want) return i;
    return UINT32_MAX;
}

static hb_buffer *buffer_create(hb_ctx *ctx, size_t floats, int host) {
    hb_buffer *b = calloc(1, sizeof *b);
    b->capacity = (uint32_t)floats;
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = floats * 4,
                              .usage = VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
                                       VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT |
                                       VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                              .sharingMode = VK_SHARING_MODE_EXCLUSIVE};
    HB_CHECK(vkCreateBuffer(ctx->dev, &bci, NULL, &b->buf));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(ctx->dev, b->buf, &req);
    const VkMemoryPropertyFlags hv =
        VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    uint32_t type;
    if (host) {
        type = find_memory_type(ctx, req.memoryTypeBits, hv | VK_MEMORY_PROPERTY_HOST_CACHED_BIT);
        if (type == UINT32_MAX) type = find_memory_type(ctx, req.memoryTypeBits, hv);
    } else {
        type = ctx->mem_type;
    }
    if (type == UINT32_MAX) hb_die(1, "no suitable Vulkan memory type");
    VkMemoryAllocateInfo mai = {.sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
                                .allocationSize = req.size,
                                .memoryTypeIndex = type};
    VkResult r = vkAllocateMemory(ctx->dev, &mai, NULL, &b->mem);
    if (r != VK_SUCCESS)
        hb_die(2, "out of device memory allocating %.0f MiB (%.0f MiB already in use on %s); "
                  "reduce batch size or network width",
               req.size / 1048576.0, ctx->device_bytes / 1048576.0, ctx->props.deviceName);
    HB_CHECK(vkBindBufferMemory(ctx->dev, b->buf, b->mem, 0));
    ctx->device_bytes += req.size;
    if (host || ctx->host_visible) HB_CHECK(vkMapMemory(ctx->dev, b->mem, 0, VK_WHOLE_SIZE, 0, (void **)&b->map));
    VkBufferViewCreateInfo vci = {.sType = VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO,
                                  .buffer = b->buf,
                                  .format = VK_FORMAT_R32_SFLOAT,
                                  .range = VK_WHOLE_SIZE};
    HB_CHECK(vkCreateBufferView(ctx->dev, &vci, NULL, &b->view_f1));
    vci.format = VK_FORMAT_R32G32B32A32_SFLOAT;
    HB_CHECK(vkCreateBufferView(ctx->dev, &vci, NULL, &b->view_f4));
    b->free_cap = 16;
    b->free_list = malloc(b->free_cap * sizeof *b->free_list);
    b->free_list[0] = (hb_span){0, b->capacity};
    b->nfree = 1;
    return b;
}

static void buffer_destroy(hb_ctx *ctx, hb_buffer *b) {
    vkDestroyBufferView(ctx->dev, b->view_f1, NULL);
    vkDestroyBufferView(ctx->dev, b->view_f4, NULL);
    vkDestroyBuffer(ctx->dev, b->buf, NULL);
    vkFreeMemory(ctx->dev, b->mem, NULL);
    free(b->free_list);
    free(b);
}

void hb_memory_init(hb_ctx *ctx) {
    VkBufferCreateInfo bci = {.sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
                              .size = 4096,
                              .usage = VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
                                       VK_BUFFER_USAGE_STORAGE_TEXEL_BUFFER_BIT |
                                       VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                                       VK_BUFFER_USAGE_TRANSFER_DST_BIT};
    VkBuffer probe;
    HB_CHECK(vkCreateBuffer(ctx->dev, &bci, NULL, &probe));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(ctx->dev, probe, &req);
    vkDestroyBuffer(ctx->dev, probe, NULL);
    ctx->mem_type = find_memory_type(ctx, req.memoryTypeBits, VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
    if (ctx->mem_type == UINT32_MAX) ctx->mem_type = find_memory_type(ctx, req.memoryTypeBits, 0);
    VkPhysicalDeviceMemoryProperties mp;
    vkGetPhysicalDeviceMemoryProperties(ctx->phys, &mp);
    VkMemoryPropertyFlags f = mp.memoryTypes[ctx->mem_type].propertyFlags;
    const char *force = getenv("HATEBM_FORCE_STAGING");
    ctx->host_visible = (f & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
                        (f & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) && !(force && *force == '1');

    /* A buffer is bound whole as an R32F texel view, so it holds at most
     * maxTexelBufferElements floats; and one allocation at most maxMemoryAllocationSize. */
    VkPhysicalDeviceMaintenance3Properties m3 = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &m3};
    vkGetPhysicalDeviceProperties2(ctx->phys, &p2);
    size_t max_floats = ctx->props.limits.maxTexelBufferElements;
    if (m3.maxMemoryAllocationSize / 4 < max_floats) max_floats = m3.maxMemoryAllocationSize / 4;
    if (max_floats > (1ull << 32) - ALIGN_FLOATS) max_floats = (1ull << 32) - ALIGN_FLOATS;
    ctx->max_block_floats = max_floats & ~(size_t)(ALIGN_FLOATS - 1);
    ctx->block_floats = DEFAULT_BLOCK_BYTES / 4;
    if (ctx->block_floats > ctx->max_block_floats) ctx->block_floats = ctx->max_block_floats;
}

void hb_memory_destroy(hb_ctx *ctx) {
    for (uint32_t i = 0; i < ctx->nbuffers; i++) buffer_destroy(ctx, ctx->buffers[i]);
    free(ctx->buffers);
    if (ctx->staging) buffer_destroy(ctx, ctx->staging);
}

size_t hb_device_bytes(const hb_ctx *ctx) { return ctx->device_bytes; }

size_t hb_device_budget(const hb_ctx *ctx, const char **source) {
    VkPhysicalDeviceMemoryBudgetPropertiesEXT budget = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_BUDGET_PROPERTIES_EXT};
    VkPhysicalDeviceMemoryProperties2 mp = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MEMORY_PROPERTIES_2};
    int has_budget = hb_device_has_extension(ctx->phys, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);
    if (has_budget) mp.pNext = &budget;
    vkGetPhysicalDeviceMemoryProperties2(ctx->phys, &mp);
    uint32_t heap = mp.memoryProperties.memoryTypes[ctx->mem_type].heapIndex;
    size_t bytes = mp.memoryProperties.memoryHeaps[heap].size;
    *source = "its memory heap";
    if (has_budget) {
        bytes = budget.heapBudget[heap];
        *source = "its memory budget";
    }
    /* a CPU device (lavapipe) allocates from the machine's memory and does not hold to the
     * heap size it reports (2 GiB) */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (ctx->props.deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU && pages > 0 && page > 0 &&
        (size_t)pages * (size_t)page > bytes) {
        bytes = (size_t)pages * (size_t)page;
        *source = "this machine's memory: the device is the CPU";
    }
    return bytes;
}
size_t hb_max_tensor_floats(const hb_ctx *ctx) { return ctx->max_block_floats; }

static int take_from(hb_buffer *b, uint32_t n, uint32_t *off) {
    for (uint32_t i = 0; i < b->nfree; i++) {
        hb_span *s = &b->free_list[i];
        if (s->n < n) continue;
        *off = s->off;
        s->off += n;
        s->n -= n;
        if (s->n == 0) {
            memmove(s, s + 1, (b->nfree - i - 1) * sizeof *s);
            b->nfree--;
        }
        return 1;
    }
    return 0;
}

hb_tensor hb_alloc(hb_ctx *ctx, size_t n) {
    size_t padded = (n + ALIGN_FLOATS - 1) & ~(size_t)(ALIGN_FLOATS - 1);
    if (padded == 0) padded = ALIGN_FLOATS;
    if (padded > ctx->max_block_floats)
        hb_die(2, "a tensor of %zu floats (%.0f MiB) exceeds what %s can bind at once (%zu "
                  "floats); reduce batch size or network width",
               n, n * 4.0 / 1048576.0, ctx->props.deviceName, ctx->max_block_floats);
    uint32_t off = 0;
    hb_buffer *b = NULL;
    for (uint32_t i = 0; i < ctx->nbuffers && !b; i++)
        if (take_from(ctx->buffers[i], (uint32_t)padded, &off)) b = ctx->buffers[i];
    if (!b) {
        size_t size = padded > ctx->block_floats ? padded : ctx->block_floats;
        b = buffer_create(ctx, size, 0);
        ctx->buffers = realloc(ctx->buffers, (ctx->nbuffers + 1) * sizeof *ctx->buffers);
        ctx->buffers[ctx->nbuffers++] = b;
        take_from(b, (uint32_t)padded, &off);
    }
    hb_tensor t = {b, off, (uint32_t)n};
    hb_fill_host(ctx, (hb_tensor){b, off, (uint32_t)padded}, 0.0f);
    return t;
}

void hb_free(hb_ctx *ctx, hb_tensor t) {
    (void)ctx;
    if (!t.buf) return;
    if (t.off % ALIGN_FLOATS) hb_die(1, "hb_free: not an allocation (a slice at float %u)", t.off);
    hb_buffer *b = t.buf;
    uint32_t n = (t.n + ALIGN_FLOATS - 1) & ~(ALIGN_FLOATS - 1);
    if (n == 0) n = ALIGN_FLOATS;
    uint32_t i = 0;
    while (i < b->nfree && b->free_list[i].off < t.off) i++;
    if (b->nfree == b->free_cap) {
        b->free_cap *= 2;
        b->free_list = realloc(b->free_list, b->free_cap * sizeof *b->free_list);
    }
    memmove(&b->free_list[i + 1], &b->free_list[i], (b->nfree - i) * sizeof *b->free_list);
    b->free_list[i] = (hb_span){t.off, n};
    b->nfree++;
    /* coalesce with the next, then with the previous span */
    if (i + 1 < b->nfree && b->free_list[i].off + b->free_list[i].n == b->free_list[i + 1].off) {
        b->free_list[i].n += b->free_list[i + 1].n;
        memmove(&b->free_list[i + 1], &b->free_list[i + 2], (b->nfree - i - 2) * sizeof *b->free_list);
        b->nfree--;
    }
    if (i > 0 && b->free_list[i - 1].off + b->free_list[i - 1].n == b->free_list[i].off) {
        b->free_list[i - 1].n += b->free_list[i].n;
        memmove(&b->free_list[i], &b->free_list[i + 1], (b->nfree - i - 1) * sizeof *b->free_list);
        b->nfree--;
    }
}

hb_tensor hb_slice(hb_tensor t, uint32_t off, uint32_t n) {
    if ((uint64_t)off + n > t.n) hb_die(1, "slice [%u, %u) outside a tensor of %u", off, off + n, t.n);
    return (hb_tensor){t.buf, t.off + off, n};
}

int hb_overlaps(hb_tensor a, hb_tensor b) {
    return a.buf == b.buf && a.off < b.off + b.n && b.off < a.off + a.n;
}

VkCommandBuffer hb_oneshot_begin(hb_ctx *ctx) {
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = ctx->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    VkCommandBuffer cb;
    HB_CHECK(vkAllocateCommandBuffers(ctx->dev, &ai, &cb));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO,
                                   .flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT};
    HB_CHECK(vkBeginCommandBuffer(cb, &bi));
    hb_full_barrier(cb);
    return cb;
}

void hb_oneshot_end(hb_ctx *ctx, VkCommandBuffer cb) {
    hb_full_barrier(cb);
    HB_CHECK(vkEndCommandBuffer(cb));
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &cb};
    HB_CHECK(vkQueueSubmit(ctx->queue, 1, &si, VK_NULL_HANDLE));
    HB_CHECK(vkQueueWaitIdle(ctx->queue));
    vkFreeCommandBuffers(ctx->dev, ctx->pool, 1, &cb);
}

static hb_buffer *staging(hb_ctx *ctx, size_t floats) {
    if (ctx->staging && ctx->staging->capacity >= floats) return ctx->staging;
    if (ctx->staging) {
        ctx->device_bytes -= (size_t)ctx->staging->capacity * 4;
        buffer_destroy(ctx, ctx->staging);
    }
    ctx->staging = buffer_create(ctx, floats, 1);
    return ctx->staging;
}

static void copy_region(hb_ctx *ctx, VkBuffer dst, size_t doff, VkBuffer src, size_t soff,
                        size_t n) {
    VkCommandBuffer cb = hb_oneshot_begin(ctx);
    VkBufferCopy region = {.srcOffset = soff * 4, .dstOffset = doff * 4, .size = n * 4};
    vkCmdCopyBuffer(cb, src, dst, 1, &region);
    hb_oneshot_end(ctx, cb);
}

void hb_upload(hb_ctx *ctx, hb_tensor t, const float *src) {
    if (!t.n) return;
    if (t.buf->map) {
        memcpy(t.buf->map + t.off, src, (size_t)t.n * 4);
        return;
    }
    hb_buffer *s = staging(ctx, t.n);
    memcpy(s->map, src, (size_t)t.n * 4);
    copy_region(ctx, t.buf->buf, t.off, s->buf, 0, t.n);
}

void hb_download(hb_ctx *ctx, hb_tensor t, float *dst) {
    if (!t.n) return;
    if (t.buf->map) {
        memcpy(dst, t.buf->map + t.off, (size_t)t.n * 4);
        return;
    }
    hb_buffer *s = staging(ctx, t.n);
    copy_region(ctx, s->buf, 0, t.buf->buf, t.off, t.n);
    memcpy(dst, s->map, (size_t)t.n * 4);
}

void hb_fill_host(hb_ctx *ctx, hb_tensor t, float value) {
    if (!t.n) return;
    if (t.buf->map) {
        for (uint32_t i = 0; i < t.n; i++) t.buf->map[t.off + i] = value;
        return;
    }
    VkCommandBuffer cb = hb_oneshot_begin(ctx);
    uint32_t bits;
    memcpy(&bits, &value, 4);
    vkCmdFillBuffer(cb, t.buf->buf, (VkDeviceSize)t.off * 4, (VkDeviceSize)t.n * 4, bits);
    hb_oneshot_end(ctx, cb);
}
