/* device.c: instance creation, device choice, feature detection. */
#include "device.h"
#include "tuning.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "commands.h"
#include "fault.h"
#include "memory.h"
#include "pipeline.h"

G_DEFINE_QUARK (se-gpu-error-quark, se_gpu_error)

const char *
se_vk_result_string (VkResult result)
{
  switch (result) {
  case VK_SUCCESS: return "success";
  case VK_NOT_READY: return "not ready";
  case VK_TIMEOUT: return "timeout";
  case VK_INCOMPLETE: return "incomplete";
  case VK_ERROR_OUT_OF_HOST_MEMORY: return "out of host memory";
  case VK_ERROR_OUT_OF_DEVICE_MEMORY: return "out of device memory";
  case VK_ERROR_INITIALIZATION_FAILED: return "initialization failed";
  case VK_ERROR_DEVICE_LOST: return "device lost";
  case VK_ERROR_MEMORY_MAP_FAILED: return "memory map failed";
  case VK_ERROR_LAYER_NOT_PRESENT: return "layer not present";
  case VK_ERROR_EXTENSION_NOT_PRESENT: return "extension not present";
  case VK_ERROR_FEATURE_NOT_PRESENT: return "feature not present";
  case VK_ERROR_INCOMPATIBLE_DRIVER: return "incompatible driver (no Vulkan 1.2 driver installed?)";
  case VK_ERROR_TOO_MANY_OBJECTS: return "too many objects";
  case VK_ERROR_FORMAT_NOT_SUPPORTED: return "format not supported";
  case VK_ERROR_FRAGMENTED_POOL: return "fragmented pool";
  case VK_ERROR_OUT_OF_POOL_MEMORY: return "out of pool memory";
  default: return "unknown Vulkan error";
  }
}

gboolean
se_vk_check (VkResult result, const char *what, GError **error)
{
  if (result == VK_SUCCESS)
    return TRUE;
  int code = (result == VK_ERROR_OUT_OF_DEVICE_MEMORY || result == VK_ERROR_OUT_OF_HOST_MEMORY)
               ? SE_GPU_ERROR_OUT_OF_MEMORY
               : result == VK_ERROR_DEVICE_LOST ? SE_GPU_ERROR_DEVICE_LOST : SE_GPU_ERROR_VULKAN;
  g_set_error (error, SE_GPU_ERROR, code, _("Vulkan: %s failed: %s (%d)"),
               what, se_vk_result_string (result), (int) result);
  return FALSE;
}

gboolean
se_gpu_check (SeGpu *gpu, VkResult result, const char *what, GError **error)
{
  if (result != VK_ERROR_DEVICE_LOST)
    return se_vk_check (result, what, error);
  gpu->lost = TRUE;
  g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_DEVICE_LOST,
               _("The GPU stopped working (%s: device lost, a reset or a driver failure); the next run "
                 "starts it again"), what);
  return FALSE;
}

gboolean
se_gpu_submit (SeGpu *gpu, const VkSubmitInfo *submit, VkFence fence, const char *what, GError **error)
{
  if (gpu->lost) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_DEVICE_LOST,
                 _("Vulkan: %s: the device was lost earlier in this run"), what);
    return FALSE;
  }
  VkResult r = se_fault_submit () ? VK_ERROR_DEVICE_LOST : vkQueueSubmit (gpu->queue, 1, submit, fence);
  return se_gpu_check (gpu, r, what, error);
}

static VKAPI_ATTR VkBool32 VKAPI_CALL
on_validation_message (VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                       VkDebugUtilsMessageTypeFlagsEXT type,
                       const VkDebugUtilsMessengerCallbackDataEXT *data,
                       void *user)
{
  SeGpu *gpu = user;
  const char *id = data->pMessageIdName ? data->pMessageIdName : "";
  gboolean sync = strstr (id, "SYNC") != NULL;
  if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT ||
      (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT && sync)) {
    g_atomic_int_inc (&gpu->validation_problems);
    g_printerr ("Vulkan validation: %s\n", data->pMessage);
  }
  return VK_FALSE;
}

