/* Instance, validation, device selection and the context's lifetime. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vk/vk_internal.h"

static const char *VALIDATION_LAYER = "VK_LAYER_KHRONOS_validation";
static const char *NO_DRIVER_HINT =
    "no Vulkan device found: install your GPU's Vulkan driver, or the CPU driver lavapipe "
    "with 'apt-get install mesa-vulkan-drivers'";

static const char *result_name(VkResult r) {
    switch (r) {
    case VK_ERROR_OUT_OF_HOST_MEMORY: return "out of host memory";
    case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "out of device memory";
    case VK_ERROR_INITIALIZATION_FAILED: return "initialization failed";
    case VK_ERROR_DEVICE_LOST: return "device lost";
    case VK_ERROR_LAYER_NOT_PRESENT: return "layer not present";
    case VK_ERROR_EXTENSION_NOT_PRESENT: return "extension not present";
    case VK_ERROR_INCOMPATIBLE_DRIVER: return "incompatible driver";
    default: return "error";
    }
}

void hb_vk_fail(const char *what, VkResult r, const char *file, int line) {
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
        hb_die(2, "%s (%s:%d): %s; reduce batch size or network width", result_name(r), file,
               line, what);
    hb_die(1, "Vulkan call failed with %d (%s) at %s:%d: %s", (int)r, result_name(r), file, line,
           what);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL on_validation(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
                                                    VkDebugUtilsMessageTypeFlagsEXT type,
                                                    const VkDebugUtilsMessengerCallbackDataEXT *d,
                                                    void *user) {
    (void)type;
    hb_ctx *ctx = user;
    if (sev >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        ctx->validation_messages++;
        fprintf(stderr, "hatebm: validation: %s\n", d->pMessage);
    }
    return VK_FALSE;
}

static int layer_available(const char *name) {
    uint32_t n = 0;
    vkEnumerateInstanceLayerProperties(&n, NULL);
    VkLayerProperties *props = calloc(n ? n : 1, sizeof *props);
    vkEnumerateInstanceLayerProperties(&n, props);
    int found = 0;
    for (uint32_t i = 0; i < n; i++) found |= strcmp(props[i].layerName, name) == 0;
    free(props);
    return found;
}

static int env_flag(const char *name) {
    const char *v = getenv(name);
    return v && *v && strcmp(v, "0") != 0;
}

static VkInstance create_instance(int validate, hb_ctx *ctx) {
    VkApplicationInfo app = {.sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
                             .pApplicationName = "hatebm",
                             .apiVersion = VK_API_VERSION_1_1};
    const char *layers[1] = {VALIDATION_LAYER};
    const char *exts[1] = {VK_EXT_DEBUG_UTILS_EXTENSION_NAME};
    VkValidationFeatureEnableEXT enables[1] = {
        VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT};
    VkValidationFeaturesEXT features = {.sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
                                        .enabledValidationFeatureCount = 1,
                                        .pEnabledValidationFeatures = enables};
    VkDebugUtilsMessengerCreateInfoEXT dbg = {
        .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
        .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                           VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
        .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                       VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
        .pfnUserCallback = on_validation,
        .pUserData = ctx};
    if (validate) {
        if (!layer_available(VALIDATION_LAYER))
            hb_die(2, "validation requested but %s is missing: apt-get install "
                      "vulkan-validationlayers",
                   VALIDATION_LAYER);
        features.pNext = &dbg;
    }
    VkInstanceCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
                               .pNext = validate ? &features : NULL,
                               .pApplicationInfo = &app,
                               .enabledLayerCount = validate ? 1 : 0,
                               .ppEnabledLayerNames = layers,
                               .enabledExtensionCount = validate ? 1 : 0,
                               .ppEnabledExtensionNames = exts};
    VkInstance inst = VK_NULL_HANDLE;
    VkResult r = vkCreateInstance(&ci, NULL, &inst);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) hb_die(2, "%s", NO_DRIVER_HINT);
    if (r != VK_SUCCESS) hb_vk_fail("vkCreateInstance", r, __FILE__, __LINE__);
    if (validate) {
        PFN_vkCreateDebugUtilsMessengerEXT create =
            (PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
                inst, "vkCreateDebugUtilsMessengerEXT");
        HB_CHECK(create(inst, &dbg, NULL, &ctx->messenger));
    }
    return inst;
}

/* Lower is preferred: discrete, integrated, virtual, CPU, other. */
static int type_rank(VkPhysicalDeviceType t) {
    switch (t) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU: return 3;
    default: return 4;
    }
}

