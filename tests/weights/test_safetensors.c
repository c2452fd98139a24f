/* test_safetensors.c: the reader against hostile files, every dtype, and
 * every file in ../shared/reference. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "test-util.h"
#include "weights/safetensors.h"

static char *tmpdir;

/* Writes an 8-byte little-endian length, the header, then data bytes. */
static char *
write_file (const char *name, guint64 header_len, const char *header, const void *data,
            gsize data_len)
{
  char *path = g_build_filename (tmpdir, name, NULL);
  GByteArray *b = g_byte_array_new ();
  guint64 le = GUINT64_TO_LE (header_len);
  g_byte_array_append (b, (const guint8 *) &le, 8);
  if (header)
    g_byte_array_append (b, (const guint8 *) header, strlen (header));
  if (data_len)
    g_byte_array_append (b, data, data_len);
  g_autoptr (GError) error = NULL;
  g_assert_true (g_file_set_contents (path, (const char *) b->data, b->len, &error));
  g_byte_array_unref (b);
  return path;
}

static char *
write_header (const char *name, const char *header, gsize data_len)
{
  g_autofree guint8 *data = g_malloc0 (MAX (data_len, 1));
  return write_file (name, strlen (header), header, data, data_len);
}

/* Opening must fail with a format error naming the file and the problem. */
static void
expect_refused (const char *path, const char *problem)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) f = se_safetensors_open (path, &error);
  g_assert_null (f);
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  if (!strstr (error->message, path) || !strstr (error->message, problem))
    g_error ("message \"%s\" should name %s and say \"%s\"", error->message, path, problem);
}

