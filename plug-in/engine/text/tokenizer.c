/* tokenizer.c: CLIP BPE. */
#include "tokenizer.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "json-read.h"

G_DEFINE_QUARK (se-tokenizer-error-quark, se_tokenizer_error)

/* CLIP uses the first 49152 - 256 - 2 merges. */
#define MAX_MERGES 48894

struct _SeTokenizer {
  GHashTable *vocab;            /* char* -> id + 1 */
  GHashTable *ranks;            /* "left right" -> rank + 1 */
  gunichar byte_char[256];      /* CLIP's bytes_to_unicode */
  gint32 bos, eos;
  GHashTable *cache;            /* piece -> GArray of gint32 */
  GMutex cache_lock;
};

static void
build_byte_alphabet (SeTokenizer *t)
{
  /* printable Latin-1 bytes stand for themselves, the rest map to 256 + n */
  gboolean direct[256] = { FALSE };
  for (int b = '!'; b <= '~'; b++) direct[b] = TRUE;
  for (int b = 0xA1; b <= 0xAC; b++) direct[b] = TRUE;
  for (int b = 0xAE; b <= 0xFF; b++) direct[b] = TRUE;
  int n = 0;
  for (int b = 0; b < 256; b++)
    t->byte_char[b] = direct[b] ? (gunichar) b : (gunichar) (256 + n++);
}

static gboolean
load_vocab (SeTokenizer *t, const char *path, GError **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) err = NULL;
  if (!se_json_load_file (parser, path, &err)) {
    g_set_error (error, SE_TOKENIZER_ERROR, 0, _("%s: cannot read the vocabulary: %s"), path, err->message);
    return FALSE;
  }
  JsonNode *root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, SE_TOKENIZER_ERROR, 0, _("%s: the vocabulary is not a JSON object"), path);
    return FALSE;
  }
  JsonObject *obj = json_node_get_object (root);
  g_autoptr (GList) members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next) {
    JsonNode *v = json_object_get_member (obj, l->data);
    if (!JSON_NODE_HOLDS_VALUE (v) || json_node_get_value_type (v) != G_TYPE_INT64 ||
        json_node_get_int (v) < 0 || json_node_get_int (v) >= G_MAXINT32) {
      g_set_error (error, SE_TOKENIZER_ERROR, 0, _("%s: token \"%s\" has no valid id"), path,
                   (const char *) l->data);
      return FALSE;
    }
    g_hash_table_insert (t->vocab, g_strdup (l->data), GINT_TO_POINTER ((gint) json_node_get_int (v) + 1));
  }
  gpointer bos = g_hash_table_lookup (t->vocab, "<|startoftext|>");
  gpointer eos = g_hash_table_lookup (t->vocab, "<|endoftext|>");
  if (bos == NULL || eos == NULL) {
    g_set_error (error, SE_TOKENIZER_ERROR, 0,
                 _("%s: <|startoftext|> or <|endoftext|> is missing: not a CLIP vocabulary"), path);
    return FALSE;
  }
  t->bos = GPOINTER_TO_INT (bos) - 1;
  t->eos = GPOINTER_TO_INT (eos) - 1;
  return TRUE;
}

static gboolean
load_merges (SeTokenizer *t, const char *path, GError **error)
{
  g_autofree char *text = NULL;
  gsize length = 0;
  g_autoptr (GError) err = NULL;
  if (!g_file_get_contents (path, &text, &length, &err)) {
    g_set_error (error, SE_TOKENIZER_ERROR, 0, _("%s: cannot read the merges: %s"), path, err->message);
    return FALSE;
  }
  /* Lines are cut in place with memchr: g_strsplit's strstr would rescan
   * the rest of the text for every line under AddressSanitizer, whose
   * interceptor measures the whole string each call (quadratic: 4 s of a
   * model load there). */
  const char *end = text + length;
  int rank = 0;
  guint i = 0;
  for (char *line = text, *next; line < end && rank < MAX_MERGES; line = next, i++) {
    char *newline = memchr (line, '\n', (gsize) (end - line));
    next = newline ? newline + 1 : (char *) end;
    if (newline)
      *newline = '\0';
    g_strchomp (line);
    if (i == 0 && g_str_has_prefix (line, "#version"))
      continue;
    if (*line == '\0')
      continue;
    char *space = strchr (line, ' ');
    if (space == NULL || strchr (space + 1, ' ') != NULL) {
      g_set_error (error, SE_TOKENIZER_ERROR, 0, _("%s: line %u is not a pair of symbols"), path, i + 1);
      return FALSE;
    }
    g_hash_table_insert (t->ranks, g_strdup (line), GINT_TO_POINTER (++rank));
  }
  if (rank == 0) {
    g_set_error (error, SE_TOKENIZER_ERROR, 0, _("%s: no merges found"), path);
    return FALSE;
  }
  return TRUE;
}