static gboolean
layer_available (const char *name)
{
  guint32 n = 0;
  if (vkEnumerateInstanceLayerProperties (&n, NULL) != VK_SUCCESS)
    return FALSE;
  g_autofree VkLayerProperties *layers = g_new0 (VkLayerProperties, n);
  if (vkEnumerateInstanceLayerProperties (&n, layers) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (strcmp (layers[i].layerName, name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
create_instance (SeGpu *gpu, gboolean validation, GError **error)
{
  static const char *layer = "VK_LAYER_KHRONOS_validation";
  const char *extensions[] = { VK_EXT_DEBUG_UTILS_EXTENSION_NAME };
  VkApplicationInfo app = {
    .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO,
    .pApplicationName = "semantic-edit",
    .apiVersion = VK_API_VERSION_1_2,
  };
  VkValidationFeatureEnableEXT enables[] = {
    VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT,
  };
  VkValidationFeaturesEXT features = {
    .sType = VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT,
    .enabledValidationFeatureCount = G_N_ELEMENTS (enables),
    .pEnabledValidationFeatures = enables,
  };
  VkInstanceCreateInfo info = {
    .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
    .pApplicationInfo = &app,
  };
  if (validation) {
    if (!layer_available (layer)) {
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DRIVER,
                   _("Vulkan validation was requested but %s is not installed "
                     "(Debian package vulkan-validationlayers)"), layer);
      return FALSE;
    }
    info.pNext = &features;
    info.enabledLayerCount = 1;
    info.ppEnabledLayerNames = &layer;
    info.enabledExtensionCount = G_N_ELEMENTS (extensions);
    info.ppEnabledExtensionNames = extensions;
  }
  VkResult r = vkCreateInstance (&info, NULL, &gpu->instance);
  if (r == VK_ERROR_INCOMPATIBLE_DRIVER || r == VK_ERROR_INITIALIZATION_FAILED) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DRIVER,
                 _("No Vulkan 1.2 driver found (%s). Install your GPU's Vulkan driver, "
                   "or Mesa's lavapipe (Debian package mesa-vulkan-drivers) to run on the CPU"),
                 se_vk_result_string (r));
    return FALSE;
  }
  if (!se_vk_check (r, "vkCreateInstance", error))
    return FALSE;

  if (validation) {
    PFN_vkCreateDebugUtilsMessengerEXT create = (PFN_vkCreateDebugUtilsMessengerEXT)
      vkGetInstanceProcAddr (gpu->instance, "vkCreateDebugUtilsMessengerEXT");
    VkDebugUtilsMessengerCreateInfoEXT m = {
      .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
      .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT |
                         VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
      .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                     VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT,
      .pfnUserCallback = on_validation_message,
      .pUserData = gpu,
    };
    if (create == NULL) {
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_VULKAN,
                   "Vulkan: vkCreateDebugUtilsMessengerEXT is missing");
      return FALSE;
    }
    if (!se_vk_check (create (gpu->instance, &m, NULL, &gpu->messenger),
                      "vkCreateDebugUtilsMessengerEXT", error))
      return FALSE;
  }
  return TRUE;
}

static const char *
type_name (VkPhysicalDeviceType type)
{
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return "discrete GPU";
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return "integrated GPU";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return "virtual GPU";
  case VK_PHYSICAL_DEVICE_TYPE_CPU: return "CPU";
  default: return "other";
  }
}

static int
type_rank (VkPhysicalDeviceType type)
{
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU: return 4;
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU: return 3;
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU: return 2;
  case VK_PHYSICAL_DEVICE_TYPE_CPU: return 1;
  default: return 0;
  }
}

/* Returns the index of the first queue family with compute, or -1. */
static int
compute_queue_family (VkPhysicalDevice dev)
{
  guint32 n = 0;
  vkGetPhysicalDeviceQueueFamilyProperties (dev, &n, NULL);
  g_autofree VkQueueFamilyProperties *fam = g_new0 (VkQueueFamilyProperties, n);
  vkGetPhysicalDeviceQueueFamilyProperties (dev, &n, fam);
  for (guint32 i = 0; i < n; i++)
    if (fam[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      return (int) i;
  return -1;
}

static gboolean
enumerate (VkInstance instance, VkPhysicalDevice **out, guint32 *count, GError **error)
{
  if (!se_vk_check (vkEnumeratePhysicalDevices (instance, count, NULL),
                    "vkEnumeratePhysicalDevices", error))
    return FALSE;
  if (*count == 0) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE,
                 _("No Vulkan device found. Install your GPU's Vulkan driver, or Mesa's "
                   "lavapipe (Debian package mesa-vulkan-drivers) to run on the CPU"));
    return FALSE;
  }
  *out = g_new0 (VkPhysicalDevice, *count);
  return se_vk_check (vkEnumeratePhysicalDevices (instance, count, *out),
                      "vkEnumeratePhysicalDevices", error);
}

