/* fuzz_tokenizer.c: the CLIP tokenizer (the real vocabulary) on arbitrary
 * bytes: invalid UTF-8, control characters, huge inputs.  Every encoding is
 * 77 ids that start with BOS, hold an EOS, and stay inside the vocabulary. */
#include "fuzz-input.h"
#include "text/tokenizer.h"

static SeTokenizer *tok;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  g_autofree char *dir = g_build_filename (fuzz_reference_dir (), "tiny-sd", "tokenizer", NULL);
  g_autoptr (GError) error = NULL;
  tok = se_tokenizer_load (dir, &error);
  g_assert_no_error (error);
  return 0;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  gint32 ids[77];
  se_tokenizer_encode (tok, text, ids, 77);
  g_assert_cmpint (ids[0], ==, 49406);
  gboolean eos = FALSE;
  for (guint i = 0; i < 77; i++) {
    g_assert_cmpint (ids[i], >=, 0);
    g_assert_cmpint (ids[i], <, 49408);
    eos = eos || ids[i] == 49407;
  }
  g_assert_true (eos);
  return 0;
}
