/* worker.h: one thread that runs engine work for the dialog, in order, so
 * that the GTK main loop never waits on the GPU.
 *
 * Jobs run one after another on the worker thread (the engine's objects are
 * confined to one thread at a time); they report back by posting functions
 * to the main loop.  Cancelling is the jobs' business (each has its own
 * GCancellable); closing waits for the queue to drain and drops whatever is
 * still posted, so nothing runs against a dialog that is gone. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SeWorker SeWorker;

/* Runs on the worker thread. */
typedef void (*SeWorkerJob) (SeWorker *worker, gpointer data);

SeWorker *se_worker_new (GError **error);
/* Queues job (data freed with destroy on the worker thread afterwards). */
void      se_worker_queue (SeWorker *w, SeWorkerJob job, gpointer data, GDestroyNotify destroy);
/* From any thread: func (data) runs once in the main loop unless the worker
 * is closed before; data is freed with destroy either way. */
void      se_worker_post (SeWorker *w, GSourceFunc func, gpointer data, GDestroyNotify destroy);
/* Waits for the queued jobs to finish, then stops the thread; posted
 * functions that have not run yet never will. */
void      se_worker_close (SeWorker *w);

G_END_DECLS