static gboolean
choose_device (SeGpu *gpu, const char *wanted, GError **error)
{
  g_autofree VkPhysicalDevice *devs = NULL;
  guint32 n = 0;
  if (!enumerate (gpu->instance, &devs, &n, error))
    return FALSE;

  int best = -1, best_rank = -1;
  for (guint32 i = 0; i < n; i++) {
    VkPhysicalDeviceProperties p;
    vkGetPhysicalDeviceProperties (devs[i], &p);
    if (compute_queue_family (devs[i]) < 0 || p.apiVersion < VK_API_VERSION_1_2)
      continue;
    if (wanted && *wanted) {
      char *end = NULL;
      guint64 index = g_ascii_strtoull (wanted, &end, 10);
      gboolean by_index = end && *end == '\0' && end != wanted;
      g_autofree char *name = g_ascii_strdown (p.deviceName, -1);
      g_autofree char *needle = g_ascii_strdown (wanted, -1);
      if (by_index ? index == i : strstr (name, needle) != NULL) {
        best = (int) i;
        break;
      }
      continue;
    }
    if (type_rank (p.deviceType) > best_rank) {
      best = (int) i;
      best_rank = type_rank (p.deviceType);
    }
  }
  if (best < 0) {
    if (wanted && *wanted)
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE,
                   _("No Vulkan 1.2 compute device matches \"%s\" (SE_VULKAN_DEVICE takes "
                     "an index or part of a name; see the device list)"), wanted);
    else
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE,
                   _("None of the %u Vulkan devices supports Vulkan 1.2 compute"), n);
    return FALSE;
  }
  gpu->physical = devs[best];
  gpu->queue_family = (guint32) compute_queue_family (gpu->physical);
  return TRUE;
}

