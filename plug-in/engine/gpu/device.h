/* device.h: the Vulkan instance, the chosen compute device and its features.
 *
 * se_gpu_new() picks the best compute device (discrete > integrated > virtual >
 * CPU such as lavapipe), or the one named by SE_VULKAN_DEVICE (an index into
 * the list se_gpu_list_devices() prints, or a case-insensitive substring of the
 * device name).  With SE_VULKAN_VALIDATION=1 (the tests set it) the Khronos
 * validation layer runs with synchronization validation, and every error or
 * synchronization warning it reports is counted; a caller checks the count.
 *
 * An SeGpu is used from one thread at a time.  It owns the memory blocks, the
 * pipeline cache and the command recorder (see memory.h, pipeline.h,
 * commands.h), all freed by se_gpu_free(). */
#pragma once

#include <glib.h>
#include <vulkan/vulkan.h>

G_BEGIN_DECLS

#define SE_GPU_ERROR (se_gpu_error_quark ())
GQuark se_gpu_error_quark (void);

typedef enum {
  SE_GPU_ERROR_NO_DRIVER,       /* no Vulkan loader or no driver */
  SE_GPU_ERROR_NO_DEVICE,       /* no device matches / none with compute */
  SE_GPU_ERROR_VULKAN,          /* a Vulkan call failed */
  SE_GPU_ERROR_OUT_OF_MEMORY,   /* device memory or a device limit exhausted */
  SE_GPU_ERROR_INVALID,         /* an operator got shapes it cannot take */
  SE_GPU_ERROR_NON_FINITE,      /* a network's output holds NaN or infinity */
  SE_GPU_ERROR_DEVICE_LOST,     /* the device was lost (reset, driver crash) */
} SeGpuError;

typedef struct {
  gboolean validation;   /* enable the Khronos validation layer */
  gboolean profile;      /* timestamp queries around each dispatch */
  const char *device;    /* index or name substring; NULL: SE_VULKAN_DEVICE or best */
} SeGpuOptions;

/* What the chosen device can do; filled once at creation. */
typedef struct {
  char name[VK_MAX_PHYSICAL_DEVICE_NAME_SIZE];
  VkPhysicalDeviceType type;
  guint32 api_version;
  guint32 vendor_id, device_id, driver_version;
  guint8 cache_uuid[VK_UUID_SIZE];  /* pipelineCacheUUID: the driver build */
  gboolean shader_float16;
  gboolean storage_16bit;
  gboolean coopmat_nv;          /* VK_NV_cooperative_matrix with fp16 16x16x16 */
  gboolean coopmat_khr;         /* the same through VK_KHR_cooperative_matrix (where the
                                 * build's glslang compiled the KHR kernels) */
  gboolean memory_budget;       /* VK_EXT_memory_budget: heap budgets and usage */
  guint32 subgroup_size;
  gboolean subgroup_shuffle;    /* subgroupShuffle in compute shaders */
  guint32 max_shared_memory;
  guint32 max_workgroup_invocations;
  guint32 max_workgroup_count[3];
  VkDeviceSize max_storage_buffer_range;
  VkDeviceSize max_allocation_size;
  guint32 max_allocation_count;
  VkDeviceSize storage_offset_alignment;
  double timestamp_period_ns;   /* 0 when the queue has no timestamps */
} SeGpuInfo;

/* Which kernels run the matrix operators (ops.c picks per call; shapes the
 * chosen family does not take fall back to the reference kernels):
 *   REFERENCE  tiled kernels through shared memory, written to be obviously
 *              right; they check the others in tests and in bench-ops
 *   SUBGROUP   register-blocked kernels that pass operands between the lanes
 *              of a subgroup (shaders/subgroup/subgroup.glsl): the fast path on CPU
 *              devices, where shared memory is no faster than memory
 *   TILED      the GPU path: GEMM and implicit-GEMM convolution through
 *              double-buffered shared-memory tiles with four-element loads
 *              (shaders/tiled/gemm_tiled.glsl), and flash attention with a
 *              workgroup per tile of queries (attention_tiled.comp)
 *   COOPMAT    the tensor-core path: TILED's kernels, but GEMMs,
 *              convolutions and attention with fp16 activations run on
 *              cooperative matrices (shaders/coopmat/coopmat.glsl), Khronos' or
 *              NVIDIA's extension or, on devices with neither, emulated
 * Default: SUBGROUP on CPU devices with subgroup shuffles; on GPUs with
 * 256-invocation workgroups COOPMAT where the device has cooperative
 * matrices of fp16 16x16x16 (KHR before NV) and fp16 activations, else
 * TILED; REFERENCE otherwise.  SE_KERNELS=reference, subgroup, tiled or
 * coopmat forces one (coopmat emulated on devices without the extensions).
 * The engine checks COOPMAT against the reference kernels before its first
 * use (coopmat-check.h). */
