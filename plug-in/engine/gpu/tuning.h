/* tuning.h: which coopmat block shape (ops-gemm.c's table) a product
 * uses, from a tuning table: JSON of the form
 *
 *   { "device": "NVIDIA H200", "driver": "0x...",      (optional)
 *     "coopmat": [ { "op": "gemm", "outputs": 524288, "block": 1 }, ... ] }
 *
 * where a GEMM ("gemm": matmuls, 1x1 convolutions, GEGLU projections) or a
 * 3x3 convolution ("conv") of `outputs` outputs (M N batch) takes the block
 * of its op's entry with the largest "outputs" not above its own.  The
 * table comes from SE_TUNING (a file; what the device script's sweep
 * writes, tests/bench/tuning.py), else from the tables built in
 * (plug-in/engine/gpu/tuning/), the one whose "device" and "driver" match
 * (the driver as 0x and the driverVersion in hex), else default.json
 * there.  A block that does not fit the device falls to the next smaller
 * one. */
#pragma once

#include "device.h"

G_BEGIN_DECLS

typedef enum {
  SE_TUNING_GEMM,
  SE_TUNING_CONV,
  SE_TUNING_OPS
} SeTuningOp;

typedef struct _SeTuning SeTuning;

/* The device's table (gpu->tuning); FALSE when SE_TUNING names a file that
 * cannot be read or is not such a table. */
gboolean se_tuning_load (SeGpu *gpu, GError **error);
void     se_tuning_free (SeTuning *tuning);
/* The block for a product of `outputs` outputs (0 .. SE_COOPMAT_BLOCKS - 1). */
guint    se_tuning_block (const SeGpu *gpu, SeTuningOp op, guint64 outputs);
/* Where the table came from: a file name, or a built-in table's name. */
const char *se_tuning_source (const SeGpu *gpu);

G_END_DECLS