static gboolean
has_extension (VkPhysicalDevice dev, const char *name)
{
  guint32 n = 0;
  if (vkEnumerateDeviceExtensionProperties (dev, NULL, &n, NULL) != VK_SUCCESS)
    return FALSE;
  g_autofree VkExtensionProperties *ext = g_new0 (VkExtensionProperties, n);
  if (vkEnumerateDeviceExtensionProperties (dev, NULL, &n, ext) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (strcmp (ext[i].extensionName, name) == 0)
      return TRUE;
  return FALSE;
}

/* NV cooperative matrices are only useful to us with fp16 A/B and an fp32
 * accumulator in 16x16x16 tiles, the shape our matmul variant would use. */
static gboolean
coopmat_nv_usable (SeGpu *gpu)
{
  if (!has_extension (gpu->physical, VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME))
    return FALSE;
  PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV get =
    (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesNV)
    vkGetInstanceProcAddr (gpu->instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV");
  guint32 n = 0;
  if (get == NULL || get (gpu->physical, &n, NULL) != VK_SUCCESS)
    return FALSE;
  g_autofree VkCooperativeMatrixPropertiesNV *props = g_new0 (VkCooperativeMatrixPropertiesNV, n);
  for (guint32 i = 0; i < n; i++)
    props[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_NV;
  if (get (gpu->physical, &n, props) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (props[i].MSize == 16 && props[i].NSize == 16 && props[i].KSize == 16 &&
        props[i].AType == VK_COMPONENT_TYPE_FLOAT16_NV &&
        props[i].CType == VK_COMPONENT_TYPE_FLOAT32_NV &&
        props[i].scope == VK_SCOPE_SUBGROUP_NV)
      return TRUE;
  return FALSE;
}

/* The KHR kernels exist when glslang compiled them, the host code when the
 * Vulkan headers know the extension (Debian 12's do not). */
#if defined (SE_HAVE_COOPMAT_KHR) && defined (VK_KHR_cooperative_matrix)
#define SE_COOPMAT_KHR_BUILT 1
/* The same shape through the Khronos extension. */
static gboolean
coopmat_khr_usable (SeGpu *gpu)
{
  if (!has_extension (gpu->physical, VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME))
    return FALSE;
  PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR get =
    (PFN_vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR)
    vkGetInstanceProcAddr (gpu->instance, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
  guint32 n = 0;
  if (get == NULL || get (gpu->physical, &n, NULL) != VK_SUCCESS)
    return FALSE;
  g_autofree VkCooperativeMatrixPropertiesKHR *props = g_new0 (VkCooperativeMatrixPropertiesKHR, n);
  for (guint32 i = 0; i < n; i++)
    props[i].sType = VK_STRUCTURE_TYPE_COOPERATIVE_MATRIX_PROPERTIES_KHR;
  if (get (gpu->physical, &n, props) != VK_SUCCESS)
    return FALSE;
  for (guint32 i = 0; i < n; i++)
    if (props[i].MSize == 16 && props[i].NSize == 16 && props[i].KSize == 16 &&
        props[i].AType == VK_COMPONENT_TYPE_FLOAT16_KHR && props[i].BType == VK_COMPONENT_TYPE_FLOAT16_KHR &&
        props[i].CType == VK_COMPONENT_TYPE_FLOAT32_KHR && props[i].ResultType == VK_COMPONENT_TYPE_FLOAT32_KHR &&
        props[i].scope == VK_SCOPE_SUBGROUP_KHR)
      return TRUE;
  return FALSE;
}
#endif

static gboolean
create_device (SeGpu *gpu, GError **error)
{
  VkPhysicalDeviceVulkan11Properties p11 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES };
  VkPhysicalDeviceProperties2 props = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, .pNext = &p11 };
  vkGetPhysicalDeviceProperties2 (gpu->physical, &props);

  VkPhysicalDeviceVulkan11Features f11 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES };
  VkPhysicalDeviceVulkan12Features f12 = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES, .pNext = &f11 };
  VkPhysicalDeviceFeatures2 feats = { .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, .pNext = &f12 };
  vkGetPhysicalDeviceFeatures2 (gpu->physical, &feats);

  SeGpuInfo *info = &gpu->info;
  const VkPhysicalDeviceLimits *lim = &props.properties.limits;
  g_strlcpy (info->name, props.properties.deviceName, sizeof info->name);
  info->type = props.properties.deviceType;
  info->api_version = props.properties.apiVersion;
  info->vendor_id = props.properties.vendorID;
  info->device_id = props.properties.deviceID;
  info->driver_version = props.properties.driverVersion;
  memcpy (info->cache_uuid, props.properties.pipelineCacheUUID, VK_UUID_SIZE);
  info->shader_float16 = f12.shaderFloat16;
  info->storage_16bit = f11.storageBuffer16BitAccess;
  info->subgroup_size = p11.subgroupSize;
  info->subgroup_shuffle = (p11.subgroupSupportedStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
                           (p11.subgroupSupportedOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT);
  info->max_shared_memory = lim->maxComputeSharedMemorySize;
  info->max_workgroup_invocations = lim->maxComputeWorkGroupInvocations;
  memcpy (info->max_workgroup_count, lim->maxComputeWorkGroupCount, sizeof info->max_workgroup_count);
  info->max_storage_buffer_range = lim->maxStorageBufferRange;
  info->max_allocation_size = p11.maxMemoryAllocationSize;
  info->max_allocation_count = lim->maxMemoryAllocationCount;
  info->storage_offset_alignment = lim->minStorageBufferOffsetAlignment;
  info->coopmat_nv = coopmat_nv_usable (gpu) && f12.vulkanMemoryModel && f12.shaderFloat16;
#ifdef SE_COOPMAT_KHR_BUILT
  info->coopmat_khr = coopmat_khr_usable (gpu) && f12.vulkanMemoryModel && f12.shaderFloat16 &&
                      props.properties.apiVersion >= VK_API_VERSION_1_3;
#endif
  info->memory_budget = has_extension (gpu->physical, VK_EXT_MEMORY_BUDGET_EXTENSION_NAME);

  guint32 nfam = 0;
  vkGetPhysicalDeviceQueueFamilyProperties (gpu->physical, &nfam, NULL);
  g_autofree VkQueueFamilyProperties *fam = g_new0 (VkQueueFamilyProperties, nfam);
  vkGetPhysicalDeviceQueueFamilyProperties (gpu->physical, &nfam, fam);
  info->timestamp_period_ns = fam[gpu->queue_family].timestampValidBits ? lim->timestampPeriod : 0.0;

  /* Enable only what we detected and may use. */
  VkPhysicalDeviceVulkan11Features e11 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES,
    .storageBuffer16BitAccess = f11.storageBuffer16BitAccess,
  };
  VkPhysicalDeviceVulkan12Features e12 = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
    .pNext = &e11,
    .shaderFloat16 = f12.shaderFloat16,
    .vulkanMemoryModel = info->coopmat_nv || info->coopmat_khr,
  };
  /* the cooperative-matrix features go in front of e12 */
  void *features = &e12;
  VkPhysicalDeviceCooperativeMatrixFeaturesNV ecm = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_NV,
    .pNext = features,
    .cooperativeMatrix = VK_TRUE,
  };
  const char *extensions[3];
  guint32 n_extensions = 0;
  if (info->coopmat_nv) {
    extensions[n_extensions++] = VK_NV_COOPERATIVE_MATRIX_EXTENSION_NAME;
    features = &ecm;
  }