static const char *type_name(VkPhysicalDeviceType t) {
    static const char *names[] = {"other", "integrated GPU", "discrete GPU", "virtual GPU", "CPU"};
    return (unsigned)t < 5 ? names[t] : "other";
}

int hb_device_has_extension(VkPhysicalDevice pd, const char *name) {
    uint32_t n = 0;
    vkEnumerateDeviceExtensionProperties(pd, NULL, &n, NULL);
    VkExtensionProperties *e = calloc(n ? n : 1, sizeof *e);
    vkEnumerateDeviceExtensionProperties(pd, NULL, &n, e);
    int found = 0;
    for (uint32_t i = 0; i < n; i++) found |= strcmp(e[i].extensionName, name) == 0;
    free(e);
    return found;
}

static int compute_queue_family(VkPhysicalDevice pd, uint32_t *timestamp_bits) {
    uint32_t n = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, NULL);
    VkQueueFamilyProperties *q = calloc(n ? n : 1, sizeof *q);
    vkGetPhysicalDeviceQueueFamilyProperties(pd, &n, q);
    int best = -1;
    for (uint32_t i = 0; i < n; i++) {
        if (!(q[i].queueFlags & VK_QUEUE_COMPUTE_BIT)) continue;
        /* prefer a compute-only family (async compute on discrete GPUs) */
        if (best < 0 || !(q[i].queueFlags & VK_QUEUE_GRAPHICS_BIT)) {
            best = (int)i;
            *timestamp_bits = q[i].timestampValidBits;
        }
    }
    free(q);
    return best;
}

/* Kernels write through format-less storage texel buffers (one shader serves float and vec4
 * views) and bind descriptors by push; both are near universal on desktop drivers. */
static int usable(VkPhysicalDevice pd) {
    uint32_t tb;
    VkPhysicalDeviceFeatures f;
    vkGetPhysicalDeviceFeatures(pd, &f);
    return compute_queue_family(pd, &tb) >= 0 && f.shaderStorageImageWriteWithoutFormat &&
           hb_device_has_extension(pd, VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME);
}

static int ci_contains(const char *hay, const char *needle) {
    size_t n = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < n && h[i] && tolower((unsigned char)h[i]) == tolower((unsigned char)needle[i]))
            i++;
        if (i == n) return 1;
    }
    return n == 0;
}

static VkPhysicalDevice *enumerate(VkInstance inst, uint32_t *count) {
    *count = 0;
    VkResult r = vkEnumeratePhysicalDevices(inst, count, NULL);
    if (r != VK_SUCCESS && r != VK_INCOMPLETE) *count = 0;
    if (*count == 0) return NULL;
    VkPhysicalDevice *pds = calloc(*count, sizeof *pds);
    vkEnumeratePhysicalDevices(inst, count, pds);
    return pds;
}