SeTokenizer *
se_tokenizer_load (const char *dir, GError **error)
{
  g_autoptr (SeTokenizer) t = g_new0 (SeTokenizer, 1);
  t->vocab = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  t->ranks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  t->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
  g_mutex_init (&t->cache_lock);
  build_byte_alphabet (t);
  g_autofree char *vocab = g_build_filename (dir, "vocab.json", NULL);
  g_autofree char *merges = g_build_filename (dir, "merges.txt", NULL);
  if (!load_vocab (t, vocab, error) || !load_merges (t, merges, error))
    return NULL;
  return g_steal_pointer (&t);
}

void
se_tokenizer_free (SeTokenizer *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref (t->vocab);
  g_hash_table_unref (t->ranks);
  g_hash_table_unref (t->cache);
  g_mutex_clear (&t->cache_lock);
  g_free (t);
}

gint32 se_tokenizer_bos (const SeTokenizer *t) { return t->bos; }
gint32 se_tokenizer_eos (const SeTokenizer *t) { return t->eos; }

/* html.unescape for the entities prompts realistically carry. */
static char *
html_unescape (const char *s)
{
  static const struct { const char *name, *text; } named[] = {
    { "amp;", "&" }, { "lt;", "<" }, { "gt;", ">" }, { "quot;", "\"" }, { "apos;", "'" },
    { "nbsp;", "\xc2\xa0" },
  };
  GString *out = g_string_new (NULL);
  while (*s) {
    if (*s != '&') {
      g_string_append_c (out, *s++);
      continue;
    }
    gboolean done = FALSE;
    if (s[1] == '#') {
      gboolean hex = s[2] == 'x' || s[2] == 'X';
      char *end = NULL;
      guint64 cp = g_ascii_strtoull (s + (hex ? 3 : 2), &end, hex ? 16 : 10);
      if (end && end > s + (hex ? 3 : 2) && cp > 0 && cp <= 0x10FFFF && g_unichar_validate ((gunichar) cp)) {
        g_string_append_unichar (out, (gunichar) cp);
        s = *end == ';' ? end + 1 : end;
        done = TRUE;
      }
    } else {
      for (guint i = 0; i < G_N_ELEMENTS (named) && !done; i++)
        if (g_str_has_prefix (s + 1, named[i].name)) {
          g_string_append (out, named[i].text);
          s += 1 + strlen (named[i].name);
          done = TRUE;
        }
    }
    if (!done)
      g_string_append_c (out, *s++);
  }
  return g_string_free (out, FALSE);
}

/* CLIP's basic_clean + whitespace_clean + lower. */
static char *
clean (const char *text)
{
  g_autofree char *valid = g_utf8_make_valid (text, -1);
  g_autofree char *nfc = g_utf8_normalize (valid, -1, G_NORMALIZE_NFC);
  g_autofree char *once = html_unescape (nfc);
  g_autofree char *twice = html_unescape (once);
  GString *folded = g_string_new (NULL);
  gboolean pending_space = FALSE;
  for (const char *p = twice; *p; p = g_utf8_next_char (p)) {
    gunichar c = g_utf8_get_char (p);
    if (g_unichar_isspace (c)) {
      pending_space = folded->len > 0;
      continue;
    }
    if (pending_space)
      g_string_append_c (folded, ' ');
    pending_space = FALSE;
    g_string_append_unichar (folded, c);
  }
  g_autofree char *trimmed = g_string_free (folded, FALSE);
  return g_utf8_strdown (trimmed, -1);
}

static gboolean
is_letter (gunichar c)
{
  switch (g_unichar_type (c)) {
  case G_UNICODE_LOWERCASE_LETTER: case G_UNICODE_UPPERCASE_LETTER:
  case G_UNICODE_TITLECASE_LETTER: case G_UNICODE_MODIFIER_LETTER:
  case G_UNICODE_OTHER_LETTER:
    return TRUE;
  default:
    return FALSE;
  }
}

static gboolean
is_number (gunichar c)
{
  GUnicodeType t = g_unichar_type (c);
  return t == G_UNICODE_DECIMAL_NUMBER || t == G_UNICODE_LETTER_NUMBER || t == G_UNICODE_OTHER_NUMBER;
}

/* Length in bytes of the piece CLIP's pattern matches at p (0 at a space). */
static gsize
match_piece (const char *p)
{
  static const char *special[] = { "<|startoftext|>", "<|endoftext|>" };
  static const char *contractions[] = { "'s", "'t", "'re", "'ve", "'m", "'ll", "'d" };
  for (guint i = 0; i < G_N_ELEMENTS (special); i++)
    if (g_str_has_prefix (p, special[i]))
      return strlen (special[i]);
  for (guint i = 0; i < G_N_ELEMENTS (contractions); i++)
    if (g_str_has_prefix (p, contractions[i]))
      return strlen (contractions[i]);
  gunichar c = g_utf8_get_char (p);
  const char *q = p;
  if (is_letter (c)) {
    while (*q && is_letter (g_utf8_get_char (q)))
      q = g_utf8_next_char (q);
  } else if (is_number (c)) {
    q = g_utf8_next_char (q);
  } else if (!g_unichar_isspace (c)) {
    while (*q) {
      gunichar d = g_utf8_get_char (q);
      if (g_unichar_isspace (d) || is_letter (d) || is_number (d))
        break;
      q = g_utf8_next_char (q);
    }
  }
  return (gsize) (q - p);
}

