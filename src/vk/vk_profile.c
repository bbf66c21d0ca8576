/* The kernel profile a device gets (hb_tuning): workgroup sizes, which variant of the hot
 * kernels runs (cpu or gpu), and the gpu variants' GEMM tile, from what the device reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk/vk_internal.h"

/* The shared-memory GEMMs' tile per vendor. Workgroups of 256 invocations on NVIDIA (8 warps)
 * and AMD (4 waves of 64) hold 64x64 outputs in 4x4 blocks: 16 accumulators per invocation,
 * well inside either's register budget, and 8 KiB of double-buffered panels. Intel's smaller
 * EUs and other GPUs (mobile, unknown) get fewer invocations. None is measured yet. */
static hb_gemm_tile vendor_tile(const VkPhysicalDeviceProperties *p) {
    switch (p->vendorID) {
    case 0x10DE: /* NVIDIA */
    case 0x1002: /* AMD */
        return (hb_gemm_tile){64, 64, 4, 4};
    case 0x8086: /* Intel */
        return (hb_gemm_tile){32, 64, 4, 4};
    default:
        return p->deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? (hb_gemm_tile){64, 64, 4, 4}
                                                             : (hb_gemm_tile){32, 32, 4, 4};
    }
}

/* BK = 8 deep, two buffers of each operand's panel (the shaders named *_tiled) */
static uint32_t tile_shared_bytes(hb_gemm_tile t) { return 2u * 8u * (t.bm + t.bn) * 4u; }

/* NULL when the device can run tile t, else what is wrong with it */
static const char *tile_problem(hb_gemm_tile t, const VkPhysicalDeviceLimits *l) {
    if (!t.tm || !t.tn || t.tm > 8 || t.tn > 8 || t.tn % 4) return "TM 1..8, TN 4 or 8";
    if (!t.bm || !t.bn || t.bm % 16 || t.bm % t.tm || t.bn % t.tn)
        return "BM a multiple of 16 and of TM, BN of TN";
    uint32_t local = (t.bm / t.tm) * (t.bn / t.tn);
    if (local > l->maxComputeWorkGroupInvocations || local > l->maxComputeWorkGroupSize[0])
        return "(BM/TM)*(BN/TN) invocations over the device's workgroup limit";
    if (tile_shared_bytes(t) > l->maxComputeSharedMemorySize)
        return "panels over the device's shared memory";
    return NULL;
}

static hb_kernel_set kernels_for(const VkPhysicalDeviceProperties *p) {
    const char *env = getenv("HATEBM_KERNELS");
    if (env && *env) {
        if (strcmp(env, "cpu") == 0) return HB_KERNELS_CPU;
        if (strcmp(env, "gpu") == 0) return HB_KERNELS_GPU;
        hb_die(2, "HATEBM_KERNELS must be cpu or gpu, not '%s'", env);
    }
    return p->deviceType == VK_PHYSICAL_DEVICE_TYPE_CPU ? HB_KERNELS_CPU : HB_KERNELS_GPU;
}

static hb_gemm_tile gemm_tile_for(const VkPhysicalDeviceProperties *p) {
    hb_gemm_tile t = vendor_tile(p);
    const char *env = getenv("HATEBM_GEMM_TILE");
    if (env && *env) {
        char end;
        if (sscanf(env, "%ux%ux%ux%u%c", &t.bm, &t.bn, &t.tm, &t.tn, &end) != 4)
            hb_die(2, "HATEBM_GEMM_TILE must be BMxBNxTMxTN (e.g. 64x64x4x4), not '%s'", env);
        const char *bad = tile_problem(t, &p->limits);
        if (bad) hb_die(2, "HATEBM_GEMM_TILE=%s does not run on %s: %s", env, p->deviceName, bad);
    } else if (tile_problem(t, &p->limits)) {
        t = (hb_gemm_tile){16, 16, 4, 4}; /* 16 invocations, 2 KiB: any Vulkan device */
    }
    return t;
}

/* Reductions by subgroup operations: the gpu profile, where compute shaders have subgroupAdd,
 * unless HATEBM_SUBGROUPS=0 */
static uint32_t subgroup_reduce(const VkPhysicalDeviceSubgroupProperties *sg, hb_kernel_set k) {
    const char *env = getenv("HATEBM_SUBGROUPS");
    if (env && *env && strcmp(env, "0") != 0 && strcmp(env, "1") != 0)
        hb_die(2, "HATEBM_SUBGROUPS must be 0 or 1, not '%s'", env);
    VkSubgroupFeatureFlags ops = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_ARITHMETIC_BIT;
    return k == HB_KERNELS_GPU && !(env && strcmp(env, "0") == 0) &&
           (sg->supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
           (sg->supportedOperations & ops) == ops;
}

hb_tuning hb_tuning_for(VkPhysicalDevice pd) {
    /* the range of subgroup sizes a pipeline may ask for, where the device says */
    VkPhysicalDeviceSubgroupSizeControlPropertiesEXT sc = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES_EXT};
    int size_control = hb_device_has_extension(pd, VK_EXT_SUBGROUP_SIZE_CONTROL_EXTENSION_NAME);
    VkPhysicalDeviceSubgroupProperties sg = {
        .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES,
        .pNext = size_control ? &sc : NULL};
    VkPhysicalDeviceProperties2 p2 = {.sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2,
                                      .pNext = &sg};
    vkGetPhysicalDeviceProperties2(pd, &p2);
    const VkPhysicalDeviceProperties *p = &p2.properties;
    hb_tuning t = {.local_size = 64, .subgroup_size = sg.subgroupSize,
                   .subgroup_min = sc.minSubgroupSize, .subgroup_max = sc.maxSubgroupSize};
    if (p->deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU) t.local_size = 128;
    /* wide reductions: fewer iterations per invocation (lavapipe's loop guard) and fewer
     * passes; 1024 vec4 partials fit the 16 KiB of shared memory every device has */
    t.reduce_local_size = p->limits.maxComputeWorkGroupInvocations < 1024
                              ? p->limits.maxComputeWorkGroupInvocations
                              : 1024;
    if (p->limits.maxComputeWorkGroupSize[0] < t.reduce_local_size)
        t.reduce_local_size = p->limits.maxComputeWorkGroupSize[0];
    if (p->vendorID == 0x10005 /* Mesa (lavapipe) */) t.loop_budget = HB_LOOP_BUDGET;
    t.kernels = kernels_for(p);
    t.gemm = gemm_tile_for(p);
    t.subgroup_reduce = subgroup_reduce(&sg, t.kernels);
    return t;
}

void hb_tuning_describe(const hb_tuning *t, char *buf, size_t size) {
    const hb_gemm_tile *g = &t->gemm;
    if (t->kernels == HB_KERNELS_CPU)
        snprintf(buf, size, "kernels cpu (register blocks, no shared memory), subgroup %u",
                 t->subgroup_size);
    else
        snprintf(buf, size,
                 "kernels gpu, GEMM tile %ux%u (%ux%u per invocation, %u invocations), "
                 "subgroup %u, reductions by %s",
                 g->bm, g->bn, g->tm, g->tn, (g->bm / g->tm) * (g->bn / g->tn),
                 t->subgroup_size, t->subgroup_reduce ? "subgroupAdd" : "shared memory");
}