/* Picks the device named by `want` (index or name substring), else the best usable one. */
static VkPhysicalDevice select_device(VkInstance inst, const char *want) {
    uint32_t n;
    VkPhysicalDevice *pds = enumerate(inst, &n);
    if (!n) hb_die(2, "%s", NO_DRIVER_HINT);
    VkPhysicalDevice chosen = VK_NULL_HANDLE;
    if (want && *want) {
        char *end;
        long idx = strtol(want, &end, 10);
        for (uint32_t i = 0; i < n && !chosen; i++) {
            VkPhysicalDeviceProperties p;
            vkGetPhysicalDeviceProperties(pds[i], &p);
            int match = *end == 0 ? idx == (long)i : ci_contains(p.deviceName, want);
            if (!match) continue;
            if (!usable(pds[i]))
                hb_die(2, "device '%s' lacks a compute queue, VK_KHR_push_descriptor or format-less storage writes; pick "
                          "another with --device (see 'hatebm devices')",
                       p.deviceName);
            chosen = pds[i];
        }
        if (!chosen)
            hb_die(2, "no Vulkan device matches '%s'; run 'hatebm devices' to list them", want);
    } else {
        int best_rank = 99;
        for (uint32_t i = 0; i < n; i++) {
            VkPhysicalDeviceProperties p;
            vkGetPhysicalDeviceProperties(pds[i], &p);
            if (usable(pds[i]) && type_rank(p.deviceType) < best_rank) {
                best_rank = type_rank(p.deviceType);
                chosen = pds[i];
            }
        }
        if (!chosen)
            hb_die(2, "no Vulkan device has a compute queue, VK_KHR_push_descriptor and format-less "
                      "storage writes; install "
                      "mesa-vulkan-drivers for the lavapipe CPU driver");
    }
    free(pds);
    return chosen;
}

int hb_list_devices(void) {
    hb_ctx tmp = {0};
    VkInstance inst = create_instance(0, &tmp);
    uint32_t n;
    VkPhysicalDevice *pds = enumerate(inst, &n);
    if (!n) {
        vkDestroyInstance(inst, NULL);
        hb_die(2, "%s", NO_DRIVER_HINT);
    }
    VkPhysicalDevice best = select_device(inst, NULL);
    for (uint32_t i = 0; i < n; i++) {
        VkPhysicalDeviceProperties p;
        VkPhysicalDeviceMemoryProperties m;
        vkGetPhysicalDeviceProperties(pds[i], &p);
        vkGetPhysicalDeviceMemoryProperties(pds[i], &m);
        VkDeviceSize local = 0;
        for (uint32_t h = 0; h < m.memoryHeapCount; h++)
            if (m.memoryHeaps[h].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
                local += m.memoryHeaps[h].size;
        char profile[160]; /* first: a bad HATEBM_KERNELS fails before any output */
        hb_tuning t = hb_tuning_for(pds[i]);
        hb_tuning_describe(&t, profile, sizeof profile);
        printf("%u: %s (%s, Vulkan %u.%u, %.1f GiB device-local)%s%s\n", i, p.deviceName,
               type_name(p.deviceType), VK_API_VERSION_MAJOR(p.apiVersion),
               VK_API_VERSION_MINOR(p.apiVersion), local / 1073741824.0,
               usable(pds[i]) ? "" : " [unusable: lacks push descriptors or format-less storage writes]",
               pds[i] == best ? " [default]" : "");
        printf("   %s\n", profile);
    }
    free(pds);
    vkDestroyInstance(inst, NULL);
    return 0;
}

int hb_best_devices(int *index, int max) {
    hb_ctx tmp = {0};
    VkInstance inst = create_instance(0, &tmp);
    uint32_t n;
    VkPhysicalDevice *pds = enumerate(inst, &n);
    int best = 99, count = 0;
    for (int pass = 0; pass < 2; pass++) /* the best type, then its devices */
        for (uint32_t i = 0; i < n; i++) {
            VkPhysicalDeviceProperties p;
            vkGetPhysicalDeviceProperties(pds[i], &p);
            if (!usable(pds[i])) continue;
            if (pass == 0 && type_rank(p.deviceType) < best) best = type_rank(p.deviceType);
            if (pass == 1 && type_rank(p.deviceType) == best && count++ < max)
                index[count - 1] = (int)i;
        }
    free(pds);
    vkDestroyInstance(inst, NULL);
    return count;
}

hb_ctx *hb_ctx_create(const hb_ctx_opts *opts) {
    hb_ctx_opts def = {.validate = -1};
    if (!opts) opts = &def;
    hb_ctx *ctx = calloc(1, sizeof *ctx);
    int validate = opts->validate >= 0 ? opts->validate : env_flag("HATEBM_VALIDATE");
    ctx->quiet = opts->quiet;
    ctx->instance = create_instance(validate, ctx);
    const char *want = opts->device ? opts->device : getenv("HATEBM_DEVICE");
    ctx->phys = select_device(ctx->instance, want);
    vkGetPhysicalDeviceProperties(ctx->phys, &ctx->props);
    ctx->queue_family = (uint32_t)compute_queue_family(ctx->phys, &ctx->timestamp_bits);
    ctx->tuning = hb_tuning_for(ctx->phys);

    float prio = 1.0f;
    VkDeviceQueueCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
                                   .queueFamilyIndex = ctx->queue_family,
                                   .queueCount = 1,
                                   .pQueuePriorities = &prio};
    const char *exts[] = {VK_KHR_PUSH_DESCRIPTOR_EXTENSION_NAME};
    VkPhysicalDeviceFeatures avail;
    vkGetPhysicalDeviceFeatures(ctx->phys, &avail);
    const char *st = getenv("HATEBM_STORE64");
    ctx->store64 = avail.shaderInt64 && !(st && strcmp(st, "0") == 0);
    VkPhysicalDeviceFeatures features = {.shaderStorageImageWriteWithoutFormat = VK_TRUE,
                                         .shaderInt64 = ctx->store64 ? VK_TRUE : VK_FALSE};
    VkDeviceCreateInfo dci = {.sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
                              .pEnabledFeatures = &features,
                              .queueCreateInfoCount = 1,
                              .pQueueCreateInfos = &qci,
                              .enabledExtensionCount = 1,
                              .ppEnabledExtensionNames = exts};
    HB_CHECK(vkCreateDevice(ctx->phys, &dci, NULL, &ctx->dev));
    vkGetDeviceQueue(ctx->dev, ctx->queue_family, 0, &ctx->queue);
    ctx->push_descriptor =
        (PFN_vkCmdPushDescriptorSetKHR)vkGetDeviceProcAddr(ctx->dev, "vkCmdPushDescriptorSetKHR");
    VkCommandPoolCreateInfo pci = {.sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO,
                                   .flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT,
                                   .queueFamilyIndex = ctx->queue_family};
    HB_CHECK(vkCreateCommandPool(ctx->dev, &pci, NULL, &ctx->pool));
    ctx->profiling = env_flag("HATEBM_PROFILE") && ctx->timestamp_bits > 0;
    hb_memory_init(ctx);
    hb_pipelines_init(ctx);
    if (!ctx->quiet) hb_ctx_announce(ctx);
    return ctx;
}

