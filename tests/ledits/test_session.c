/* test_session.c: the session's contract on the reference model: progress
 * per phase, cancellation that leaves the session as it was, re-editing
 * from one inversion (edit A, edit B, edit A again gives A's result
 * exactly), seeded inversions, candidates in shared batches (these four for
 * both methods; LEDITS++'s masks included), the running edit's estimate, the fitted
 * latent preview, replayed evaluations equal to freshly recorded ones, one
 * host wait per step, and refusals. */
#include <math.h>
#include <string.h>

#include "engine.h"
#include "gpu/commands.h"
#include "gpu/memory.h"
#include "ledits/session-private.h"
#include "test-util.h"

static SeModel *model;
static SeEngine *engine;

typedef struct {
  guint invert, edit, decode;
  guint cancel_after;           /* cancel when this many calls were seen; 0: never */
  GCancellable *cancel;
} Counts;

static void
on_progress (const char *phase, guint done, guint total, gpointer data)
{
  Counts *c = data;
  if (strcmp (phase, "invert") == 0)
    c->invert++;
  else if (strcmp (phase, "edit") == 0)
    c->edit++;
  else if (strcmp (phase, "decode") == 0)
    c->decode++;
  g_assert_cmpuint (done, <=, total);
  if (c->cancel_after && c->invert + c->edit + c->decode >= c->cancel_after)
    g_cancellable_cancel (c->cancel);
}

static SeSession *
new_session (void)
{
  guint w = 128, h = 64;
  g_autofree float *px = g_new (float, 3 * w * h);
  for (guint i = 0; i < 3 * w * h; i++)
    px[i] = (float) ((i * 7919) % 200) / 100.0f - 1.0f;
  SeImage img = { w, h, px };
  g_autoptr (GError) error = NULL;
  SeSession *s = se_session_new (model, &img, &error);
  g_assert_no_error (error);
  return s;
}

/* The method of the running test (its data). */
static SeMethod method;

static void
set_method (gconstpointer data)
{
  method = (SeMethod) GPOINTER_TO_INT (data);
}

static SeRecipe *
recipe (guint steps, const char *concept)
{
  SeRecipe *r = se_recipe_new_for (method);
  r->steps = steps;
  r->skip = 1;
  g_free (r->src);
  r->src = g_strdup ("a photo of a cat");
  if (concept) {
    SeConcept *c = se_recipe_add_concept (r, concept);
    c->warmup = 0;
    /* LEDITS++: masks that are not empty on the random model at 16 x 8 */
    if (method == SE_METHOD_LEDITS_PP)
      c->threshold = 0.5;
  }
  return r;
}

/* Every latent of a 2-candidate run: the inversions' xts (batches of 2),
 * the edits' trace (batches of 2 x 3 with a concept): two recorded
 * evaluations per session, each replayed over several steps. */
