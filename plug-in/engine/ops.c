/* ops.c: the operators that are not GEMMs: norms, softmax, attention,
 * element-wise, concatenation, upsampling, the timestep embedding (the
 * GEMMs are in ops-gemm.c, what both share in ops-common.c). */
#include "ops-private.h"

#include <math.h>

typedef struct {
  guint32 C, HW, G;
  float eps;
  guint32 silu, C1;     /* C1: the first tensor's channels (groupnorm_concat) */
} GroupNormPush;

/* gamma and beta [C] fp32, groups splitting C. */
static gboolean
group_norm_params (const char *op, gint64 C, const SeTensor *gamma, const SeTensor *beta, guint groups,
                   GError **error)
{
  if (!se_ops_all_f32 (op, error, gamma, beta, NULL, NULL))
    return FALSE;
  if (groups == 0 || C % groups != 0)
    return se_ops_invalid (error, op, "%" G_GINT64_FORMAT " channels do not split into %u groups", C, groups);
  if (gamma->numel != (gsize) C || beta->numel != (gsize) C)
    return se_ops_invalid (error, op, "gamma/beta have %zu/%zu elements, expected %" G_GINT64_FORMAT,
                           gamma->numel, beta->numel, C);
  return TRUE;
}

gboolean
se_op_group_norm_concat (SeGpu *gpu, const SeTensor *a, const SeTensor *b, const SeTensor *gamma,
                         const SeTensor *beta, guint groups, float eps, gboolean silu, SeTensor *cat,
                         SeTensor *out, GError **error)
{
  gboolean ok = a->ndim >= 2 && a->ndim == b->ndim && se_ops_same_shape (cat, out) && cat->ndim == a->ndim &&
                cat->shape[1] == a->shape[1] + b->shape[1];
  for (guint i = 0; ok && i < a->ndim; i++)
    ok = i == 1 || (a->shape[i] == b->shape[i] && a->shape[i] == cat->shape[i]);
  if (!ok) {
    g_autofree char *s = se_ops_shapes ("a", a, "b", b);
    g_autofree char *so = se_tensor_shape_string (out);
    return se_ops_invalid (error, "group_norm_concat", "expected a [B, C1, ...], b [B, C2, ...], cat and out "
                           "[B, C1+C2, ...]: %s, out %s", s, so);
  }
  gboolean act16;
  if (!se_ops_activations ("group_norm_concat", error, &act16, a, b, cat, out) ||
      !group_norm_params ("group_norm_concat", cat->shape[1], gamma, beta, groups, error))
    return FALSE;
  GroupNormPush push = { (guint32) cat->shape[1], (guint32) se_tensor_inner (a, 2), groups, eps, silu ? 1 : 0,
                         (guint32) a->shape[1] };
  SeBinding bind[] = { BIND_R (a), BIND_R (gamma), BIND_R (beta), BIND_W (out), BIND_R (b), BIND_W (cat) };
  return se_ops_dispatch (gpu, VARIANT (SE_SHADER_GROUPNORM_CONCAT, act16), NULL, 0, bind, 6, &push, sizeof push,
                          groups, (guint32) a->shape[0], 1, error);
}

gboolean
se_op_group_norm (SeGpu *gpu, const SeTensor *x, const SeTensor *gamma, const SeTensor *beta,
                  guint groups, float eps, gboolean silu, SeTensor *out, GError **error)
{
  if (x->ndim < 2 || !se_ops_same_shape (x, out)) {
    g_autofree char *s = se_ops_shapes ("x", x, "out", out);
    return se_ops_invalid (error, "group_norm", "expected x [B, C, ...] and out of the same shape: %s", s);
  }
  gboolean act16;
  gint64 C = x->shape[1];
  if (!se_ops_activations ("group_norm", error, &act16, x, out, NULL, NULL) ||
      !group_norm_params ("group_norm", C, gamma, beta, groups, error))
    return FALSE;
  GroupNormPush push = { (guint32) C, (guint32) se_tensor_inner (x, 2), groups, eps, silu ? 1 : 0, 0 };
  SeBinding bind[] = { BIND_R (x), BIND_R (gamma), BIND_R (beta), BIND_W (out) };
  if (gpu->kernels == SE_KERNELS_SUBGROUP && push.HW % 4 == 0 && se_ops_vec4_aligned (x) && se_ops_vec4_aligned (out)) {
    guint32 spec[] = { SG (gpu) };
    return se_ops_dispatch (gpu, VARIANT (SE_SHADER_GROUPNORM_SG, act16), spec, 1, bind, 4, &push, sizeof push,
                            groups, (guint32) x->shape[0], 1, error);
  }
  return se_ops_dispatch (gpu, VARIANT (SE_SHADER_GROUPNORM, act16), NULL, 0, bind, 4, &push, sizeof push,
                          groups, (guint32) x->shape[0], 1, error);
}

