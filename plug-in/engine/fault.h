/* fault.h: failures injected on purpose, so that tests can walk every
 * allocation and every submission of a run, as SQLite does for malloc.
 *
 *   SE_FAULT=alloc:N        the N-th allocation fails as out of memory:
 *                           device memory (se_memory_alloc) and the
 *                           engine's sized host buffers (se_host_alloc),
 *                           counted together
 *   SE_FAULT=device_lost:N  the N-th queue submission reports
 *                           VK_ERROR_DEVICE_LOST (and the device counts as
 *                           lost from then on, as a real loss would)
 *   SE_FAULT=coopmat_mismatch:N  the N-th comparison of the coopmat
 *                           kernels' self-check (coopmat-check.h) finds
 *                           them wrong, as a driver bug would
 *
 * Counting starts when the first engine reads the variable, or at
 * se_fault_arm().  The state is process-wide; off, it costs one atomic
 * increment per allocation or submission. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  SE_FAULT_NONE,        /* count only */
  SE_FAULT_ALLOC,
  SE_FAULT_DEVICE_LOST,
  SE_FAULT_COOPMAT_MISMATCH,
} SeFaultKind;

/* Reads SE_FAULT once; FALSE (and a message) when it cannot be parsed. */
gboolean se_fault_init_from_env (GError **error);
/* Restarts the counts; the n-th point of `kind` fails (n from 1). */
void     se_fault_arm (SeFaultKind kind, guint n);
/* Counts one point; TRUE when this one is to fail. */
gboolean se_fault_alloc (void);
gboolean se_fault_submit (void);
gboolean se_fault_coopmat_check (void);
/* Points counted since arming, and whether the armed fault happened. */
guint    se_fault_allocs (void);
guint    se_fault_submits (void);
gboolean se_fault_fired (void);

/* Tests: `observer` is called at every counted point, with its kind and
 * number (NULL: none).  The fault walks tell call sites apart with it. */
typedef void (*SeFaultObserver) (SeFaultKind kind, guint n);
void     se_fault_observe (SeFaultObserver observer);

/* g_try_malloc of n elements of `size` bytes, counted as an allocation:
 * the buffers whose size the image, model or recipe sets go through it
 * (fixed-size bookkeeping uses GLib, which aborts when memory runs out).
 * NULL and an error naming `what` and the size when it fails. */
gpointer se_host_alloc (gsize n, gsize size, const char *what, GError **error);
gpointer se_host_alloc0 (gsize n, gsize size, const char *what, GError **error);

G_END_DECLS