static GArray *
run_two_candidates (void)
{
  g_autoptr (SeSession) s = new_session ();
  g_autoptr (SeRecipe) r = recipe (5, "snowy");
  g_autoptr (GError) error = NULL;
  g_assert_true (se_session_invert (s, r, 3, 2, NULL, NULL, NULL, NULL, &error));
  g_assert_true (se_session_edit (s, r, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  gsize n = se_session_latent_size (s);
  GArray *all = g_array_new (FALSE, FALSE, sizeof (double));
  for (guint k = 0; k < 2; k++) {
    guint xcount, tcount;
    const double *xts = se_session_xts (s, k, &xcount);
    const double *trace = se_session_trace (s, k, &tcount);
    g_array_append_vals (all, xts, xcount * n);
    g_array_append_vals (all, trace, tcount * n);
    /* LEDITS++: the masks come from the captured attention maps */
    const double *mask = se_session_concept_mask (s, k, 0);
    g_assert_true ((mask != NULL) == (method == SE_METHOD_LEDITS_PP));
    if (mask)
      g_array_append_vals (all, mask, n / 4);
  }
  return all;
}

/* Every step replays one recorded command buffer per batch size (with the
 * context uploaded once per phase); the results must equal, bit for bit,
 * those of evaluations recorded afresh each step (SE_REPLAY=0). */
static void
test_replay_equals_recording (gconstpointer data)
{
  set_method (data);
  g_setenv ("SE_REPLAY", "0", TRUE);
  g_autoptr (GArray) fresh = run_two_candidates ();
  g_unsetenv ("SE_REPLAY");
  g_autoptr (GArray) replayed = run_two_candidates ();
  g_assert_cmpuint (fresh->len, >, 0);
  g_assert_cmpmem (fresh->data, fresh->len * sizeof (double), replayed->data, replayed->len * sizeof (double));
}

/* Host waits of every kind: on compute work and on staging copies. */
static guint64
host_waits (SeGpu *gpu)
{
  return se_cmd_stats (gpu).waits + se_memory_staging_waits (gpu);
}

/* Per step, the compute submissions, host waits and replays so far. */
typedef struct {
  SeGpu *gpu;
  GArray *marks;                /* SeCmdStats then host waits, per progress call */
} StepMarks;

static void
mark_step (const char *phase, guint done, guint total, gpointer data)
{
  StepMarks *m = data;
  if (strcmp (phase, "decode") == 0)
    return;
  SeCmdStats st = se_cmd_stats (m->gpu);
  guint64 v[] = { st.submits, host_waits (m->gpu), st.replays };
  g_array_append_vals (m->marks, v, 3);
}

/* A step is one round trip per group of candidates: the sample filled from
 * the latents on the device, the replayed evaluation, the step's kernels
 * and the report's copy back go to the device together, after the
 * step's coefficients (uploaded without a wait of their own), and the host
 * waits once; for both methods, LEDITS++ with its attention masks. */
static void
test_step_waits_once (gconstpointer data)
{
  set_method (data);
  g_autoptr (SeSession) s = new_session ();
  g_autoptr (SeRecipe) r = recipe (5, "snowy");
  g_autoptr (GError) error = NULL;
  StepMarks m = { s->model->gpu, g_array_new (FALSE, FALSE, sizeof (guint64)) };
  g_assert_true (se_session_invert (s, r, 3, 1, NULL, mark_step, &m, NULL, &error));
  g_assert_true (se_session_edit (s, r, NULL, mark_step, &m, NULL, &error));
  g_assert_no_error (error);
  guint steps = m.marks->len / 3, inverted = method == SE_METHOD_LEDITS_PP ? 4 : 5;
  g_assert_cmpuint (steps, ==, inverted + 4);
  const guint64 *v = (const guint64 *) m.marks->data;
  /* each phase's first step records its evaluation (and the context's keys) */
  for (guint i = 1; i < steps; i++) {
    if (i == inverted)
      continue;
    g_test_message ("step %u: %" G_GUINT64_FORMAT " submissions, %" G_GUINT64_FORMAT " host waits", i,
                    v[3 * i] - v[3 * i - 3], v[3 * i + 1] - v[3 * i - 2]);
    g_assert_cmpuint (v[3 * i] - v[3 * i - 3], ==, 1);
    g_assert_cmpuint (v[3 * i + 1] - v[3 * i - 2], ==, 1);
    g_assert_cmpuint (v[3 * i + 2] - v[3 * i - 1], ==, 1);
  }
  g_array_unref (m.marks);
}

static void
test_progress_and_reedit (gconstpointer data)
{
  set_method (data);
  guint inverted = method == SE_METHOD_LEDITS_PP ? 5 : 6;
  g_autoptr (SeSession) s = new_session ();
  g_autoptr (SeRecipe) a = recipe (6, "wearing glasses");
  g_autoptr (SeRecipe) b = recipe (6, "sunshine");
  g_autoptr (GError) error = NULL;
  Counts c = { 0 };
  g_assert_true (se_session_invert (s, a, 1, 1, NULL, on_progress, &c, NULL, &error));
  g_assert_cmpuint (c.invert, ==, inverted);
  SeImage out = { 0 };
  g_assert_true (se_session_edit (s, a, &out, on_progress, &c, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (c.edit, ==, 5);
  g_assert_cmpuint (c.decode, ==, 1);
  g_assert_cmpuint (out.width, ==, 128);
  g_free (out.data);
  gsize n = se_session_latent_size (s);
  g_autofree double *la = g_memdup2 (se_session_latent (s, 0), n * sizeof (double));

  /* another concept re-uses the inversion: no invert progress */
  c = (Counts) { 0 };
  g_assert_true (se_session_is_inverted_for (s, b));
  g_assert_true (se_session_edit (s, b, NULL, on_progress, &c, NULL, &error));
  g_assert_cmpuint (c.invert, ==, 0);
  g_assert_cmpuint (c.decode, ==, 0);
  g_assert_true (memcmp (la, se_session_latent (s, 0), n * sizeof (double)) != 0);
  g_assert_true (se_session_edit (s, a, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpmem (la, n * sizeof (double), se_session_latent (s, 0), n * sizeof (double));

  /* the same seed inverts identically, another seed differently */
  guint count;
  const double *xts = se_session_xts (s, 0, &count);
  g_assert_cmpuint (count, ==, inverted + 1);
  gsize bytes = count * n * sizeof (double);
  g_autofree double *xts1 = g_memdup2 (xts, bytes);
  g_assert_true (se_session_invert (s, a, 1, 1, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpmem (xts1, bytes, se_session_xts (s, 0, &count), bytes);
  g_assert_true (se_session_invert (s, a, 2, 1, NULL, NULL, NULL, NULL, &error));
  g_assert_true (memcmp (xts1, se_session_xts (s, 0, &count), bytes) != 0);
  g_assert_no_error (error);
}

static void
test_cancel_leaves_session_intact (gconstpointer data)
{
  set_method (data);
  g_autoptr (SeSession) s = new_session ();
  g_autoptr (SeRecipe) a = recipe (6, "snowy");
  g_autoptr (SeRecipe) b = recipe (8, NULL);
  g_autoptr (GError) error = NULL;
  g_assert_true (se_session_invert (s, a, 1, 1, NULL, NULL, NULL, NULL, &error));
  g_assert_true (se_session_edit (s, a, NULL, NULL, NULL, NULL, &error));
  gsize n = se_session_latent_size (s);
  g_autofree double *latent = g_memdup2 (se_session_latent (s, 0), n * sizeof (double));
  const double *m = se_session_concept_mask (s, 0, 0);
  g_autofree double *mask = m ? g_memdup2 (m, n / 4 * sizeof (double)) : NULL;

  /* cancelled after two inversion steps: within one UNet evaluation */
  g_autoptr (GCancellable) cancel = g_cancellable_new ();
  Counts c = { .cancel_after = 2, .cancel = cancel };
  g_assert_false (se_session_invert (s, b, 1, 1, NULL, on_progress, &c, cancel, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpuint (c.invert, ==, 2);
  g_assert_true (se_session_is_inverted_for (s, a));
  g_assert_false (se_session_is_inverted_for (s, b));

  /* cancelled edit: no output, the last result kept */
  g_autoptr (GCancellable) cancel2 = g_cancellable_new ();
  Counts c2 = { .cancel_after = 1, .cancel = cancel2 };
  SeImage out = { 0 };
  g_autoptr (SeRecipe) other = recipe (6, "snow");
  g_assert_false (se_session_edit (s, other, &out, on_progress, &c2, cancel2, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_null (out.data);
  g_assert_cmpmem (latent, n * sizeof (double), se_session_latent (s, 0), n * sizeof (double));
  /* and LEDITS++'s masks: the last edit's, of its one concept */
  if (mask)
    g_assert_cmpmem (mask, n / 4 * sizeof (double), se_session_concept_mask (s, 0, 0), n / 4 * sizeof (double));
  g_assert_null (se_session_concept_mask (s, 0, 1));

  /* an edit with other steps than the inversion is refused */
  g_assert_false (se_session_edit (s, b, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, SE_RECIPE_ERROR, 0);
  g_assert_nonnull (strstr (error->message, "invert first"));
}

/* K candidates in shared batches, each equal to its run alone (the
 * candidates `check` of them, seeds 5 + k); decoded when `decode`. */
static void
check_candidates_batched (guint K, const guint *check, guint n_check, gboolean decode)
{
  g_autoptr (SeSession) s = new_session ();
  g_autoptr (SeRecipe) r = recipe (5, "wearing glasses");
  g_autoptr (GError) error = NULL;
  gsize n = se_session_latent_size (s);
  g_autofree double **single = g_new0 (double *, n_check), **single_mask = g_new0 (double *, n_check);
  for (guint i = 0; i < n_check; i++) {
    g_assert_true (se_session_invert (s, r, 5 + check[i], 1, NULL, NULL, NULL, NULL, &error));
    g_assert_true (se_session_edit (s, r, NULL, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    single[i] = g_memdup2 (se_session_latent (s, 0), n * sizeof (double));
    if (method == SE_METHOD_LEDITS_PP)
      single_mask[i] = g_memdup2 (se_session_concept_mask (s, 0, 0), n / 4 * sizeof (double));
  }
  g_assert_true (se_session_invert (s, r, 5, K, NULL, NULL, NULL, NULL, &error));
  g_assert_cmpuint (se_session_candidates (s), ==, K);
  g_autofree SeImage *out = decode ? g_new0 (SeImage, K) : NULL;
  g_assert_true (se_session_edit (s, r, out, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < n_check; i++) {
    guint k = check[i];
    g_autofree double *got = g_memdup2 (se_session_latent (s, k), n * sizeof (double));
    g_autofree char *what = g_strdup_printf ("candidate %u of %u batched vs alone", k, K);
    se_test_assert_close (what, got, single[i], n, 1e-6);
    g_free (single[i]);
    if (single_mask[i]) {
      g_autofree char *wm = g_strdup_printf ("candidate %u's mask batched vs alone", k);
      g_autofree double *mask = g_memdup2 (se_session_concept_mask (s, k, 0), n / 4 * sizeof (double));
      se_test_assert_close (wm, mask, single_mask[i], n / 4, 0.0);
      g_free (single_mask[i]);
    }
  }
  for (guint k = 0; decode && k < K; k++) {
    g_assert_nonnull (out[k].data);
    g_assert_cmpuint (out[k].width, ==, 128);
    g_free (out[k].data);
  }
  g_assert_true (memcmp (se_session_latent (s, 0), se_session_latent (s, 1), n * sizeof (double)) != 0);
}

/* Three candidates in shared batches (inversion: one batch of 6; edit with
 * one concept: batches of 2 + 1 candidates) equal three separate runs with
 * seeds 5, 6, 7. */
static void
test_candidates_batched (gconstpointer data)
{
  set_method (data);
  check_candidates_batched (3, (const guint[]) { 0, 1, 2 }, 3, TRUE);
}

/* More groups of candidates than a batch holds candidates (17 in groups of
 * 2 or 4: 9 and 5 groups), each group with its own recorded steps. */
static void
test_many_candidates (gconstpointer data)
{
  set_method (data);
  check_candidates_batched (17, (const guint[]) { 0, 9, 16 }, 3, FALSE);
}

typedef struct {
  SeSession *s;
  guint seen;
  double *first, *last;         /* the estimates at the first and last edit steps */
} Estimates;

static void
on_estimate (const char *phase, guint done, guint total, gpointer data)
{
  Estimates *e = data;
  const double *est = se_session_edit_estimate (e->s, 1);
  if (strcmp (phase, "edit") != 0) {
    g_assert_null (est);
    return;
  }
  g_assert_nonnull (est);
  g_assert_null (se_session_edit_estimate (e->s, 2));
  double *copy = g_memdup2 (est, se_session_latent_size (e->s) * sizeof (double));
  if (e->seen++ == 0)
    e->first = copy;
  else {
    g_free (e->last);
    e->last = copy;
  }
}

/* The estimate exists only inside edit callbacks and converges: after the
 * last step it is close to the result (the last step adds only the noise of
 * alphas_cumprod[0]), closer than the first step's. */
static void
test_edit_estimate (void)
{
  method = SE_METHOD_LEDITS;
  g_autoptr (SeSession) s = new_session ();
  g_autoptr (SeRecipe) r = recipe (5, "snow");
  g_autoptr (GError) error = NULL;
  g_assert_true (se_session_invert (s, r, 9, 2, NULL, NULL, NULL, NULL, &error));
  g_assert_null (se_session_edit_estimate (s, 0));
  Estimates e = { .s = s };
  SeImage out[2] = { { 0 } };
  g_assert_true (se_session_edit (s, r, out, on_estimate, &e, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (e.seen, ==, 4);
  gsize n = se_session_latent_size (s);
  double last = se_test_rel_error (e.last, se_session_latent (s, 1), n);
  double first = se_test_rel_error (e.first, se_session_latent (s, 1), n);
  g_test_message ("estimate vs result: first step %.3g, last step %.3g", first, last);
  g_assert_cmpfloat (last, <, 0.1);
  g_assert_cmpfloat (last, <, first);
  g_assert_null (se_session_edit_estimate (s, 1));
  g_free (e.first);
  g_free (e.last);
  g_free (out[0].data);
  g_free (out[1].data);
}

/* The map fitted against the model's VAE previews a decoded image better than
 * its mean colour does, and better than the generic map it replaces. */
static double
preview_error (SeSession *s, const SeImage *decoded)
{
  guint lw = decoded->width / 8, lh = decoded->height / 8;
  gsize n = (gsize) lw * lh;
  g_autofree float *rgb = g_new (float, 3 * n);
  se_model_latent_preview (model, se_session_x0 (s), lw, lh, rgb);
  double err = 0;
  for (guint c = 0; c < 3; c++)
    for (gsize p = 0; p < n; p++) {
      double mean = 0;
      for (guint dy = 0; dy < 8; dy++)
        for (guint dx = 0; dx < 8; dx++)
          mean += decoded->data[((gsize) c * decoded->height + (p / lw) * 8 + dy) * decoded->width +
                                (p % lw) * 8 + dx] / 64.0;
      err += (rgb[c * n + p] - mean) * (rgb[c * n + p] - mean);
    }
  return sqrt (err / (3 * n));
}

static void
test_latent_preview (void)
{
  method = SE_METHOD_LEDITS;
  g_autoptr (SeSession) s = new_session ();
  g_autoptr (SeRecipe) r = recipe (4, NULL);
  r->skip = 3;      /* one edit step: the decoded result is close to x0's */
  g_autoptr (GError) error = NULL;
  g_assert_true (se_session_invert (s, r, 1, 1, NULL, NULL, NULL, NULL, &error));
  SeImage decoded = { 0 };
  g_assert_true (se_session_edit (s, r, &decoded, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  double generic = preview_error (s, &decoded);
  g_assert_true (se_model_fit_latent_preview (model, &error));
  g_assert_no_error (error);
  double fitted = preview_error (s, &decoded);
  /* the spread of the decoded colours about their mean */
  gsize n = (gsize) 3 * decoded.width * decoded.height;
  double mean[3] = { 0 }, spread = 0;
  for (gsize i = 0; i < n; i++)
    mean[i / (n / 3)] += decoded.data[i] / (n / 3);
  for (gsize i = 0; i < n; i++)
    spread += (decoded.data[i] - mean[i / (n / 3)]) * (decoded.data[i] - mean[i / (n / 3)]);
  spread = sqrt (spread / n);
  g_test_message ("preview rms error: generic %.4f, fitted %.4f, decoded spread %.4f", generic,
                  fitted, spread);
  g_assert_cmpfloat (fitted, <, generic);
  g_assert_cmpfloat (fitted, <, spread);
  g_free (decoded.data);
}

static void
test_image_size_refused (void)
{
  float px[3 * 100 * 64] = { 0 };
  SeImage img = { 100, 64, px };
  g_autoptr (GError) error = NULL;
  g_assert_null (se_session_new (model, &img, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "multiples of 64"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_autoptr (GError) error = NULL;
  engine = se_engine_new (NULL, &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (se_test_reference_dir (), "tiny-sd", NULL);
  model = se_model_load (engine, path, NULL, &error);
  g_assert_no_error (error);
  for (SeMethod m = SE_METHOD_LEDITS; m <= SE_METHOD_LEDITS_PP; m++) {
    gconstpointer d = GINT_TO_POINTER (m);
    const char *name = se_method_name (m);
    g_autofree char *p1 = g_strdup_printf ("/session/%s/progress-and-reedit", name);
    g_autofree char *p2 = g_strdup_printf ("/session/%s/cancel-leaves-session-intact", name);
    g_autofree char *p3 = g_strdup_printf ("/session/%s/candidates-batched", name);
    g_autofree char *p4 = g_strdup_printf ("/session/%s/replay-equals-recording", name);
    g_test_add_data_func (p1, d, test_progress_and_reedit);
    g_test_add_data_func (p2, d, test_cancel_leaves_session_intact);
    g_test_add_data_func (p3, d, test_candidates_batched);
    g_test_add_data_func (p4, d, test_replay_equals_recording);
    g_autofree char *p5 = g_strdup_printf ("/session/%s/step-waits-once", name);
    g_test_add_data_func (p5, d, test_step_waits_once);
    g_autofree char *p6 = g_strdup_printf ("/session/%s/many-candidates", name);
    g_test_add_data_func (p6, d, test_many_candidates);
  }
  g_test_add_func ("/session/edit-estimate", test_edit_estimate);
  g_test_add_func ("/session/latent-preview", test_latent_preview);
  g_test_add_func ("/session/image-size-refused", test_image_size_refused);
  int r = g_test_run ();
  se_model_free (model);
  g_assert_cmpuint (se_engine_validation_problems (engine), ==, 0);
  se_engine_free (engine);
  return r;
}