typedef enum {
  SE_KERNELS_REFERENCE,
  SE_KERNELS_SUBGROUP,
  SE_KERNELS_TILED,
  SE_KERNELS_COOPMAT,
} SeKernels;

/* The coopmat kernels' block shapes (ops-gemm.c). */
#define SE_COOPMAT_BLOCKS 3

/* How the COOPMAT kernels get their matrices. */
typedef enum {
  SE_COOPMAT_EMULATED,
  SE_COOPMAT_NV,
  SE_COOPMAT_KHR,
} SeCoopmat;

/* Activations (the UNet's and text encoder's tensors between operators;
 * the VAE's stay fp32) are stored as fp16 on GPUs with 16-bit storage, fp32
 * otherwise: on CPU devices fp16 storage measured 15% slower (lavapipe) and
 * costs accuracy for nothing.  SE_PRECISION=fp32 or fp16 forces one (fp16
 * needs the feature).  Accumulation, statistics and softmax are fp32 either
 * way. */

typedef struct _SeGpu SeGpu;
typedef struct _SeMemory SeMemory;
typedef struct _SePipelines SePipelines;
typedef struct _SeCommands SeCommands;
typedef struct _SeTuning SeTuning;

struct _SeGpu {
  VkInstance instance;
  VkDebugUtilsMessengerEXT messenger;
  VkPhysicalDevice physical;
  VkDevice device;
  VkQueue queue;
  guint32 queue_family;
  SeGpuInfo info;
  SeKernels kernels;
  SeCoopmat coopmat;            /* with SE_KERNELS_COOPMAT */
  guint coopmat_block;          /* SE_COOPMAT_BLOCK: the block every coopmat
                                 * GEMM uses; G_MAXUINT: the tuning table's */
  SeTuning *tuning;             /* tuning.h */
  gboolean fp16_activations;    /* SE_PRECISION: activations stored as fp16 */
  gboolean vae_fp16;            /* SE_VAE_PRECISION=fp16: the VAE's too (vae.h) */
  gint validation_problems;     /* errors + sync warnings seen by the layer */
  gboolean profile;             /* timestamps requested (SE_VULKAN_PROFILE) */
  gboolean lost;                /* a submission or wait reported VK_ERROR_DEVICE_LOST */
  guint generation;             /* device re-creations so far (se_gpu_recreate) */
  SeMemory *memory;
  SePipelines *pipelines;
  SeCommands *commands;
};

SeGpu *se_gpu_new (const SeGpuOptions *options, GError **error);
void   se_gpu_free (SeGpu *gpu);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeGpu, se_gpu_free)

/* Whether the device can run the subgroup kernels at all (benches compare
 * both families on one device by setting gpu->kernels). */
gboolean se_gpu_subgroup_kernels_usable (const SeGpu *gpu);
/* Whether the device runs the tiled kernels (256-invocation workgroups). */
gboolean se_gpu_tiled_kernels_usable (const SeGpu *gpu);
/* Whether it runs the coopmat kernels (the tiled kernels' needs, fp16
 * arithmetic and 16-bit storage), and how: real matrices where it has them,
 * else emulated. */
gboolean  se_gpu_coopmat_kernels_usable (const SeGpu *gpu);
SeCoopmat se_gpu_coopmat_kind (const SeGpu *gpu);

/* "vendor-device-driverversion-pipelinecacheuuid" in hex: what files kept
 * per device and driver build are named by. */
char  *se_gpu_driver_key (const SeGpu *gpu);

/* One line per device, "index: name (type)", for --list-devices. */
char  *se_gpu_list_devices (GError **error);

/* Sets a GError naming what failed when result is not VK_SUCCESS. */
gboolean se_vk_check (VkResult result, const char *what, GError **error);
/* The same for the queue's submissions and waits: VK_ERROR_DEVICE_LOST
 * marks the device lost. */
gboolean se_gpu_check (SeGpu *gpu, VkResult result, const char *what, GError **error);
/* vkQueueSubmit of one batch, refused once the device is lost (and made to
 * fail by SE_FAULT=device_lost:N, fault.h). */
gboolean se_gpu_submit (SeGpu *gpu, const VkSubmitInfo *submit, VkFence fence, const char *what,
                        GError **error);
/* After a loss: destroys the logical device with its memory, pipelines and
 * recorder, and creates them again on the same physical device.  Every
 * tensor and recording must be freed first (the engine drops its networks
 * and sessions' recordings, engine.c); compiled pipelines come back from
 * the old pipeline cache's data. */
gboolean se_gpu_recreate (SeGpu *gpu, GError **error);
const char *se_vk_result_string (VkResult result);

G_END_DECLS