/* rows of the last dimension, as a 2-D grid of one workgroup per row */
static gboolean
dispatch_rows (SeGpu *gpu, SeShaderId id, const SeBinding *b, guint nb, const void *push,
               gsize push_size, gsize rows, GError **error)
{
  return se_ops_dispatch_1d (gpu, id, b, nb, push, push_size, rows, 1, error);
}

gboolean
se_op_layer_norm (SeGpu *gpu, const SeTensor *x, const SeTensor *gamma, const SeTensor *beta,
                  float eps, SeTensor *out, GError **error)
{
  gint64 N = x->shape[x->ndim - 1];
  if (!se_ops_same_shape (x, out) || gamma->numel != (gsize) N || beta->numel != (gsize) N) {
    g_autofree char *s = se_ops_shapes ("x", x, "out", out);
    return se_ops_invalid (error, "layer_norm", "out must match x and gamma/beta have %" G_GINT64_FORMAT
                           " elements: %s, gamma %zu, beta %zu", N, s, gamma->numel, beta->numel);
  }
  gboolean act16;
  if (!se_ops_all_f32 ("layer_norm", error, gamma, beta, NULL, NULL) ||
      !se_ops_activations ("layer_norm", error, &act16, x, out, NULL, NULL))
    return FALSE;
  struct {
    guint32 rows, N;
    float eps;
  } push = { (guint32) (x->numel / (gsize) N), (guint32) N, eps };
  SeBinding bind[] = { BIND_R (x), BIND_R (gamma), BIND_R (beta), BIND_W (out) };
  if (gpu->kernels == SE_KERNELS_SUBGROUP && N % 4 == 0 && se_ops_vec4_aligned (x) && se_ops_vec4_aligned (gamma) &&
      se_ops_vec4_aligned (beta) && se_ops_vec4_aligned (out)) {
    guint32 spec[] = { SG (gpu) };
    return se_ops_dispatch (gpu, VARIANT (SE_SHADER_LAYERNORM_SG, act16), spec, 1, bind, 4, &push, sizeof push,
                            (push.rows + SG (gpu) - 1) / SG (gpu), 1, 1, error);
  }
  return dispatch_rows (gpu, VARIANT (SE_SHADER_LAYERNORM, act16), bind, 4, &push, sizeof push, push.rows, error);
}

gboolean
se_op_softmax (SeGpu *gpu, const SeTensor *x, float scale, SeTensor *out, GError **error)
{
  if (!se_ops_same_shape (x, out)) {
    g_autofree char *s = se_ops_shapes ("x", x, "out", out);
    return se_ops_invalid (error, "softmax", "out must match x: %s", s);
  }
  if (!se_ops_all_f32 ("softmax", error, x, out, NULL, NULL))
    return FALSE;
  gint64 N = x->shape[x->ndim - 1];
  struct {
    guint32 rows, N;
    float scale;
  } push = { (guint32) (x->numel / (gsize) N), (guint32) N, scale };
  SeBinding bind[] = { BIND_R (x), BIND_W (out) };
  return dispatch_rows (gpu, SE_SHADER_SOFTMAX, bind, 2, &push, sizeof push, push.rows, error);
}

/* Whether in (a [B, L, width] tensor) holds batch B, length L and the
 * columns from in.col to in.col + C. */
static gboolean
attn_input_fits (SeAttnInput in, gint64 B, gint64 L, guint32 C)
{
  return in.t->ndim == 3 && in.t->shape[0] == B && (L < 0 || in.t->shape[1] == L) &&
         (gint64) in.col + C <= in.t->shape[2];
}