void hb_ctx_announce(const hb_ctx *ctx) {
    fprintf(stderr, "hatebm: using %s (%s)%s\n", ctx->props.deviceName,
            type_name(ctx->props.deviceType), ctx->messenger ? ", validation on" : "");
}

void hb_ctx_destroy(hb_ctx *ctx) {
    if (!ctx) return;
    vkDeviceWaitIdle(ctx->dev);
    if (ctx->profiling) hb_profile_report(ctx);
    hb_pipelines_destroy(ctx);
    hb_memory_destroy(ctx);
    vkDestroyCommandPool(ctx->dev, ctx->pool, NULL);
    vkDestroyDevice(ctx->dev, NULL);
    if (ctx->messenger) {
        PFN_vkDestroyDebugUtilsMessengerEXT destroy =
            (PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(
                ctx->instance, "vkDestroyDebugUtilsMessengerEXT");
        destroy(ctx->instance, ctx->messenger, NULL);
    }
    vkDestroyInstance(ctx->instance, NULL);
    free(ctx->profile);
    free(ctx);
}

const char *hb_ctx_device_name(const hb_ctx *ctx) { return ctx->props.deviceName; }
const VkPhysicalDeviceLimits *hb_ctx_limits(const hb_ctx *ctx) { return &ctx->props.limits; }
const hb_tuning *hb_ctx_tuning(const hb_ctx *ctx) { return &ctx->tuning; }
uint32_t hb_validation_messages(const hb_ctx *ctx) { return ctx->validation_messages; }
