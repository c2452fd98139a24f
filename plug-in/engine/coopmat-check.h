/* coopmat-check.h: the check the engine makes before it first uses the
 * coopmat kernels on a device.  Each coopmat kernel (a linear with bias
 * and residual, a GEGLU projection, 3x3 convolutions at strides 1 and 2,
 * each in every block shape; flash attention) runs on a small problem and
 * is compared with the reference kernels; a disagreement beyond the fp16
 * bound (a driver's cooperative matrices computing something else) turns
 * the family off for the device: the tiled kernels run instead, and one
 * line says so.  A driver bug costs speed, never a wrong picture.
 *
 * The verdict is kept under the user's cache folder
 * (g_get_user_cache_dir()/semantic-edit/coopmat-check/), keyed by the
 * device, its driver's version and build (pipelineCacheUUID), the kind of
 * matrices and the kernels' SPIR-V, so that it is made once per driver. */
#pragma once

#include "gpu/device.h"

G_BEGIN_DECLS

/* Nothing unless gpu->kernels is SE_KERNELS_COOPMAT.  FALSE only when the
 * check itself could not run (out of memory, device lost). */
gboolean se_coopmat_check (SeGpu *gpu, GError **error);

G_END_DECLS
