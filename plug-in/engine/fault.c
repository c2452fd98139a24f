/* fault.c: injected failures (fault.h) and the counted host allocator. */
#include "fault.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "gpu/device.h"

static struct {
  gint kind;            /* SeFaultKind */
  guint n;
  gint allocs, submits, checks;
  gint fired;
  SeFaultObserver observer;
} state;

void
se_fault_observe (SeFaultObserver observer)
{
  g_atomic_pointer_set (&state.observer, observer);
}

void
se_fault_arm (SeFaultKind kind, guint n)
{
  g_atomic_int_set (&state.kind, kind);
  state.n = n;
  g_atomic_int_set (&state.allocs, 0);
  g_atomic_int_set (&state.submits, 0);
  g_atomic_int_set (&state.checks, 0);
  g_atomic_int_set (&state.fired, 0);
}

gboolean
se_fault_init_from_env (GError **error)
{
  static gsize done = 0;
  static gboolean ok = TRUE;
  static char *message = NULL;
  if (g_once_init_enter (&done)) {
    const char *v = g_getenv ("SE_FAULT");
    if (v && *v) {
      const char *colon = strchr (v, ':');
      char *end = NULL;
      guint64 n = colon ? g_ascii_strtoull (colon + 1, &end, 10) : 0;   /* 0 or > G_MAXUINT: refused */
      gsize len = colon ? (gsize) (colon - v) : 0;
      SeFaultKind kind = SE_FAULT_NONE;
      if (len == 5 && strncmp (v, "alloc", len) == 0)
        kind = SE_FAULT_ALLOC;
      else if (len == 11 && strncmp (v, "device_lost", len) == 0)
        kind = SE_FAULT_DEVICE_LOST;
      else if (len == 16 && strncmp (v, "coopmat_mismatch", len) == 0)
        kind = SE_FAULT_COOPMAT_MISMATCH;
      if (kind == SE_FAULT_NONE || n == 0 || n > G_MAXUINT || end == colon + 1 || *end != '\0') {
        ok = FALSE;
        message = g_strdup_printf (_("SE_FAULT=%s: expected alloc:N, device_lost:N or coopmat_mismatch:N with N from 1"), v);
      } else {
        se_fault_arm (kind, (guint) n);
      }
    }
    g_once_init_leave (&done, 1);
  }
  if (!ok)
    g_set_error_literal (error, SE_GPU_ERROR, SE_GPU_ERROR_INVALID, message);
  return ok;
}

static gboolean
count (SeFaultKind kind, gint *counter)
{
  guint k = (guint) g_atomic_int_add (counter, 1) + 1;
  SeFaultObserver observer = g_atomic_pointer_get (&state.observer);
  if (observer)
    observer (kind, k);
  if (g_atomic_int_get (&state.kind) != (gint) kind || k != state.n)
    return FALSE;
  g_atomic_int_set (&state.fired, 1);
  return TRUE;
}

gboolean se_fault_alloc (void) { return count (SE_FAULT_ALLOC, &state.allocs); }
gboolean se_fault_submit (void) { return count (SE_FAULT_DEVICE_LOST, &state.submits); }
gboolean se_fault_coopmat_check (void) { return count (SE_FAULT_COOPMAT_MISMATCH, &state.checks); }
guint se_fault_allocs (void) { return (guint) g_atomic_int_get (&state.allocs); }
guint se_fault_submits (void) { return (guint) g_atomic_int_get (&state.submits); }
gboolean se_fault_fired (void) { return g_atomic_int_get (&state.fired); }

static gpointer
host_alloc (gsize n, gsize size, gboolean zero, const char *what, GError **error)
{
  gpointer p = NULL;
  if (!se_fault_alloc ())
    p = zero ? g_try_malloc0_n (MAX (n, 1), size) : g_try_malloc_n (MAX (n, 1), size);
  if (p == NULL) {
    g_autofree char *bytes = n <= G_MAXSIZE / MAX (size, 1) ? g_format_size ((guint64) n * size)
                                                             : g_strdup (_("more than the address space"));
    g_set_error (error, SE_GPU_ERROR, SE_GPU_ERROR_OUT_OF_MEMORY,
                 _("not enough memory for %s (%s)"), what, bytes);
  }
  return p;
}

gpointer
se_host_alloc (gsize n, gsize size, const char *what, GError **error)
{
  return host_alloc (n, size, FALSE, what, error);
}

gpointer
se_host_alloc0 (gsize n, gsize size, const char *what, GError **error)
{
  return host_alloc (n, size, TRUE, what, error);
}
