/* Compute pipelines: built once per (shader, signature, specialization) and kept; a
 * VkPipelineCache persisted on disk makes later runs skip shader compilation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vk/hb_shaders.h"
#include "vk/vk_internal.h"

#define PUSH_CONSTANT_BYTES 128 /* the minimum every device guarantees */

static void cache_path(hb_ctx *ctx, char *out, size_t size) {
    const char *dir = getenv("HATEBM_CACHE_DIR");
    char buf[900];
    if (!dir || !*dir) {
        const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
        if (xdg && *xdg) snprintf(buf, sizeof buf, "%s/hatebm", xdg);
        else if (home && *home) snprintf(buf, sizeof buf, "%s/.cache/hatebm", home);
        else snprintf(buf, sizeof buf, "/tmp/hatebm-cache");
        dir = buf;
    }
    hb_mkdir_p(dir); /* a failure shows as a warning when the cache is saved */
    snprintf(out, size, "%s/pipelines-%04x-%04x.bin", dir, ctx->props.vendorID,
             ctx->props.deviceID);
}

/* Accepts cache data only if its header names this device (drivers should check too, but a
 * stale file from another driver version must never reach them). */
static int cache_header_matches(hb_ctx *ctx, const unsigned char *d, size_t n) {
    if (n < 16 + VK_UUID_SIZE) return 0;
    uint32_t len, version, vendor, device;
    memcpy(&len, d, 4);
    memcpy(&version, d + 4, 4);
    memcpy(&vendor, d + 8, 4);
    memcpy(&device, d + 12, 4);
    return len >= 16 + VK_UUID_SIZE && version == VK_PIPELINE_CACHE_HEADER_VERSION_ONE &&
           vendor == ctx->props.vendorID && device == ctx->props.deviceID &&
           memcmp(d + 16, ctx->props.pipelineCacheUUID, VK_UUID_SIZE) == 0;
}

/* The embedded modules: shaders/, then tests/shaders/ in the test executables. */
static int spirv_count(void) {
    return hb_spirv_count + (&hb_spirv_test_count ? hb_spirv_test_count : 0);
}
static const hb_spirv *spirv_at(int i) {
    return i < hb_spirv_count ? &hb_spirv_table[i] : &hb_spirv_test_table[i - hb_spirv_count];
}

void hb_pipelines_init(hb_ctx *ctx) {
    cache_path(ctx, ctx->cache_path, sizeof ctx->cache_path);
    unsigned char *data = NULL;
    size_t n = 0;
    FILE *f = fopen(ctx->cache_path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fseek(f, 0, SEEK_SET);
        if (len > 0 && (data = malloc((size_t)len)) && fread(data, 1, (size_t)len, f) == (size_t)len)
            n = (size_t)len;
        fclose(f);
        if (n && !cache_header_matches(ctx, data, n)) n = 0;
    }
    VkPipelineCacheCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_CACHE_CREATE_INFO,
                                    .initialDataSize = n,
                                    .pInitialData = n ? data : NULL};
    if (vkCreatePipelineCache(ctx->dev, &ci, NULL, &ctx->pipeline_cache) != VK_SUCCESS) {
        ci.initialDataSize = 0;
        ci.pInitialData = NULL;
        HB_CHECK(vkCreatePipelineCache(ctx->dev, &ci, NULL, &ctx->pipeline_cache));
    }
    free(data);
    ctx->modules = calloc((size_t)spirv_count(), sizeof *ctx->modules);
}

/* Written to a temporary file and renamed, so a crash never leaves a torn cache. */
static void save_cache(hb_ctx *ctx) {
    size_t n = 0;
    if (vkGetPipelineCacheData(ctx->dev, ctx->pipeline_cache, &n, NULL) != VK_SUCCESS || !n)
        return;
    unsigned char *data = malloc(n);
    if (vkGetPipelineCacheData(ctx->dev, ctx->pipeline_cache, &n, data) != VK_SUCCESS) {
        free(data);
        return;
    }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.%d.tmp", ctx->cache_path, (int)getpid());
    FILE *f = fopen(tmp, "wb");
    int ok = f && fwrite(data, 1, n, f) == n;
    if (f) ok &= fclose(f) == 0;
    if (ok) ok = rename(tmp, ctx->cache_path) == 0;
    if (!ok) {
        unlink(tmp);
        fprintf(stderr, "hatebm: warning: could not save the pipeline cache to %s: %s\n",
                ctx->cache_path, strerror(errno));
    }
    free(data);
}

void hb_pipelines_destroy(hb_ctx *ctx) {
    save_cache(ctx);
    for (uint32_t i = 0; i < ctx->npipelines; i++) {
        hb_pipeline *p = ctx->pipelines[i];
        vkDestroyPipeline(ctx->dev, p->pipe, NULL);
        vkDestroyPipelineLayout(ctx->dev, p->layout, NULL);
        vkDestroyDescriptorSetLayout(ctx->dev, p->dsl, NULL);
        free(p);
    }
    free(ctx->pipelines);
    for (int i = 0; i < spirv_count(); i++)
        if (ctx->modules[i]) vkDestroyShaderModule(ctx->dev, ctx->modules[i], NULL);
    free(ctx->modules);
    vkDestroyPipelineCache(ctx->dev, ctx->pipeline_cache, NULL);
}

