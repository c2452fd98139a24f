/* worker.c: the dialog's engine thread (worker.h). */
#include "worker.h"

#include <glib/gi18n-lib.h>

typedef struct {
  SeWorkerJob job;
  gpointer data;
  GDestroyNotify destroy;
} Item;

struct _SeWorker {
  GThread *thread;
  GAsyncQueue *queue;           /* Item; a NULL job stops the thread */
  gint closed;                  /* atomic: posted functions no longer run */
};

/* Shared by the worker and every posted function, freed by the last one. */
typedef struct {
  SeWorker *worker;
  GSourceFunc func;
  gpointer data;
  GDestroyNotify destroy;
} Post;

static gpointer
thread_main (gpointer data)
{
  SeWorker *w = data;
  for (;;) {
    Item *it = g_async_queue_pop (w->queue);
    if (it->job == NULL) {
      g_free (it);
      return NULL;
    }
    it->job (w, it->data);
    if (it->destroy)
      it->destroy (it->data);
    g_free (it);
  }
}

SeWorker *
se_worker_new (GError **error)
{
  SeWorker *w = g_atomic_rc_box_new0 (SeWorker);
  w->queue = g_async_queue_new ();
  w->thread = g_thread_try_new ("semantic-edit-engine", thread_main, w, error);
  if (w->thread == NULL) {
    g_async_queue_unref (w->queue);
    g_atomic_rc_box_release (w);
    return NULL;
  }
  return w;
}

void
se_worker_queue (SeWorker *w, SeWorkerJob job, gpointer data, GDestroyNotify destroy)
{
  g_return_if_fail (job != NULL);
  Item *it = g_new (Item, 1);
  *it = (Item) { job, data, destroy };
  g_async_queue_push (w->queue, it);
}

static void
worker_clear (SeWorker *w)
{
  g_async_queue_unref (w->queue);
}

static gboolean
post_run (gpointer data)
{
  Post *p = data;
  if (!g_atomic_int_get (&p->worker->closed))
    p->func (p->data);
  return G_SOURCE_REMOVE;
}

static void
post_free (gpointer data)
{
  Post *p = data;
  if (p->destroy)
    p->destroy (p->data);
  g_atomic_rc_box_release_full (p->worker, (GDestroyNotify) worker_clear);
  g_free (p);
}

void
se_worker_post (SeWorker *w, GSourceFunc func, gpointer data, GDestroyNotify destroy)
{
  Post *p = g_new (Post, 1);
  *p = (Post) { g_atomic_rc_box_acquire (w), func, data, destroy };
  g_idle_add_full (G_PRIORITY_DEFAULT, post_run, p, post_free);
}

void
se_worker_close (SeWorker *w)
{
  if (w == NULL)
    return;
  g_async_queue_push (w->queue, g_new0 (Item, 1));
  g_thread_join (w->thread);
  g_atomic_int_set (&w->closed, 1);
  g_atomic_rc_box_release_full (w, (GDestroyNotify) worker_clear);
}