gboolean
se_op_attention (SeGpu *gpu, const SeTensor *q, const SeTensor *k, const SeTensor *v,
                 guint heads, gboolean causal, SeTensor *out, GError **error)
{
  if (q->ndim != 3) {
    g_autofree char *s = se_ops_shapes ("q", q, "k", k);
    return se_ops_invalid (error, "attention", "expected q [B, Lq, H*D]: %s", s);
  }
  return se_op_attention_cols (gpu, (SeAttnInput) { q, 0 }, (SeAttnInput) { k, 0 }, (SeAttnInput) { v, 0 },
                               (guint32) q->shape[2], heads, causal, out, error);
}

gboolean
se_op_attention_cols (SeGpu *gpu, SeAttnInput qi, SeAttnInput ki, SeAttnInput vi, guint32 C, guint heads,
                      gboolean causal, SeTensor *out, GError **error)
{
  const SeTensor *q = qi.t, *k = ki.t, *v = vi.t;
  gint64 B = q->ndim == 3 ? q->shape[0] : -1, Lk = k->ndim == 3 ? k->shape[1] : -1;
  if (q->ndim != 3 || k->ndim != 3 || heads == 0 || C == 0 || C % heads != 0 ||
      !attn_input_fits (qi, B, -1, C) || !attn_input_fits (ki, B, Lk, C) || !attn_input_fits (vi, B, Lk, C) ||
      out->ndim != 3 || out->shape[0] != B || out->shape[1] != q->shape[1] || out->shape[2] != C) {
    g_autofree char *s = se_ops_shapes ("q", q, "k", k);
    g_autofree char *sv = se_ops_shapes ("v", v, "out", out);
    return se_ops_invalid (error, "attention", "expected q [B, Lq, >= %u], k and v [B, Lk, >= %u] (from "
                           "columns %u, %u and %u), out [B, Lq, %u], %u heads dividing %u: %s, %s", C, C,
                           qi.col, ki.col, vi.col, C, heads, C, s, sv);
  }
  gboolean act16;
  if (!se_ops_activations ("attention", error, &act16, q, k, v, out))
    return FALSE;
  guint32 D = C / heads;
  guint32 Lq = (guint32) q->shape[1];
  guint32 qw = (guint32) q->shape[2], kw = (guint32) k->shape[2], vw = (guint32) v->shape[2];
  struct {
    guint32 lq, lk;
    guint32 q_off, q_row, q_batch, k_off, k_row, k_batch, v_off, v_row, v_batch, o_off, o_row, o_batch;
    float scale;
    guint32 causal;
  } push = { Lq, (guint32) Lk, qi.col, qw, Lq * qw, ki.col, kw, (guint32) Lk * kw, vi.col, vw, (guint32) Lk * vw,
             0, C, Lq * C, (float) (1.0 / sqrt ((double) D)), causal ? 1 : 0 };
  SeBinding bind[] = { BIND_R (q), BIND_R (k), BIND_R (v), BIND_W (out) };
  /* the subgroup kernel loads four elements at a time */
  guint32 layout[] = { D, qi.col, ki.col, vi.col, qw, kw, vw };
  gboolean by4 = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (layout); i++)
    by4 = by4 && layout[i] % 4 == 0;
  if (gpu->kernels == SE_KERNELS_SUBGROUP && by4 && se_ops_vec4_aligned (q) && se_ops_vec4_aligned (k) &&
      se_ops_vec4_aligned (v) && se_ops_vec4_aligned (out)) {
    /* queries per lane: as many as keep the queries and accumulators of a
     * lane near 80 floats each (measured on lavapipe: head width 40 runs
     * best with 4, 160 with 1) */
    guint32 sg = SG (gpu), qn = D <= 40 ? 4 : D <= 80 ? 2 : 1;
    guint32 spec[] = { sg, D / 4, qn };
    return se_ops_dispatch (gpu, VARIANT (SE_SHADER_ATTENTION_SG, act16), spec, G_N_ELEMENTS (spec), bind, 4, &push, sizeof push,
                            (Lq + sg * qn - 1) / (sg * qn), heads, (guint32) q->shape[0], error);
  }
  if (gpu->kernels == SE_KERNELS_COOPMAT && act16) {
    /* 16 queries per warp; the most warps (4, 2, 1) and then the longest
     * key tile (64, 32, 16) whose shared memory fits (attention_coopmat.comp:
     * fp16 queries, key/value tile and weights, fp32 scores and row
     * statistics) */
    guint32 lanes = se_coopmat_lanes (gpu), ld = (D + 15) / 16 * 16 + 8;
    for (guint32 warps = 4; warps >= 1; warps /= 2)
      for (guint32 bkv = 64; bkv >= 16; bkv /= 2) {
        guint32 bq = 16 * warps;
        guint32 shared = 2 * (bq * ld + bkv * ld + bq * (bkv + 8)) + 4 * (bq * bkv + 3 * bq);
        if (shared > gpu->info.max_shared_memory || warps * lanes > gpu->info.max_workgroup_invocations)
          continue;
        guint32 spec[] = { warps * lanes, lanes, D, bkv };
        return se_ops_dispatch (gpu, se_coopmat_variant (gpu, SE_SHADER_ATTENTION_CM), spec, G_N_ELEMENTS (spec),
                                bind, 4, &push, sizeof push, (Lq + bq - 1) / bq, heads, (guint32) q->shape[0],
                                error);
      }
  }
  if (TILED_KERNELS (gpu)) {
    /* 128 threads, 8 per query: 16 queries per workgroup; key tiles as
     * large as shared memory holds (queries, a key or value tile, the
     * weights and two reductions, rows padded by one float) */
    guint32 threads = 128, bq = 16, tpr = threads / bq, bkv = 64;
    while (bkv >= tpr && 4 * (bq * (D + 1) + bkv * (D + 1) + bq * (bkv + 1) + 2 * threads) > gpu->info.max_shared_memory)
      bkv /= 2;
    if (bkv >= tpr) {
      guint32 spec[] = { threads, D, bq, bkv };
      return se_ops_dispatch (gpu, VARIANT (SE_SHADER_ATTENTION_TILED, act16), spec, G_N_ELEMENTS (spec), bind, 4,
                              &push, sizeof push, (Lq + bq - 1) / bq, heads, (guint32) q->shape[0], error);
    }
  }
  /* K and V tiles share 16 KiB of shared memory. */
  guint32 kt = 1;
  while (kt * 2 <= 64 && kt * 2 * D * 2 * sizeof (float) <= 16384)
    kt *= 2;
  guint32 wg = 64;
  guint32 spec[] = { wg, D, kt };
  return se_ops_dispatch (gpu, VARIANT (SE_SHADER_ATTENTION, act16), spec, G_N_ELEMENTS (spec), bind, 4, &push, sizeof push,
                          (Lq + wg - 1) / wg, heads, (guint32) q->shape[0], error);
}