#ifdef SE_COOPMAT_KHR_BUILT
  VkPhysicalDeviceCooperativeMatrixFeaturesKHR ekm = {
    .sType = VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_COOPERATIVE_MATRIX_FEATURES_KHR,
    .pNext = features,
    .cooperativeMatrix = VK_TRUE,
  };
  if (info->coopmat_khr) {
    extensions[n_extensions++] = VK_KHR_COOPERATIVE_MATRIX_EXTENSION_NAME;
    features = &ekm;
  }
#endif
  if (info->memory_budget)
    extensions[n_extensions++] = VK_EXT_MEMORY_BUDGET_EXTENSION_NAME;
  float priority = 1.0f;
  VkDeviceQueueCreateInfo queue = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
    .queueFamilyIndex = gpu->queue_family,
    .queueCount = 1,
    .pQueuePriorities = &priority,
  };
  VkDeviceCreateInfo create = {
    .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO,
    .pNext = features,
    .queueCreateInfoCount = 1,
    .pQueueCreateInfos = &queue,
    .enabledExtensionCount = n_extensions,
    .ppEnabledExtensionNames = extensions,
  };
  if (!se_vk_check (vkCreateDevice (gpu->physical, &create, NULL, &gpu->device),
                    "vkCreateDevice", error))
    return FALSE;
  vkGetDeviceQueue (gpu->device, gpu->queue_family, 0, &gpu->queue);
  return TRUE;
}

static gboolean
env_flag (const char *name)
{
  const char *v = g_getenv (name);
  return v && *v && strcmp (v, "0") != 0;
}

/* The subgroup kernels need shuffles and a subgroup of 4 to 64 lanes (a
 * power of two: their tiles are multiples of it). */
gboolean
se_gpu_subgroup_kernels_usable (const SeGpu *gpu)
{
  const SeGpuInfo *info = &gpu->info;
  return info->subgroup_shuffle && info->subgroup_size >= 4 && info->subgroup_size <= 64 &&
         (info->subgroup_size & (info->subgroup_size - 1)) == 0;
}

gboolean
se_gpu_tiled_kernels_usable (const SeGpu *gpu)
{
  return gpu->info.max_workgroup_invocations >= 256;
}

gboolean
se_gpu_coopmat_kernels_usable (const SeGpu *gpu)
{
  return se_gpu_tiled_kernels_usable (gpu) && gpu->info.shader_float16 && gpu->info.storage_16bit;
}

SeCoopmat
se_gpu_coopmat_kind (const SeGpu *gpu)
{
  return gpu->info.coopmat_khr ? SE_COOPMAT_KHR : gpu->info.coopmat_nv ? SE_COOPMAT_NV : SE_COOPMAT_EMULATED;
}

