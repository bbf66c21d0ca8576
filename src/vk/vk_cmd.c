/* Command recording with automatic barriers, replayable submission, and the timestamp
 * profiler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk/vk_internal.h"

#define MAX_TIMED_DISPATCHES 8192

typedef struct {
    hb_tensor *items;
    uint32_t n, cap;
} range_list;

struct hb_cmd {
    hb_ctx *ctx;
    VkCommandBuffer cb;
    VkFence fence;
    int recording, submitted;
    /* what was touched since the last barrier: a dispatch that conflicts with it needs one */
    range_list written, read;
    hb_pipeline *bound;
    /* profiler */
    VkQueryPool queries;
    const char **names;
    uint32_t ntimed;
};

void hb_full_barrier(VkCommandBuffer cb) {
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                                           VK_ACCESS_TRANSFER_READ_BIT |
                                           VK_ACCESS_TRANSFER_WRITE_BIT};
    const VkPipelineStageFlags stages =
        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    vkCmdPipelineBarrier(cb, stages, stages, 0, 1, &mb, 0, NULL, 0, NULL);
}

hb_cmd *hb_cmd_create(hb_ctx *ctx) {
    hb_cmd *c = calloc(1, sizeof *c);
    c->ctx = ctx;
    VkCommandBufferAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                      .commandPool = ctx->pool,
                                      .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                      .commandBufferCount = 1};
    HB_CHECK(vkAllocateCommandBuffers(ctx->dev, &ai, &c->cb));
    VkFenceCreateInfo fi = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    HB_CHECK(vkCreateFence(ctx->dev, &fi, NULL, &c->fence));
    return c;
}

/* Timestamp queries exist only while profiling; made on the first recording that needs them. */
static void ensure_queries(hb_cmd *c) {
    hb_ctx *ctx = c->ctx;
    if (ctx->profiling && !c->queries) {
        VkQueryPoolCreateInfo qi = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                    .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                    .queryCount = 2 * MAX_TIMED_DISPATCHES};
        HB_CHECK(vkCreateQueryPool(ctx->dev, &qi, NULL, &c->queries));
        c->names = calloc(MAX_TIMED_DISPATCHES, sizeof *c->names);
    }
}

hb_ctx *hb_cmd_ctx(hb_cmd *c) { return c->ctx; }

void hb_cmd_destroy(hb_cmd *c) {
    if (!c) return;
    if (c->submitted) hb_cmd_wait(c);
    vkDestroyFence(c->ctx->dev, c->fence, NULL);
    vkFreeCommandBuffers(c->ctx->dev, c->ctx->pool, 1, &c->cb);
    if (c->queries) vkDestroyQueryPool(c->ctx->dev, c->queries, NULL);
    free(c->names);
    free(c->written.items);
    free(c->read.items);
    free(c);
}

static void list_push(range_list *l, hb_tensor t) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->items = realloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->n++] = t;
}

/* Hazards are tracked per buffer, not per range: kernels bind whole-buffer texel views, and
 * synchronization validation (rightly, by the letter of the spec) counts a dispatch as
 * touching everything its descriptors can reach. */
static int list_hits(const range_list *l, hb_tensor t) {
    for (uint32_t i = 0; i < l->n; i++)
        if (l->items[i].buf == t.buf) return 1;
    return 0;
}

static void barrier(hb_cmd *c) {
    hb_full_barrier(c->cb);
    c->written.n = c->read.n = 0;
}

void hb_cmd_begin(hb_cmd *c) {
    if (c->submitted) hb_cmd_wait(c);
    HB_CHECK(vkResetCommandBuffer(c->cb, 0));
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    HB_CHECK(vkBeginCommandBuffer(c->cb, &bi));
    c->recording = 1;
    c->bound = NULL;
    c->ntimed = 0;
    ensure_queries(c);
    if (c->queries) vkCmdResetQueryPool(c->cb, c->queries, 0, 2 * MAX_TIMED_DISPATCHES);
    /* the previous submission's writes (and host writes) become visible to this one */
    barrier(c);
}

void hb_cmd_end(hb_cmd *c) {
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = VK_ACCESS_HOST_READ_BIT};
    vkCmdPipelineBarrier(c->cb, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &mb, 0, NULL, 0, NULL);
    HB_CHECK(vkEndCommandBuffer(c->cb));
    c->recording = 0;
}

void hb_cmd_submit(hb_cmd *c) {
    if (c->recording) hb_die(1, "hb_cmd_submit: recording not ended");
    if (c->submitted) hb_cmd_wait(c);
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO,
                       .commandBufferCount = 1,
                       .pCommandBuffers = &c->cb};
    HB_CHECK(vkQueueSubmit(c->ctx->queue, 1, &si, c->fence));
    c->submitted = 1;
}