/* Kernels with wide stores come in two builds (shaders/common.glsl): without shaderInt64
 * the one named <shader>_st32. */
static VkShaderModule module_for(hb_ctx *ctx, const char *shader) {
    char st32[128];
    snprintf(st32, sizeof st32, "%s_st32", shader);
    int found = -1;
    for (int i = 0; i < spirv_count() && found < 0; i++)
        if (!ctx->store64 && strcmp(spirv_at(i)->name, st32) == 0) found = i;
    for (int i = 0; i < spirv_count() && found < 0; i++)
        if (strcmp(spirv_at(i)->name, shader) == 0) found = i;
    if (found < 0) hb_die(1, "no embedded shader named '%s'", shader);
    if (!ctx->modules[found]) {
        VkShaderModuleCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                       .codeSize = spirv_at(found)->size,
                                       .pCode = (const uint32_t *)spirv_at(found)->code};
        HB_CHECK(vkCreateShaderModule(ctx->dev, &ci, NULL, &ctx->modules[found]));
    }
    return ctx->modules[found];
}

VkDescriptorType hb_descriptor_type(char c) {
    switch (c) {
    case 'r': case 'R': return VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
    case 'w': case 'W': return VK_DESCRIPTOR_TYPE_STORAGE_TEXEL_BUFFER;
    case 's': case 'S': return VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    default: hb_die(1, "bad binding signature character '%c'", c);
    }
}

hb_pipeline *hb_pipeline_get(hb_ctx *ctx, const char *shader, const char *signature,
                             const uint32_t *spec, uint32_t nspec) {
    for (uint32_t i = 0; i < ctx->npipelines; i++) {
        hb_pipeline *p = ctx->pipelines[i];
        if (p->nspec == nspec && strcmp(p->shader, shader) == 0 &&
            strcmp(p->signature, signature) == 0 &&
            (nspec == 0 || memcmp(p->spec, spec, nspec * 4) == 0))
            return p;
    }
    size_t nb = strlen(signature);
    if (nb >= sizeof ((hb_pipeline *)0)->signature || nspec > 16 ||
        strlen(shader) >= sizeof ((hb_pipeline *)0)->shader)
        hb_die(1, "pipeline description too long for %s", shader);
    hb_pipeline *p = calloc(1, sizeof *p);
    snprintf(p->shader, sizeof p->shader, "%s", shader);
    snprintf(p->signature, sizeof p->signature, "%s", signature);
    if (nspec) memcpy(p->spec, spec, nspec * 4);
    p->nspec = nspec;

    VkDescriptorSetLayoutBinding b[16];
    for (size_t i = 0; i < nb; i++)
        b[i] = (VkDescriptorSetLayoutBinding){.binding = (uint32_t)i,
                                              .descriptorType = hb_descriptor_type(signature[i]),
                                              .descriptorCount = 1,
                                              .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT};
    VkDescriptorSetLayoutCreateInfo dci = {
        .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
        .flags = VK_DESCRIPTOR_SET_LAYOUT_CREATE_PUSH_DESCRIPTOR_BIT_KHR,
        .bindingCount = (uint32_t)nb,
        .pBindings = b};
    HB_CHECK(vkCreateDescriptorSetLayout(ctx->dev, &dci, NULL, &p->dsl));
    VkPushConstantRange pcr = {.stageFlags = VK_SHADER_STAGE_COMPUTE_BIT,
                               .size = PUSH_CONSTANT_BYTES};
    VkPipelineLayoutCreateInfo lci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                      .setLayoutCount = 1,
                                      .pSetLayouts = &p->dsl,
                                      .pushConstantRangeCount = 1,
                                      .pPushConstantRanges = &pcr};
    HB_CHECK(vkCreatePipelineLayout(ctx->dev, &lci, NULL, &p->layout));

    VkSpecializationMapEntry entries[16];
    for (uint32_t i = 0; i < nspec; i++)
        entries[i] = (VkSpecializationMapEntry){.constantID = i, .offset = i * 4, .size = 4};
    VkSpecializationInfo si = {.mapEntryCount = nspec,
                               .pMapEntries = entries,
                               .dataSize = nspec * 4,
                               .pData = p->spec};
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .flags = VK_PIPELINE_CREATE_DISPATCH_BASE_BIT,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = module_for(ctx, shader),
                  .pName = "main",
                  .pSpecializationInfo = nspec ? &si : NULL},
        .layout = p->layout};
    HB_CHECK(vkCreateComputePipelines(ctx->dev, ctx->pipeline_cache, 1, &ci, NULL, &p->pipe));
    if (ctx->npipelines == ctx->pipelines_cap) {
        ctx->pipelines_cap = ctx->pipelines_cap ? ctx->pipelines_cap * 2 : 32;
        ctx->pipelines = realloc(ctx->pipelines, ctx->pipelines_cap * sizeof *ctx->pipelines);
    }
    ctx->pipelines[ctx->npipelines++] = p;
    return p;
}
