/* commands.h: recording many dispatches into one command buffer.
 *
 * Operators call se_cmd_dispatch(); the first one opens a recording.  A
 * barrier is inserted only where a dispatch reads what an earlier dispatch of
 * the same batch wrote, or writes what it read or wrote (tracked per buffer
 * range).  se_cmd_submit() ends the recording, submits it once, waits, and
 * makes descriptor sets reusable.  With profiling on, a timestamp follows
 * every dispatch and se_cmd_profile_report() sums time per operator kind. */
#pragma once

#include "memory.h"
#include "pipeline.h"

G_BEGIN_DECLS

typedef struct {
  const SeAlloc *alloc;
  gboolean write;
} SeBinding;

gboolean se_commands_init (SeGpu *gpu, gboolean profile, GError **error);
void     se_commands_fini (SeGpu *gpu);

gboolean se_cmd_dispatch (SeGpu *gpu, const SePipeline *pipeline,
                          const SeBinding *bindings, guint n_bindings,
                          const void *push, gsize push_size,
                          guint32 groups_x, guint32 groups_y, guint32 groups_z,
                          GError **error);

/* Submits what was recorded (nothing when nothing was) and waits for it. */
gboolean se_cmd_submit (SeGpu *gpu, GError **error);
/* Drops what was recorded without running it (a cancelled evaluation, or a
 * dry run that only plans memory). */
void     se_cmd_discard (SeGpu *gpu);

/* Record once, replay: between se_cmd_capture_begin and _end, dispatches go
 * into a command buffer of their own and memory is allocated from an arena
 * of its own (memory.h); se_cmd_replay runs that buffer again, its
 * descriptor sets and memory as recorded, so a fixed evaluation costs no
 * recording after the first.  Work recorded before begin is submitted
 * first; nothing may be submitted, uploaded or downloaded while capturing.
 * Tensors allocated while capturing (the evaluation's inputs, outputs and
 * intermediates) live in the arena: free them before the recording.
 * Timestamps are only taken on directly submitted work. */
typedef struct _SeRecording SeRecording;
gboolean     se_cmd_capture_begin (SeGpu *gpu, GError **error);
/* Ends the capture.  *recording always receives it, the caller's to free
 * (after the tensors allocated in its arena); FALSE when it cannot be
 * replayed (free it only). */
gboolean     se_cmd_capture_end (SeGpu *gpu, SeRecording **recording, GError **error);
gboolean     se_cmd_replay (SeGpu *gpu, SeRecording *recording, GError **error);
/* Replays recordings in their order in one submission and waits once;
 * when src is not NULL, its first size bytes are then copied to data, in
 * the same submission (a step's UNet evaluation with the work around it). */
gboolean     se_cmd_replay_chain (SeGpu *gpu, SeRecording *const *recordings, guint n, const SeAlloc *src,
                                  void *data, VkDeviceSize size, GError **error);
void         se_recording_free (SeGpu *gpu, SeRecording *recording);

/* Counters for tests and benches. */
typedef struct {
  guint64 dispatches;
  guint64 barriers;
  guint64 submits;
  guint64 waits;                        /* the host waiting for compute work */
  guint64 replays;                      /* se_cmd_replay calls, and their wall */
  gint64 replay_us;                     /* time from submission to finish */
  guint64 by_shader[SE_SHADER_COUNT];   /* dispatches per shader variant */
} SeCmdStats;
SeCmdStats se_cmd_stats (SeGpu *gpu);

/* Whether timestamps are being taken (SE_VULKAN_PROFILE). */
gboolean se_cmd_profiling (SeGpu *gpu);
/* "kind: total ms (count)" lines since the last reset; NULL when profiling is
 * off or the queue has no timestamps. */
char *se_cmd_profile_report (SeGpu *gpu);
void  se_cmd_profile_reset (SeGpu *gpu);

G_END_DECLS