static void collect_profile(hb_cmd *c) {
    hb_ctx *ctx = c->ctx;
    if (!c->ntimed) return;
    uint64_t *ts = malloc(2 * c->ntimed * sizeof *ts);
    HB_CHECK(vkGetQueryPoolResults(ctx->dev, c->queries, 0, 2 * c->ntimed, 2 * c->ntimed * 8, ts, 8,
                                   VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    uint64_t mask = ctx->timestamp_bits >= 64 ? ~0ull : (1ull << ctx->timestamp_bits) - 1;
    for (uint32_t i = 0; i < c->ntimed; i++) {
        double ms = (double)((ts[2 * i + 1] - ts[2 * i]) & mask) * ctx->props.limits.timestampPeriod * 1e-6;
        uint32_t k = 0;
        while (k < ctx->nprofile && strcmp(ctx->profile[k].name, c->names[i]) != 0) k++;
        if (k == ctx->nprofile) {
            if (ctx->nprofile == ctx->profile_cap) {
                ctx->profile_cap = ctx->profile_cap ? 2 * ctx->profile_cap : 64;
                ctx->profile = realloc(ctx->profile, ctx->profile_cap * sizeof *ctx->profile);
            }
            ctx->profile[ctx->nprofile++] = (hb_profile_entry){c->names[i], 0, 0};
        }
        ctx->profile[k].ms += ms;
        ctx->profile[k].calls++;
    }
    free(ts);
}

void hb_cmd_wait(hb_cmd *c) {
    if (!c->submitted) return;
    HB_CHECK(vkWaitForFences(c->ctx->dev, 1, &c->fence, VK_TRUE, UINT64_MAX));
    HB_CHECK(vkResetFences(c->ctx->dev, 1, &c->fence));
    c->submitted = 0;
    if (c->queries && c->ctx->profiling) collect_profile(c);
}

void hb_cmd_run(hb_cmd *c) {
    hb_cmd_submit(c);
    hb_cmd_wait(c);
}

/* A barrier is needed when the next access reads or writes a buffer written since the last
 * barrier (RAW, WAW), or writes one read since then (WAR). */
static void order_accesses(hb_cmd *c, const hb_tensor *t, const char *sig) {
    size_t n = strlen(sig);
    int need = 0;
    for (size_t i = 0; i < n && !need; i++) {
        int writes = strchr("wWsS", sig[i]) != NULL;
        need = list_hits(&c->written, t[i]) || (writes && list_hits(&c->read, t[i]));
    }
    if (need) barrier(c);
    for (size_t i = 0; i < n; i++) {
        int writes = strchr("wWsS", sig[i]) != NULL;
        list_push(writes ? &c->written : &c->read, t[i]);
    }
}

void hb_dispatch(hb_cmd *c, const char *name, hb_pipeline *p, const hb_tensor *t,
                 const void *push, uint32_t push_size, uint32_t gx, uint32_t gy, uint32_t gz) {
    hb_ctx *ctx = c->ctx;
    if (!c->recording) hb_die(1, "hb_dispatch(%s) outside a recording", name);
    if (!gx || !gy || !gz) return;
    order_accesses(c, t, p->signature);
    size_t nb = strlen(p->signature);
    VkWriteDescriptorSet w[16];
    VkDescriptorBufferInfo bi[16];
    for (size_t i = 0; i < nb; i++) {
        if (!t[i].buf) hb_die(1, "%s: binding %zu has no tensor", name, i);
        char s = p->signature[i];
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstBinding = (uint32_t)i,
                                      .descriptorCount = 1,
                                      .descriptorType = hb_descriptor_type(s)};
        if (w[i].descriptorType != VK_DESCRIPTOR_TYPE_STORAGE_BUFFER) {
            w[i].pTexelBufferView = (s == 'R' || s == 'W') ? &t[i].buf->view_f4
                                                           : &t[i].buf->view_f1;
        } else { /* a window from just before the tensor to its end */
            uint32_t woff = hb_window_off(ctx, t[i]);
            VkDeviceSize range = ((VkDeviceSize)woff + t[i].n) * 4;
            if (range > ctx->props.limits.maxStorageBufferRange)
                hb_die(1, "%s: binding %zu writes %u floats, above this device's storage "
                          "window (%u bytes); the op must split its dispatches",
                       name, i, t[i].n, ctx->props.limits.maxStorageBufferRange);
            bi[i] = (VkDescriptorBufferInfo){t[i].buf->buf, (VkDeviceSize)(t[i].off - woff) * 4,
                                             range};
            w[i].pBufferInfo = &bi[i];
        }
    }
    if (c->bound != p) {
        vkCmdBindPipeline(c->cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipe);
        c->bound = p;
    }
    ctx->push_descriptor(c->cb, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, (uint32_t)nb, w);
    if (push_size) vkCmdPushConstants(c->cb, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, push_size, push);
    int timed = c->queries && c->ctx->profiling && c->ntimed < MAX_TIMED_DISPATCHES;
    if (timed) {
        c->names[c->ntimed] = name;
        vkCmdWriteTimestamp(c->cb, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, c->queries, 2 * c->ntimed);
    }
    const uint32_t *maxg = ctx->props.limits.maxComputeWorkGroupCount;
    for (uint32_t z = 0; z < gz; z += maxg[2])
        for (uint32_t y = 0; y < gy; y += maxg[1])
            for (uint32_t x = 0; x < gx; x += maxg[0]) {
                uint32_t cx = gx - x < maxg[0] ? gx - x : maxg[0];
                uint32_t cy = gy - y < maxg[1] ? gy - y : maxg[1];
                uint32_t cz = gz - z < maxg[2] ? gz - z : maxg[2];
                if (x || y || z) vkCmdDispatchBase(c->cb, x, y, z, cx, cy, cz);
                else vkCmdDispatch(c->cb, cx, cy, cz);
            }
    if (timed) {
        vkCmdWriteTimestamp(c->cb, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, c->queries, 2 * c->ntimed + 1);
        c->ntimed++;
    }
}

void hb_dispatch_1d(hb_cmd *c, const char *name, hb_pipeline *p, const hb_tensor *t,
                    const void *push, uint32_t push_size, uint64_t count, uint32_t local) {
    uint64_t groups = (count + local - 1) / local;
    uint32_t gx = groups < 65535 ? (uint32_t)groups : 65535;
    uint32_t gy = (uint32_t)((groups + gx - 1) / (gx ? gx : 1));
    hb_dispatch(c, name, p, t, push, push_size, gx, gy, 1);
}

static void transfer_access(hb_cmd *c, hb_tensor dst, const hb_tensor *src) {
    int need = list_hits(&c->written, dst) || list_hits(&c->read, dst) ||
               (src && list_hits(&c->written, *src));
    if (need) barrier(c);
    list_push(&c->written, dst);
    if (src) list_push(&c->read, *src);
}

void hb_cmd_zero(hb_cmd *c, hb_tensor t) {
    if (!t.n) return;
    transfer_access(c, t, NULL);
    vkCmdFillBuffer(c->cb, t.buf->buf, (VkDeviceSize)t.off * 4, (VkDeviceSize)t.n * 4, 0);
}

void hb_cmd_copy(hb_cmd *c, hb_tensor dst, hb_tensor src) {
    if (dst.n != src.n) hb_die(1, "hb_cmd_copy: sizes differ (%u vs %u)", dst.n, src.n);
    if (!dst.n) return;
    transfer_access(c, dst, &src);
    VkBufferCopy r = {.srcOffset = (VkDeviceSize)src.off * 4, .dstOffset = (VkDeviceSize)dst.off * 4,
                      .size = (VkDeviceSize)dst.n * 4};
    vkCmdCopyBuffer(c->cb, src.buf->buf, dst.buf->buf, 1, &r);
}

uint32_t hb_window_off(const hb_ctx *ctx, hb_tensor t) {
    uint32_t align = (uint32_t)(ctx->props.limits.minStorageBufferOffsetAlignment / 4);
    return align > 1 ? t.off % align : 0;
}

/* $HATEBM_WINDOW_FLOATS asks for smaller windows, so the tests exercise the ops' chunked
 * dispatches on any device. */
size_t hb_max_window_floats(const hb_ctx *ctx) {
    /* less the largest window offset, so any tensor of this size fits */
    uint32_t align = (uint32_t)(ctx->props.limits.minStorageBufferOffsetAlignment / 4);
    size_t cap = ctx->props.limits.maxStorageBufferRange / 4 - (align > 1 ? align - 1 : 0);
    const char *env = getenv("HATEBM_WINDOW_FLOATS");
    size_t want = env ? strtoull(env, NULL, 10) : 0;
    return want >= 64 && want < cap ? want : cap;
}

void hb_profile_enable(hb_ctx *ctx, int on) { ctx->profiling = on && ctx->timestamp_bits > 0; }
void hb_profile_clear(hb_ctx *ctx) { ctx->nprofile = 0; }

double hb_profile_ms(const hb_ctx *ctx, const char *name) {
    double ms = -1;
    size_t len = strlen(name);
    for (uint32_t k = 0; k < ctx->nprofile; k++) {
        const char *e = ctx->profile[k].name;
        if (strncmp(e, name, len) == 0 && (e[len] == 0 || e[len] == '/'))
            ms = (ms < 0 ? 0 : ms) + ctx->profile[k].ms;
    }
    return ms;
}

void hb_profile_report(hb_ctx *ctx) {
    double total = 0;
    for (uint32_t k = 0; k < ctx->nprofile; k++) total += ctx->profile[k].ms;
    if (!ctx->nprofile) return;
    fprintf(stderr, "hatebm: device time per op (HATEBM_PROFILE)\n");
    fprintf(stderr, "  %-28s %10s %8s %10s %6s\n", "op", "total ms", "calls", "ms/call", "%");
    for (uint32_t k = 0; k < ctx->nprofile; k++) {
        hb_profile_entry *e = &ctx->profile[k];
        fprintf(stderr, "  %-28s %10.3f %8llu %10.4f %5.1f%%\n", e->name, e->ms,
                (unsigned long long)e->calls, e->ms / (double)e->calls, 100 * e->ms / total);
    }
    fprintf(stderr, "  %-28s %10.3f\n", "total", total);
    hb_profile_clear(ctx);
}