gboolean
se_op_attention_probs (SeGpu *gpu, const SeTensor *q, const SeTensor *k, guint heads, SeTensor *probs,
                       GError **error)
{
  return se_op_attention_probs_cols (gpu, q, (SeAttnInput) { k, 0 }, heads, probs, error);
}

gboolean
se_op_attention_probs_cols (SeGpu *gpu, const SeTensor *q, SeAttnInput ki, guint heads, SeTensor *probs,
                            GError **error)
{
  const SeTensor *k = ki.t;
  if (q->ndim != 3 || k->ndim != 3 || probs->ndim != 3 || k->shape[0] != q->shape[0] ||
      ki.col + q->shape[2] > k->shape[2] || heads == 0 || q->shape[2] % heads != 0 ||
      probs->shape[0] != q->shape[0] || probs->shape[1] != q->shape[1] || probs->shape[2] != k->shape[1]) {
    g_autofree char *s = se_ops_shapes ("q", q, "k", k);
    return se_ops_invalid (error, "attention_probs", "expected q [B, Lq, H*D], k [B, Lk, >= H*D] (from column "
                           "%u), probs [B, Lq, Lk], %u heads: %s", ki.col, heads, s);
  }
  if (k->shape[1] > 512)
    return se_ops_invalid (error, "attention_probs", "%" G_GINT64_FORMAT " keys; at most 512", k->shape[1]);
  gboolean act16;
  if (!se_ops_activations ("attention_probs", error, &act16, q, k, NULL, NULL) ||
      !se_ops_all_f32 ("attention_probs", error, probs, NULL, NULL, NULL))
    return FALSE;
  guint32 D = (guint32) q->shape[2] / heads;
  struct {
    guint32 lq, lk, heads;
    float scale;
    guint32 k_off, k_row;
  } push = { (guint32) q->shape[1], (guint32) k->shape[1], heads, (float) (1.0 / sqrt ((double) D)),
             ki.col, (guint32) k->shape[2] };
  guint32 spec[] = { D };
  SeBinding bind[] = { BIND_R (q), BIND_R (k), BIND_W (probs) };
  return se_ops_dispatch (gpu, VARIANT (SE_SHADER_ATTENTION_PROBS, act16), spec, 1, bind, 3, &push, sizeof push,
                          push.lq, (guint32) q->shape[0], 1, error);
}

