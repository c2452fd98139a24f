/* tokenizer.h: CLIP's byte-level BPE tokenizer (vocab.json + merges.txt).
 *
 * Text is cleaned as CLIP does (valid UTF-8, NFC, HTML entities decoded,
 * whitespace folded, lowercased), split with CLIP's pattern (special tokens,
 * 's 't 're 've 'm 'll 'd, letter runs, single digits, runs of other
 * non-space characters), each piece's UTF-8 bytes mapped to CLIP's byte
 * alphabet and merged by BPE rank with a </w> word end.  Immutable after
 * loading; safe to share between threads. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SE_TOKENIZER_ERROR (se_tokenizer_error_quark ())
GQuark se_tokenizer_error_quark (void);

typedef struct _SeTokenizer SeTokenizer;

/* dir holds vocab.json and merges.txt. */
SeTokenizer *se_tokenizer_load (const char *dir, GError **error);
void         se_tokenizer_free (SeTokenizer *tok);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SeTokenizer, se_tokenizer_free)

/* Fills ids[0..length-1] with BOS, the tokens, EOS, then EOS padding; text
 * too long is cut keeping the final EOS.  Returns how many tokens the text
 * makes, counted up to length - 1: more than the length - 2 kept tells the
 * prompt was cut.  Tokenizing stops there, and a word is cut to
 * SE_TOKENIZER_MAX_WORD bytes, so a huge prompt costs no more than a full
 * window (byte-pair merging is quadratic in a word's length). */
#define SE_TOKENIZER_MAX_WORD 1024
guint se_tokenizer_encode (SeTokenizer *tok, const char *text, gint32 *ids, guint length);

gint32 se_tokenizer_bos (const SeTokenizer *tok);
gint32 se_tokenizer_eos (const SeTokenizer *tok);

G_END_DECLS