/* BPE over one piece; appends its ids to out. */
static void
bpe (SeTokenizer *t, const char *piece, gsize len, GArray *out)
{
  g_autofree char *key = g_strndup (piece, len);
  g_mutex_lock (&t->cache_lock);
  GArray *cached = g_hash_table_lookup (t->cache, key);
  if (cached)
    g_array_append_vals (out, cached->data, cached->len);
  g_mutex_unlock (&t->cache_lock);
  if (cached)
    return;

  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint32));
  gpointer special = g_hash_table_lookup (t->vocab, key);
  if (special && key[0] == '<' && strstr (key, "|>")) {
    gint32 id = GPOINTER_TO_INT (special) - 1;
    g_array_append_val (ids, id);
  } else {
    /* symbols: one per byte, in CLIP's byte alphabet; the last ends the word */
    GPtrArray *sym = g_ptr_array_new_with_free_func (g_free);
    for (gsize i = 0; i < len; i++) {
      char buf[8] = { 0 };
      g_unichar_to_utf8 (t->byte_char[(guint8) piece[i]], buf);
      g_ptr_array_add (sym, g_strdup (buf));
    }
    char *last = sym->pdata[sym->len - 1];
    sym->pdata[sym->len - 1] = g_strconcat (last, "</w>", NULL);
    g_free (last);
    for (;;) {
      int best = -1, best_rank = G_MAXINT;
      for (guint i = 0; i + 1 < sym->len; i++) {
        g_autofree char *pair = g_strconcat (sym->pdata[i], " ", sym->pdata[i + 1], NULL);
        int r = GPOINTER_TO_INT (g_hash_table_lookup (t->ranks, pair));
        if (r && r < best_rank) {
          best_rank = r;
          best = (int) i;
        }
      }
      if (best < 0)
        break;
      /* merge every occurrence of the best pair, left to right */
      char *a = g_strdup (sym->pdata[best]), *b = g_strdup (sym->pdata[best + 1]);
      for (guint i = 0; i + 1 < sym->len; i++)
        if (strcmp (sym->pdata[i], a) == 0 && strcmp (sym->pdata[i + 1], b) == 0) {
          char *merged = g_strconcat (a, b, NULL);
          g_free (sym->pdata[i]);
          sym->pdata[i] = merged;
          g_ptr_array_remove_index (sym, i + 1);
        }
      g_free (a);
      g_free (b);
    }
    for (guint i = 0; i < sym->len; i++) {
      gpointer v = g_hash_table_lookup (t->vocab, sym->pdata[i]);
      gint32 id = v ? GPOINTER_TO_INT (v) - 1 : t->eos;     /* CLIP's unk is EOS */
      g_array_append_val (ids, id);
    }
    g_ptr_array_unref (sym);
  }
  g_array_append_vals (out, ids->data, ids->len);
  g_mutex_lock (&t->cache_lock);
  g_hash_table_replace (t->cache, g_steal_pointer (&key), ids);
  g_mutex_unlock (&t->cache_lock);
}

guint
se_tokenizer_encode (SeTokenizer *t, const char *text, gint32 *ids, guint length)
{
  g_return_val_if_fail (length >= 2, 0);
  g_autofree char *cleaned = clean (text ? text : "");
  g_autoptr (GArray) tokens = g_array_new (FALSE, FALSE, sizeof (gint32));
  for (const char *p = cleaned; *p && tokens->len < length - 1;) {
    gsize n = match_piece (p);
    if (n == 0) {
      p = g_utf8_next_char (p);
      continue;
    }
    /* cut at a character boundary */
    gsize cut = n;
    if (cut > SE_TOKENIZER_MAX_WORD) {
      const char *end = g_utf8_find_prev_char (p, p + SE_TOKENIZER_MAX_WORD + 1);
      cut = (gsize) (end - p);
    }
    bpe (t, p, cut, tokens);
    p += n;
  }
  guint keep = MIN (tokens->len, length - 2);
  ids[0] = t->bos;
  if (keep > 0)         /* an empty array's data is NULL, which memcpy must not get */
    memcpy (ids + 1, tokens->data, keep * sizeof (gint32));
  for (guint i = keep + 1; i < length; i++)
    ids[i] = t->eos;
  return MIN (tokens->len, length - 1);
}