/* Runs after choose_precision: the default COOPMAT needs fp16 activations. */
static gboolean
choose_kernels (SeGpu *gpu, GError **error)
{
  const SeGpuInfo *info = &gpu->info;
  const char *force = g_getenv ("SE_KERNELS");
  const char *block = g_getenv ("SE_COOPMAT_BLOCK");
  gpu->coopmat = se_gpu_coopmat_kind (gpu);
  gpu->coopmat_block = G_MAXUINT;
  if (block && *block) {
    if (strlen (block) != 1 || block[0] < '0' || block[0] >= '0' + SE_COOPMAT_BLOCKS) {
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE,
                   "SE_COOPMAT_BLOCK=%s: expected a block from 0 to %d", block, SE_COOPMAT_BLOCKS - 1);
      return FALSE;
    }
    gpu->coopmat_block = (guint) (block[0] - '0');
  }
  if (force == NULL || *force == '\0') {
    if (info->type == VK_PHYSICAL_DEVICE_TYPE_CPU)
      gpu->kernels = se_gpu_subgroup_kernels_usable (gpu) ? SE_KERNELS_SUBGROUP : SE_KERNELS_REFERENCE;
    else if (gpu->coopmat != SE_COOPMAT_EMULATED && gpu->fp16_activations && se_gpu_coopmat_kernels_usable (gpu))
      gpu->kernels = SE_KERNELS_COOPMAT;
    else
      gpu->kernels = se_gpu_tiled_kernels_usable (gpu) ? SE_KERNELS_TILED : SE_KERNELS_REFERENCE;
    return TRUE;
  }
  if (strcmp (force, "coopmat") == 0) {
    if (!se_gpu_coopmat_kernels_usable (gpu)) {
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE,
                   "SE_KERNELS=coopmat: %s lacks fp16 arithmetic, 16-bit storage or 256-invocation workgroups",
                   info->name);
      return FALSE;
    }
    gpu->kernels = SE_KERNELS_COOPMAT;
    return TRUE;
  }
  if (strcmp (force, "reference") == 0) {
    gpu->kernels = SE_KERNELS_REFERENCE;
    return TRUE;
  }
  if (strcmp (force, "subgroup") == 0) {
    if (!se_gpu_subgroup_kernels_usable (gpu)) {
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE,
                   "SE_KERNELS=subgroup: %s has no subgroup shuffles of 4 to 64 lanes", info->name);
      return FALSE;
    }
    gpu->kernels = SE_KERNELS_SUBGROUP;
    return TRUE;
  }
  if (strcmp (force, "tiled") == 0) {
    if (!se_gpu_tiled_kernels_usable (gpu)) {
      g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE,
                   "SE_KERNELS=tiled: %s runs at most %u invocations per workgroup, the tiled kernels need 256",
                   info->name, info->max_workgroup_invocations);
      return FALSE;
    }
    gpu->kernels = SE_KERNELS_TILED;
    return TRUE;
  }
  g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE,
               "SE_KERNELS=%s: expected \"reference\", \"subgroup\", \"tiled\" or \"coopmat\"", force);
  return FALSE;
}

/* The precision variable `name`: unset or empty (*set FALSE), "fp32" or
 * "fp16" (*fp16); anything else is an error. */
static gboolean
precision_variable (const char *name, gboolean *set, gboolean *fp16, GError **error)
{
  const char *want = g_getenv (name);
  *set = want && *want;
  *fp16 = g_strcmp0 (want, "fp16") == 0;
  if (!*set || *fp16 || strcmp (want, "fp32") == 0)
    return TRUE;
  g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE, "%s=%s: expected \"fp32\" or \"fp16\"", name, want);
  return FALSE;
}

static gboolean
choose_precision (SeGpu *gpu, GError **error)
{
  gboolean set, fp16, have = gpu->info.storage_16bit;
  if (!precision_variable ("SE_PRECISION", &set, &fp16, error))
    return FALSE;
  if (set && fp16 && !have) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_NO_DEVICE,
                 "SE_PRECISION=fp16: %s has no 16-bit storage buffers", gpu->info.name);
    return FALSE;
  }
  gpu->fp16_activations = set ? fp16 : have && gpu->info.type != VK_PHYSICAL_DEVICE_TYPE_CPU;
  return TRUE;
}

/* SE_VAE_PRECISION: fp32 (the default) or fp16, which takes effect with
 * fp16 activations (vae.h). */
static gboolean
choose_vae_precision (SeGpu *gpu, GError **error)
{
  gboolean set;
  return precision_variable ("SE_VAE_PRECISION", &set, &gpu->vae_fp16, error);
}

