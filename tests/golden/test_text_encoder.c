/* test_text_encoder.c: CLIP against text_encoder.safetensors: every
 * hidden_states.N and last_hidden_state, from both model layouts. */
#include "golden.h"
#include "nets/clip.h"

static void
run (gconstpointer data)
{
  const GoldenModel *gm = data;
  g_autoptr (SeModelFiles) model = golden_open (gm);
  SeGpu *gpu = se_test_gpu ();
  g_autoptr (GError) error = NULL;
  SeClip *clip = se_clip_load (gpu, model, gm->weights, &error);
  g_assert_no_error (error);

  gsize n;
  gint64 shape[4];
  g_autofree float *idsf = golden_read ("text_encoder.safetensors", "input_ids", &n, shape);
  guint batch = (guint) shape[0];
  g_autofree gint32 *ids = g_new (gint32, n);
  for (gsize i = 0; i < n; i++)
    ids[i] = (gint32) idsf[i];
  g_autoptr (GPtrArray) hidden = g_ptr_array_new_with_free_func ((GDestroyNotify) se_tensor_free);
  SeTensor *last = se_clip_forward (clip, ids, batch, hidden, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hidden->len, ==, se_clip_config (clip)->layers + 1);
  for (guint i = 0; i < hidden->len; i++) {
    g_autofree char *name = g_strdup_printf ("hidden_states.%u", i);
    g_autofree float *want = golden_read ("text_encoder.safetensors", name, &n, NULL);
    g_autofree char *what = g_strdup_printf ("%s: %s", gm->name, name);
    golden_compare (what, hidden->pdata[i], want, n, golden_tap_bound (gm, gpu));
  }
  g_autofree float *want = golden_read ("text_encoder.safetensors", "last_hidden_state", &n, NULL);
  g_autofree char *what = g_strdup_printf ("%s: last_hidden_state", gm->name);
  golden_compare (what, last, want, n, golden_bound (gm, gpu));
  se_tensor_free (last);
  g_ptr_array_set_size (hidden, 0);
  se_clip_free (clip);
  se_test_gpu_done (gpu);
}

int
main (int argc, char **argv)
{
  return golden_main (argc, argv, "text-encoder", run);
}
