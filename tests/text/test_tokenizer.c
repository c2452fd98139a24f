/* test_tokenizer.c: every case of ../shared/reference/tokenizer.json, which
 * transformers' CLIPTokenizer produced. */
#include <json-glib/json-glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "test-util.h"
#include "text/tokenizer.h"

static void
test_reference_cases (void)
{
  const char *ref = se_test_reference_dir ();
  g_autofree char *dir = g_build_filename (ref, "tiny-sd", "tokenizer", NULL);
  g_autofree char *cases_path = g_build_filename (ref, "tokenizer.json", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeTokenizer) tok = se_tokenizer_load (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (se_tokenizer_bos (tok), ==, 49406);
  g_assert_cmpint (se_tokenizer_eos (tok), ==, 49407);

  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_file (parser, cases_path, &error));
  JsonObject *root = json_node_get_object (json_parser_get_root (parser));
  guint length = (guint) json_object_get_int_member (root, "max_length");
  JsonArray *cases = json_object_get_array_member (root, "cases");
  g_assert_cmpuint (json_array_get_length (cases), >=, 20);
  for (guint i = 0; i < json_array_get_length (cases); i++) {
    JsonObject *c = json_array_get_object_element (cases, i);
    const char *text = json_object_get_string_member (c, "text");
    JsonArray *want = json_object_get_array_member (c, "ids");
    g_assert_cmpuint (json_array_get_length (want), ==, length);
    gint32 ids[77];
    g_assert_cmpuint (length, ==, G_N_ELEMENTS (ids));
    se_tokenizer_encode (tok, text, ids, length);
    for (guint k = 0; k < length; k++)
      if (ids[k] != json_array_get_int_element (want, k))
        g_error ("\"%s\": token %u is %d, expected %" G_GINT64_FORMAT, text, k, ids[k],
                 json_array_get_int_element (want, k));
  }

  /* 100 words: cut to 75 tokens, the final EOS kept, a count past 75
   * reported (counting stops at 76) */
  GString *longer = g_string_new (NULL);
  for (int i = 0; i < 100; i++)
    g_string_append (longer, "cat ");
  gint32 ids[77];
  g_assert_cmpuint (se_tokenizer_encode (tok, longer->str, ids, 77), ==, 76);
  g_string_free (longer, TRUE);

  /* a 100 KB word: cut to SE_TOKENIZER_MAX_WORD bytes before merging (it
   * once took 16 s), the same window as that prefix alone */
  g_autofree char *huge = g_strnfill (100000, 'q');
  g_autofree char *prefix = g_strnfill (SE_TOKENIZER_MAX_WORD, 'q');
  gint32 from_huge[77], from_prefix[77];
  g_assert_cmpuint (se_tokenizer_encode (tok, huge, from_huge, 77), ==, 76);
  se_tokenizer_encode (tok, prefix, from_prefix, 77);
  g_assert_cmpmem (from_huge, sizeof from_huge, from_prefix, sizeof from_prefix);
  g_assert_cmpint (from_huge[76], ==, 49407);
  g_assert_cmpint (ids[0], ==, 49406);
  for (int k = 1; k < 76; k++)
    g_assert_cmpint (ids[k], ==, 2368);                 /* "cat</w>" */
  g_assert_cmpint (ids[76], ==, 49407);
}

static void
test_missing_and_bad_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *tmp = g_dir_make_tmp ("se-tok-XXXXXX", NULL);
  g_assert_null (se_tokenizer_load (tmp, &error));
  g_assert_nonnull (strstr (error->message, "vocab.json"));
  g_clear_error (&error);
  g_autofree char *vocab = g_build_filename (tmp, "vocab.json", NULL);
  g_assert_true (g_file_set_contents (vocab, "{\"a</w>\": 0}", -1, NULL));
  g_assert_null (se_tokenizer_load (tmp, &error));
  g_assert_nonnull (strstr (error->message, "not a CLIP vocabulary"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (vocab, "[1, 2]", -1, NULL));
  g_assert_null (se_tokenizer_load (tmp, &error));
  g_assert_nonnull (strstr (error->message, "not a JSON object"));
  g_clear_error (&error);
  g_autofree char *deep = se_test_nested_json ("{\"a</w>\": ", 100000, "}");
  g_assert_true (g_file_set_contents (vocab, deep, -1, NULL));
  g_assert_null (se_tokenizer_load (tmp, &error));
  g_assert_nonnull (strstr (error->message, "nested more than 64 levels"));
  g_remove (vocab);
  g_rmdir (tmp);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/tokenizer/reference-cases", test_reference_cases);
  g_test_add_func ("/tokenizer/missing-and-bad-files", test_missing_and_bad_files);
  return g_test_run ();
}