enum { EW_ADD, EW_MUL, EW_SCALE, EW_SILU, EW_GELU, EW_QUICK_GELU };

static gboolean
elementwise (SeGpu *gpu, const char *name, guint op, const SeTensor *a, const SeTensor *b,
             float alpha, SeTensor *out, GError **error)
{
  if (!se_ops_same_shape (a, out)) {
    g_autofree char *s = se_ops_shapes ("a", a, "out", out);
    return se_ops_invalid (error, name, "out must match a: %s", s);
  }
  gboolean act16;
  if (!se_ops_activations (name, error, &act16, a, b, out, NULL))
    return FALSE;
  guint32 div = 1, mod = (guint32) a->numel;
  if (b && !se_ops_same_shape (a, b)) {
    gboolean leading = b->ndim < a->ndim, trailing = b->ndim < a->ndim;
    for (guint i = 0; i < b->ndim && b->ndim < a->ndim; i++) {
      leading = leading && b->shape[i] == a->shape[i];
      trailing = trailing && b->shape[i] == a->shape[a->ndim - b->ndim + i];
    }
    if (leading) {
      div = (guint32) se_tensor_inner (a, b->ndim);
      mod = (guint32) b->numel;
    } else if (trailing) {
      mod = (guint32) b->numel;
    } else {
      g_autofree char *s = se_ops_shapes ("a", a, "b", b);
      return se_ops_invalid (error, name, "b must match a, its leading or its trailing dimensions: %s", s);
    }
  }
  struct {
    guint32 n, op, div, mod;
    float alpha;
  } push = { (guint32) a->numel, op, div, mod, alpha };
  SeBinding bind[] = { BIND_R (a), BIND_R (b ? b : a), BIND_W (out) };
  return se_ops_dispatch_1d (gpu, VARIANT (SE_SHADER_ELEMENTWISE, act16), bind, 3, &push, sizeof push, a->numel,
                             ELEMENTWISE_WG, error);
}

gboolean
se_op_copy (SeGpu *gpu, const SeTensor *x, SeTensor *out, GError **error)
{
  return elementwise (gpu, "copy", EW_SCALE, x, NULL, 1.0f, out, error);
}

SeTensor *
se_op_clone (SeGpu *gpu, const SeTensor *x, GError **error)
{
  g_autoptr (SeTensor) copy = se_tensor_new_typed (gpu, x->dtype, x->ndim, x->shape, error);
  if (copy == NULL || !se_op_copy (gpu, x, copy, error))
    return NULL;
  return g_steal_pointer (&copy);
}

SeTensor *
se_op_cast (SeGpu *gpu, const SeTensor *x, SeDType dtype, GError **error)
{
  if (x->dtype == dtype)
    return se_op_clone (gpu, x, error);
  g_autoptr (SeTensor) out = se_tensor_new_typed (gpu, dtype, x->ndim, x->shape, error);
  if (out == NULL)
    return NULL;
  guint32 push = (guint32) x->numel;
  SeBinding bind[] = { BIND_R (x), BIND_W (out) };
  guint flags = (x->dtype == SE_DTYPE_F16 ? 1 : 0) | (dtype == SE_DTYPE_F16 ? 2 : 0);
  if (!se_ops_dispatch_1d (gpu, VARIANT (SE_SHADER_CAST, flags), bind, 2, &push, sizeof push, x->numel, ELEMENTWISE_WG,
                           error))
    return NULL;
  return g_steal_pointer (&out);
}

