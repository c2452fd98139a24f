/* test_cancel_load.c: a model load stops between two tensors once its
 * GCancellable is cancelled (the dialog closing while a model loads): a
 * load cancelled before it starts fails at once, and one cancelled from
 * another thread while it runs returns with G_IO_ERROR_CANCELLED having
 * allocated at most one more tensor (counted by fault.h's counters; the
 * time it took is printed, not asserted), leaving no device memory held;
 * the engine loads the model normally afterwards. */
#include "engine.h"
#include "fault.h"
#include "ledits/session-private.h"
#include "test-util.h"

static SeEngine *engine;
static char *model_dir;

typedef struct {
  GCancellable *cancel;
  guint delay_us;
  gint64 cancelled_at;
  guint allocs_at;              /* allocations counted when it cancelled */
} Canceller;

static gpointer
cancel_later (gpointer data)
{
  Canceller *c = data;
  g_usleep (c->delay_us);
  c->cancelled_at = g_get_monotonic_time ();
  c->allocs_at = se_fault_allocs ();
  g_cancellable_cancel (c->cancel);
  return NULL;
}

static void
test_before (void)
{
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  g_cancellable_cancel (cancel);
  g_autoptr (GError) error = NULL;
  SeModel *m = se_model_load_cancellable (engine, model_dir, NULL, cancel, &error);
  g_assert_null (m);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpuint (se_memory_in_use (engine->gpu), ==, 0);
}

static void
test_while_loading (void)
{
  guint cancelled_midway = 0;
  for (guint delay = 0; delay <= 160000; delay = delay ? delay * 2 : 5000) {
    Canceller c = { g_cancellable_new (), delay, 0, 0 };
    se_fault_arm (SE_FAULT_NONE, 0);
    GThread *t = g_thread_new ("cancel", cancel_later, &c);
    g_autoptr (GError) error = NULL;
    SeModel *m = se_model_load_cancellable (engine, model_dir, NULL, c.cancel, &error);
    gint64 returned = g_get_monotonic_time ();
    g_thread_join (t);
    if (m) {                    /* it finished before the cancel */
      se_model_free (m);
    } else {
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      /* the tensor being loaded when the cancel came: a device range and its fp16 staging at most */
      g_assert_cmpuint (se_fault_allocs () - c.allocs_at, <=, 2);
      g_print ("# cancelled after %u us: returned %.1f ms later, %u allocations after the cancel\n", delay,
               (double) (returned - c.cancelled_at) / 1000, se_fault_allocs () - c.allocs_at);
      cancelled_midway++;
    }
    g_assert_cmpuint (se_memory_in_use (engine->gpu), ==, 0);
    g_object_unref (c.cancel);
  }
  g_assert_cmpuint (cancelled_midway, >, 0);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeModel) m = se_model_load (engine, model_dir, NULL, &error);
  g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  model_dir = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  g_autoptr (GError) error = NULL;
  engine = se_engine_new (NULL, &error);
  g_assert_no_error (error);
  g_test_add_func ("/cancel-load/before", test_before);
  g_test_add_func ("/cancel-load/while-loading", test_while_loading);
  int r = g_test_run ();
  g_assert_cmpuint (se_engine_validation_problems (engine), ==, 0);
  se_engine_free (engine);
  g_free (model_dir);
  return r;
}