SeGpu *
se_gpu_new (const SeGpuOptions *options, GError **error)
{
  SeGpuOptions defaults = { 0 };
  if (options == NULL)
    options = &defaults;
  g_autoptr (SeGpu) gpu = g_new0 (SeGpu, 1);
  gboolean validation = options->validation || env_flag ("SE_VULKAN_VALIDATION");
  gpu->profile = options->profile || env_flag ("SE_VULKAN_PROFILE");
  const char *wanted = options->device ? options->device : g_getenv ("SE_VULKAN_DEVICE");

  if (!create_instance (gpu, validation, error) ||
      !choose_device (gpu, wanted, error) ||
      !create_device (gpu, error) ||
      !choose_precision (gpu, error) || !choose_vae_precision (gpu, error) ||
      !choose_kernels (gpu, error) ||
      !se_tuning_load (gpu, error))
    return NULL;
  g_autoptr (GBytes) saved = se_pipelines_disk_load (gpu);
  if (!se_memory_init (gpu, error) ||
      !se_pipelines_init (gpu, saved, error) ||
      !se_commands_init (gpu, gpu->profile, error))
    return NULL;
  return g_steal_pointer (&gpu);
}

/* Frees the logical device and what lives on it (not the instance). */
static void
destroy_device (SeGpu *gpu)
{
  if (gpu->device)
    vkDeviceWaitIdle (gpu->device);
  se_commands_fini (gpu);
  se_pipelines_fini (gpu);
  se_memory_fini (gpu);
  if (gpu->device)
    vkDestroyDevice (gpu->device, NULL);
  gpu->device = VK_NULL_HANDLE;
}

gboolean
se_gpu_recreate (SeGpu *gpu, GError **error)
{
  if (gpu->memory && se_memory_in_use (gpu) != 0) {
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID,
                 "re-creating the device while %llu bytes of its memory are still held",
                 (unsigned long long) se_memory_in_use (gpu));
    return FALSE;
  }
  g_autoptr (GBytes) cache = gpu->pipelines ? se_pipelines_cache_data (gpu) : NULL;
  destroy_device (gpu);
  gpu->lost = FALSE;
  gpu->generation++;
  return create_device (gpu, error) && se_memory_init (gpu, error) &&
         se_pipelines_init (gpu, cache, error) && se_commands_init (gpu, gpu->profile, error);
}

void
se_gpu_free (SeGpu *gpu)
{
  if (gpu == NULL)
    return;
  if (gpu->pipelines && !gpu->lost)
    se_pipelines_disk_save (gpu);
  destroy_device (gpu);
  se_tuning_free (gpu->tuning);
  if (gpu->messenger) {
    PFN_vkDestroyDebugUtilsMessengerEXT destroy = (PFN_vkDestroyDebugUtilsMessengerEXT)
      vkGetInstanceProcAddr (gpu->instance, "vkDestroyDebugUtilsMessengerEXT");
    if (destroy)
      destroy (gpu->instance, gpu->messenger, NULL);
  }
  if (gpu->instance)
    vkDestroyInstance (gpu->instance, NULL);
  g_free (gpu);
}

char *
se_gpu_driver_key (const SeGpu *gpu)
{
  const SeGpuInfo *info = &gpu->info;
  GString *key = g_string_new (NULL);
  g_string_append_printf (key, "%04x-%04x-%08x-", info->vendor_id, info->device_id, info->driver_version);
  for (guint i = 0; i < VK_UUID_SIZE; i++)
    g_string_append_printf (key, "%02x", info->cache_uuid[i]);
  return g_string_free (key, FALSE);
}

char *
se_gpu_list_devices (GError **error)
{
  SeGpu tmp = { 0 };
  if (!create_instance (&tmp, FALSE, error))
    return NULL;
  g_autofree VkPhysicalDevice *devs = NULL;
  guint32 n = 0;
  GString *out = g_string_new (NULL);
  if (enumerate (tmp.instance, &devs, &n, error)) {
    for (guint32 i = 0; i < n; i++) {
      VkPhysicalDeviceProperties p;
      vkGetPhysicalDeviceProperties (devs[i], &p);
      g_string_append_printf (out, "%u: %s (%s, Vulkan %u.%u)\n", i, p.deviceName,
                              type_name (p.deviceType), VK_API_VERSION_MAJOR (p.apiVersion),
                              VK_API_VERSION_MINOR (p.apiVersion));
    }
  } else {
    g_string_free (out, TRUE);
    out = NULL;
  }
  vkDestroyInstance (tmp.instance, NULL);
  return out ? g_string_free (out, FALSE) : NULL;
}