gboolean se_op_add (SeGpu *g, const SeTensor *a, const SeTensor *b, SeTensor *o, GError **e)
{ return elementwise (g, "add", EW_ADD, a, b, 0.0f, o, e); }
gboolean se_op_mul (SeGpu *g, const SeTensor *a, const SeTensor *b, SeTensor *o, GError **e)
{ return elementwise (g, "mul", EW_MUL, a, b, 0.0f, o, e); }
gboolean se_op_scale (SeGpu *g, const SeTensor *a, float alpha, SeTensor *o, GError **e)
{ return elementwise (g, "scale", EW_SCALE, a, NULL, alpha, o, e); }
gboolean se_op_silu (SeGpu *g, const SeTensor *x, SeTensor *o, GError **e)
{ return elementwise (g, "silu", EW_SILU, x, NULL, 0.0f, o, e); }
gboolean se_op_gelu (SeGpu *g, const SeTensor *x, SeTensor *o, GError **e)
{ return elementwise (g, "gelu", EW_GELU, x, NULL, 0.0f, o, e); }
gboolean se_op_quick_gelu (SeGpu *g, const SeTensor *x, SeTensor *o, GError **e)
{ return elementwise (g, "quick_gelu", EW_QUICK_GELU, x, NULL, 0.0f, o, e); }

gboolean
se_op_geglu (SeGpu *gpu, const SeTensor *x, SeTensor *out, GError **error)
{
  gint64 N2 = x->shape[x->ndim - 1], N = N2 / 2;
  gboolean ok = N2 % 2 == 0 && out->ndim == x->ndim && out->shape[out->ndim - 1] == N;
  for (guint i = 0; ok && i + 1 < x->ndim; i++)
    ok = out->shape[i] == x->shape[i];
  if (!ok) {
    g_autofree char *s = se_ops_shapes ("x", x, "out", out);
    return se_ops_invalid (error, "geglu", "expected x [..., 2N] and out [..., N]: %s", s);
  }
  gboolean act16;
  if (!se_ops_activations ("geglu", error, &act16, x, out, NULL, NULL))
    return FALSE;
  struct {
    guint32 total, N;
  } push = { (guint32) out->numel, (guint32) N };
  SeBinding bind[] = { BIND_R (x), BIND_W (out) };
  return se_ops_dispatch_1d (gpu, VARIANT (SE_SHADER_GEGLU, act16), bind, 2, &push, sizeof push, out->numel,
                             ELEMENTWISE_WG, error);
}

gboolean
se_op_upsample_nearest2x (SeGpu *gpu, const SeTensor *x, SeTensor *out, GError **error)
{
  if (x->ndim != 4 || out->ndim != 4 || out->shape[0] != x->shape[0] ||
      out->shape[1] != x->shape[1] || out->shape[2] != 2 * x->shape[2] ||
      out->shape[3] != 2 * x->shape[3]) {
    g_autofree char *s = se_ops_shapes ("x", x, "out", out);
    return se_ops_invalid (error, "upsample", "expected out [B, C, 2H, 2W]: %s", s);
  }
  gboolean act16;
  if (!se_ops_activations ("upsample", error, &act16, x, out, NULL, NULL))
    return FALSE;
  struct {
    guint32 planes, h, w;
  } push = { (guint32) (x->shape[0] * x->shape[1]), (guint32) x->shape[2], (guint32) x->shape[3] };
  SeBinding bind[] = { BIND_R (x), BIND_W (out) };
  return se_ops_dispatch_1d (gpu, VARIANT (SE_SHADER_UPSAMPLE_NEAREST, act16), bind, 2, &push, sizeof push, out->numel,
                             ELEMENTWISE_WG, error);
}

gboolean
se_op_timestep_embedding (SeGpu *gpu, const SeTensor *t, gboolean flip, float shift,
                          SeTensor *out, GError **error)
{
  if (t->ndim != 1 || out->ndim != 2 || out->shape[0] != t->shape[0] || out->shape[1] < 2) {
    g_autofree char *s = se_ops_shapes ("t", t, "out", out);
    return se_ops_invalid (error, "timestep_embedding", "expected t [B] and out [B, dim]: %s", s);
  }
  if (!se_ops_all_f32 ("timestep_embedding", error, t, out, NULL, NULL))
    return FALSE;
  struct {
    guint32 B, dim, flip;
    float shift, log_max_period;
  } push = { (guint32) t->shape[0], (guint32) out->shape[1], flip ? 1 : 0, shift,
             (float) log (10000.0) };
  SeBinding bind[] = { BIND_R (t), BIND_W (out) };
  return se_ops_dispatch_1d (gpu, SE_SHADER_TIMESTEP_EMBEDDING, bind, 2, &push, sizeof push, out->numel,
                             64, error);
}