static void
test_hostile_files (void)
{
  g_autofree char *empty = g_build_filename (tmpdir, "empty.safetensors", NULL);
  g_assert_true (g_file_set_contents (empty, "", 0, NULL));
  expect_refused (empty, "truncated");

  g_autofree char *short_len = g_build_filename (tmpdir, "short.safetensors", NULL);
  g_assert_true (g_file_set_contents (short_len, "\x10\x00\x00", 3, NULL));
  expect_refused (short_len, "truncated");

  const char *ok_header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
  g_autofree char *past_end = write_file ("past-end.safetensors", 4096, ok_header, NULL, 0);
  expect_refused (past_end, "runs past the end");

  g_autofree char *huge = write_file ("huge.safetensors", (guint64) 1 << 40, "{}", NULL, 0);
  expect_refused (huge, "exceeds");

  g_autofree char *truncated_data = write_header ("truncated-data.safetensors", ok_header, 4);
  expect_refused (truncated_data, "outside the 4 bytes of data");

  g_autofree char *not_json = write_header ("not-json.safetensors", "{\"a\": [1, 2", 0);
  expect_refused (not_json, "not valid JSON");

  g_autofree char *not_object = write_header ("not-object.safetensors", "[1, 2, 3]", 0);
  expect_refused (not_object, "not a JSON object");

  g_autofree char *outside = write_header ("outside.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[64,72]}}", 16);
  expect_refused (outside, "outside");

  g_autofree char *reversed = write_header ("reversed.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 16);
  expect_refused (reversed, "end before they begin");

  g_autofree char *size_mismatch = write_header ("size.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 16);
  expect_refused (size_mismatch, "needs 12 bytes");

  g_autofree char *dtype_mismatch = write_header ("dtype-size.safetensors",
    "{\"a\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[0,16]}}", 16);
  expect_refused (dtype_mismatch, "needs 8 bytes");

  g_autofree char *misaligned = write_header ("misaligned.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[2,10]}}", 16);
  expect_refused (misaligned, "not aligned");
  g_autofree char *odd = write_header ("odd-half.safetensors",
    "{\"a\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[3,7]}}", 16);
  expect_refused (odd, "not aligned to 2 bytes");

  g_autofree char *overlap = write_header ("overlap.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    " \"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16);
  expect_refused (overlap, "overlap");

  g_autofree char *unknown = write_header ("unknown-dtype.safetensors",
    "{\"a\":{\"dtype\":\"Q4_K\",\"shape\":[2],\"data_offsets\":[0,8]}}", 16);
  expect_refused (unknown, "unknown dtype \"Q4_K\"");

  g_autofree char *negative = write_header ("negative.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 16);
  expect_refused (negative, "not a non-negative integer");

  g_autofree char *fractional = write_header ("fractional.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", 16);
  expect_refused (fractional, "not a non-negative integer");

  g_autofree char *overflow = write_header ("overflow.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,8]}}", 16);
  expect_refused (overflow, "too large");

  g_autofree char *no_offsets = write_header ("no-offsets.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 16);
  expect_refused (no_offsets, "data_offsets");

  g_autofree char *extra = write_header ("extra-field.safetensors",
    "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 16);
  expect_refused (extra, "unknown field");

  g_autofree char *bad_meta = write_header ("bad-metadata.safetensors",
    "{\"__metadata__\":{\"format\":3}}", 0);
  expect_refused (bad_meta, "__metadata__");

  /* 100000 levels would overflow json-glib's stack: refused before it */
  g_autofree char *deep_text = se_test_nested_json ("{\"__metadata__\":", 100000, "}");
  g_autofree char *deep = write_header ("nested.safetensors", deep_text, 0);
  expect_refused (deep, "nested more than 64 levels");

  g_autofree char *missing = g_build_filename (tmpdir, "does-not-exist.safetensors", NULL);
  expect_refused (missing, "cannot open");
}

static void
test_dtypes_convert (void)
{
  /* F32 [2], F16 [4], BF16 [2], I64 [3], U8 [1] and a zero-sized tensor */
  guint8 data[8 + 8 + 4];
  float f32[2] = { 1.5f, -3.25f };
  guint16 f16[4] = { 0x3c00, 0xc100, 0x7bff, 0x0001 };     /* 1, -2.5, 65504, 2^-24 */
  guint16 bf16[2] = { 0x3f80, 0xc0a0 };                    /* 1, -5 */
  gint64 i64[3] = { 0, 76, -(G_GINT64_CONSTANT (1) << 40) };
  memcpy (data, f32, 8);
  memcpy (data + 8, f16, 8);
  memcpy (data + 16, bf16, 4);
  const char *header =
    "{\"__metadata__\":{\"format\":\"pt\"},"
    "\"f32\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
    "\"f16\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[8,16]},"
    "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[16,20]},"
    "\"empty\":{\"dtype\":\"F32\",\"shape\":[0,3],\"data_offsets\":[20,20]}}";
  g_autofree char *path = write_file ("dtypes.safetensors", strlen (header), header, data, 20);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) f = se_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (se_safetensors_count (f), ==, 4);
  g_assert_cmpstr (se_safetensors_metadata (f, "format"), ==, "pt");
  g_assert_cmpstr (se_safetensors_nth (f, 0)->name, ==, "bf16");   /* sorted by name */

  float out[4];
  se_safetensors_read_f32 (f, se_safetensors_find (f, "f32"), out);
  g_assert_cmpfloat (out[0], ==, 1.5f);
  g_assert_cmpfloat (out[1], ==, -3.25f);
  const SeSafeTensor *h = se_safetensors_find (f, "f16");
  g_assert_cmpuint (h->ndim, ==, 2);
  g_assert_cmpint (h->shape[1], ==, 2);
  se_safetensors_read_f32 (f, h, out);
  g_assert_cmpfloat (out[0], ==, 1.0f);
  g_assert_cmpfloat (out[1], ==, -2.5f);
  g_assert_cmpfloat (out[2], ==, 65504.0f);
  g_assert_cmpfloat (out[3], ==, ldexpf (1.0f, -24));
  se_safetensors_read_f32 (f, se_safetensors_find (f, "bf16"), out);
  g_assert_cmpfloat (out[0], ==, 1.0f);
  g_assert_cmpfloat (out[1], ==, -5.0f);
  g_assert_cmpuint (se_safetensors_find (f, "empty")->numel, ==, 0);
  g_assert_null (se_safetensors_get (f, "nope", &error));
  g_assert_error (error, SE_WEIGHTS_ERROR, SE_WEIGHTS_ERROR_MISSING);
  g_assert_nonnull (strstr (error->message, "nope"));
  g_clear_error (&error);
  /* float tensors are not integers */
  gint64 ints[2];
  g_assert_false (se_safetensors_read_i64 (f, se_safetensors_find (f, "f32"), ints, &error));
  g_assert_error (error, SE_WEIGHTS_ERROR, SE_WEIGHTS_ERROR_TYPE);
  g_clear_error (&error);

  /* I64 after 4 bytes of fp16, as in real checkpoints, reads back exactly */
  guint8 idata[4 + 24 + 1];
  memcpy (idata + 4, i64, 24);
  idata[28] = 200;
  const char *iheader =
    "{\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]},"
    "\"ids\":{\"dtype\":\"I64\",\"shape\":[1,3],\"data_offsets\":[4,28]},"
    "\"u8\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[28,29]}}";
  g_autofree char *ipath = write_file ("ints.safetensors", strlen (iheader), iheader, idata, 29);
  g_autoptr (SeSafetensors) fi = se_safetensors_open (ipath, &error);
  g_assert_no_error (error);
  gint64 got[3];
  g_assert_true (se_safetensors_read_i64 (fi, se_safetensors_find (fi, "ids"), got, &error));
  g_assert_cmpmem (got, sizeof got, i64, sizeof i64);
  g_assert_true (se_safetensors_read_i64 (fi, se_safetensors_find (fi, "u8"), got, &error));
  g_assert_cmpint (got[0], ==, 200);
}

static void
test_half_round_trip (void)
{
  /* every finite half converts to float and back unchanged */
  for (guint32 h = 0; h < 0x10000; h++) {
    if ((h & 0x7c00) == 0x7c00)
      continue;
    float f = se_half_to_float ((guint16) h);
    g_assert_cmpuint (se_float_to_half (f), ==, h);
  }
  g_assert_cmpuint (se_float_to_half (1.0f + ldexpf (1.0f, -11)), ==, 0x3c00);  /* tie to even */
  g_assert_cmpuint (se_float_to_half (1e6f), ==, 0x7c00);
  /* every rounding boundary: the midpoint between adjacent positive halves
   * (exact in float) goes to the even one, a float ulp off it to the nearer */
  for (guint32 h = 0; h < 0x7bff; h++) {
    double lo = se_half_to_float ((guint16) h), hi = se_half_to_float ((guint16) (h + 1));
    float mid = (float) ((lo + hi) / 2.0);
    g_assert_cmpfloat ((double) mid, ==, (lo + hi) / 2.0);
    guint16 even = (h & 1) ? (guint16) (h + 1) : (guint16) h;
    g_assert_cmpuint (se_float_to_half (mid), ==, even);
    g_assert_cmpuint (se_float_to_half (nextafterf (mid, 0.0f)), ==, h);
    g_assert_cmpuint (se_float_to_half (nextafterf (mid, INFINITY)), ==, h + 1);
    g_assert_cmpuint (se_float_to_half (-mid), ==, 0x8000 | even);
  }
  /* above the largest half: 65520 is the tie to infinity */
  g_assert_cmpuint (se_float_to_half (nextafterf (65520.0f, 0.0f)), ==, 0x7bff);
  g_assert_cmpuint (se_float_to_half (65520.0f), ==, 0x7c00);
  g_assert_cmpuint (se_float_to_half (ldexpf (1.0f, -26)), ==, 0);           /* a quarter of the smallest */
  g_assert_cmpuint (se_float_to_half (ldexpf (1.0f, -25) * 1.0001f), ==, 1);
  g_assert_cmpuint (se_float_to_half (NAN) & 0x7c00, ==, 0x7c00);
}

/* Parses the header with json-glib's JsonReader, independently of the
 * reader, and checks that the reader reports the same names, dtypes,
 * shapes and offsets. */
static void
check_against_header (const char *path)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) f = se_safetensors_open (path, &error);
  g_assert_no_error (error);
  g_autofree char *bytes = NULL;
  gsize len;
  g_assert_true (g_file_get_contents (path, &bytes, &len, &error));
  guint64 hlen;
  memcpy (&hlen, bytes, 8);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_assert_true (json_parser_load_from_data (parser, bytes + 8, (gssize) hlen, &error));
  g_autoptr (JsonReader) reader = json_reader_new (json_parser_get_root (parser));
  g_auto (GStrv) names = json_reader_list_members (reader);
  guint tensors = 0;
  for (guint i = 0; names[i]; i++) {
    if (strcmp (names[i], "__metadata__") == 0)
      continue;
    tensors++;
    const SeSafeTensor *t = se_safetensors_find (f, names[i]);
    g_assert_nonnull (t);
    json_reader_read_member (reader, names[i]);
    json_reader_read_member (reader, "dtype");
    g_assert_cmpstr (se_dtype_name (t->dtype), ==, json_reader_get_string_value (reader));
    json_reader_end_member (reader);
    json_reader_read_member (reader, "shape");
    g_assert_cmpint (json_reader_count_elements (reader), ==, t->ndim);
    for (guint d = 0; d < t->ndim; d++) {
      json_reader_read_element (reader, d);
      g_assert_cmpint (json_reader_get_int_value (reader), ==, t->shape[d]);
      json_reader_end_element (reader);
    }
    json_reader_end_member (reader);
    json_reader_read_member (reader, "data_offsets");
    json_reader_read_element (reader, 0);
    g_assert_cmpint (json_reader_get_int_value (reader), ==, (gint64) t->begin);
    json_reader_end_element (reader);
    json_reader_read_element (reader, 1);
    g_assert_cmpint (json_reader_get_int_value (reader), ==, (gint64) t->end);
    json_reader_end_element (reader);
    json_reader_end_member (reader);
    json_reader_end_member (reader);
  }
  g_assert_cmpuint (tensors, ==, se_safetensors_count (f));
  g_test_message ("%s: %u tensors", path, tensors);
}

static void
collect (const char *dir, GPtrArray *out)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d))) {
    g_autofree char *path = g_build_filename (dir, name, NULL);
    if (g_file_test (path, G_FILE_TEST_IS_DIR))
      collect (path, out);
    else if (g_str_has_suffix (name, ".safetensors"))
      g_ptr_array_add (out, g_steal_pointer (&path));
  }
}

static void
test_reference_files_load (void)
{
  g_autoptr (GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  collect (se_test_reference_dir (), files);
  /* 6 golden files, the single-file checkpoint, 3 folder networks */
  g_assert_cmpuint (files->len, >=, 10);
  for (guint i = 0; i < files->len; i++)
    check_against_header (files->pdata[i]);
}

/* The fp16 single file holds the folder's fp32 weights rounded to half, and
 * the I64 position ids 0..76. */
static void
test_fp16_checkpoint_matches_folder (void)
{
  const char *ref = se_test_reference_dir ();
  g_autofree char *single = g_build_filename (ref, "tiny-sd-fp16.safetensors", NULL);
  g_autofree char *unet = g_build_filename (ref, "tiny-sd", "unet",
                                            "diffusion_pytorch_model.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (SeSafetensors) fs = se_safetensors_open (single, &error);
  g_assert_no_error (error);
  g_autoptr (SeSafetensors) fu = se_safetensors_open (unet, &error);
  g_assert_no_error (error);

  const SeSafeTensor *ids = se_safetensors_get (
    fs, "cond_stage_model.transformer.text_model.embeddings.position_ids", &error);
  g_assert_no_error (error);
  g_assert_cmpint (ids->dtype, ==, SE_DTYPE_I64);
  g_autofree gint64 *pos = g_new (gint64, ids->numel);
  g_assert_true (se_safetensors_read_i64 (fs, ids, pos, &error));
  g_assert_cmpuint (ids->numel, ==, 77);
  for (int i = 0; i < 77; i++)
    g_assert_cmpint (pos[i], ==, i);

  const SeSafeTensor *h = se_safetensors_get (fs, "model.diffusion_model.input_blocks.0.0.weight", &error);
  const SeSafeTensor *w = se_safetensors_get (fu, "conv_in.weight", &error);
  g_assert_no_error (error);
  g_assert_cmpint (h->dtype, ==, SE_DTYPE_F16);
  g_assert_cmpuint (h->numel, ==, w->numel);
  g_autofree float *a = g_new (float, h->numel);
  g_autofree float *b = g_new (float, w->numel);
  se_safetensors_read_f32 (fs, h, a);
  se_safetensors_read_f32 (fu, w, b);
  for (gsize i = 0; i < h->numel; i++)
    g_assert_cmpuint (se_float_to_half (b[i]), ==, se_float_to_half (a[i]));

  /* and uploads to the device convert to fp32 */
  SeGpu *gpu = se_test_gpu ();
  SeTensor *t = se_safetensors_upload (fs, h, gpu, SE_DTYPE_F32, &error);
  g_assert_no_error (error);
  g_autofree double *got = se_test_fetch (t);
  for (gsize i = 0; i < h->numel; i++)
    g_assert_cmpfloat (got[i], ==, a[i]);
  /* and to fp16 storage: the halves come back unchanged */
  SeTensor *t16 = se_safetensors_upload (fs, h, gpu, SE_DTYPE_F16, &error);
  g_assert_no_error (error);
  g_autofree double *got16 = se_test_fetch (t16);
  for (gsize i = 0; i < h->numel; i++)
    g_assert_cmpfloat (got16[i], ==, a[i]);
  se_tensor_free (t16);
  g_assert_null (se_safetensors_upload (fs, ids, gpu, SE_DTYPE_F32, &error));
  g_assert_error (error, SE_WEIGHTS_ERROR, SE_WEIGHTS_ERROR_TYPE);
  se_tensor_free (t);
  se_test_gpu_done (gpu);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("se-safetensors-XXXXXX", NULL);
  g_test_add_func ("/safetensors/hostile-files-refused", test_hostile_files);
  g_test_add_func ("/safetensors/dtypes-convert", test_dtypes_convert);
  g_test_add_func ("/safetensors/half-round-trip", test_half_round_trip);
  g_test_add_func ("/safetensors/reference-files-load", test_reference_files_load);
  g_test_add_func ("/safetensors/fp16-checkpoint-matches-folder", test_fp16_checkpoint_matches_folder);
  int r = g_test_run ();
  g_autoptr (GDir) d = g_dir_open (tmpdir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name (d))) {
    g_autofree char *p = g_build_filename (tmpdir, name, NULL);
    g_unlink (p);
  }
  g_rmdir (tmpdir);
  g_free (tmpdir);
  return r;
}
