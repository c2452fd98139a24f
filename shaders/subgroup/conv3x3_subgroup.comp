#version 450
// conv3x3_subgroup.comp: 3x3 convolution, stride 1 or 2, register-blocked
// across one subgroup (see subgroup.glsl); the layer may be one channel part
// of a wider layer, as conv2d.comp.
//
// bindings: 0 input [B, C, H, W], 1 weight packed [O_all, C_all, 3, 4]
//           (each kernel row padded to four, one vec4 or four halves),
//           2 bias, 3 residual (read; may be the output itself), 4 output
//           [B, O, OH, OW]
// spec:     0 SG; 1 R output channels per workgroup (a multiple of SG);
//           2 STRIDE (1 or 2); 3 PAD, the zeros above and left (0 or 1;
//           those below and right follow from OH, OW: reads outside the
//           input are zero); 4 GATHER (below)
// push:     shapes; weight row (C_all * 12) and offset of this part, in
//           elements; bias mode (0 none, 1 per channel), offset and batch
//           stride (per-sample bias: a time embedding folded in); residual
// math:     lane l of workgroup (x, y, b) owns output pixels 4 (x SG + l) ..
//           + 3 (one row: OW % 4 == 0) for channels y R .. y R + R - 1.  Per
//           input channel and kernel row it loads the three input vec4s that
//           cover its pixels' windows (W % 4 == 0) and R / SG weight rows,
//           and takes every channel's weights from the lane that loaded them
//           by shuffle.  fp32 accumulation.
//           GATHER: rows that are not whole vec4s (W or OW % 4), as at
//           the UNet's deepest level of a 512x320 image (8x5): a lane owns
//           any four consecutive output pixels of a channel (the last
//           lane fewer), reads their windows and stores them element by
//           element.  Such layers are small and bound by their weights,
//           which load as before.
#extension GL_GOOGLE_include_directive : require
#include "activations.glsl"
#include "subgroup.glsl"

layout (constant_id = 1) const uint R = 8;
layout (constant_id = 2) const uint STRIDE = 1;
layout (constant_id = 3) const uint PAD = 1;
layout (constant_id = 4) const bool GATHER = false;

#ifdef ACT_F16
layout (std430, binding = 0) readonly buffer BufX { uvec2 x4[]; };
#define LOAD_X(i) se_unpack4 (x4[i])
#else
layout (std430, binding = 0) readonly buffer BufX { vec4 x4[]; };
#define LOAD_X(i) x4[i]
#endif
#ifdef W_F16
layout (std430, binding = 1) readonly buffer BufW { uvec2 w4[]; };
#define LOAD_W(i) se_unpack4 (w4[i])
#else
layout (std430, binding = 1) readonly buffer BufW { vec4 w4[]; };
#define LOAD_W(i) w4[i]
#endif
layout (std430, binding = 2) readonly buffer BufBias { float bias[]; };
#ifdef ACT_F16
layout (std430, binding = 3) readonly buffer BufR { uvec2 r4[]; };
layout (std430, binding = 4) writeonly buffer BufO { uvec2 o4[]; };
#define LOAD_R(i) se_unpack4 (r4[i])
#define STORE_O(i, v) o4[i] = se_pack4 (v)
#else
layout (std430, binding = 3) readonly buffer BufR { vec4 r4[]; };
layout (std430, binding = 4) writeonly buffer BufO { vec4 o4[]; };
#define LOAD_R(i) r4[i]
#define STORE_O(i, v) o4[i] = v
#endif
// GATHER's views of the input, residual and output, element by element
layout (std430, binding = 0) readonly buffer BufX1 { ACT x1[]; };
layout (std430, binding = 3) readonly buffer BufR1 { ACT r1[]; };
layout (std430, binding = 4) writeonly buffer BufO1 { ACT o1[]; };

// The same push constants as conv2d.comp (kernel size, stride, padding and
// the weight's channel and row steps are fixed here).
layout (push_constant) uniform Push {
  uint C, H, W, O, OH, OW;
  uint kh, kw, stride, pad;
  uint bias_mode, bias_off, bias_stride;
  uint w_row, w_off, w_c, w_ky, residual;
} p;

// The window of input columns a lane reads starts at STRIDE x - WIN_LEFT:
// one vec4 to the left when there is left padding.
const uint WIN_LEFT = PAD > 0 ? 4 : 0;

void main ()
{
  uint lane = gl_SubgroupInvocationID;
  uint b = gl_WorkGroupID.z;
  uint q = gl_WorkGroupID.x * SG + lane;
  uint P = p.OH * p.OW;
  bool live = GATHER ? 4 * q < P : q < P / 4;
  uint y = (4 * q) / p.OW, x = (4 * q) % p.OW;
  uint o0 = gl_WorkGroupID.y * R;
  int wx = int (STRIDE * x) - int (WIN_LEFT);

  vec4 acc[R];
  [[unroll]] for (uint r = 0; r < R; r++)
    acc[r] = vec4 (0.0);

  // GATHER: the top-left input position of each of the lane's pixels' windows
  ivec2 at[4];
  [[unroll]] for (uint j = 0; j < 4; j++) {
    uint pix = min (4 * q + j, P - 1);
    at[j] = ivec2 (STRIDE * (pix % p.OW), STRIDE * (pix / p.OW)) - int (PAD);
  }

  for (uint c = 0; c < p.C; c++) {
    [[unroll]] for (uint ky = 0; ky < 3; ky++) {
      // s[kx] holds the input under tap kx for the lane's four pixels.
      // Out-of-range reads use a clamped address and are zeroed after: a
      // conditional load costs far more than a select on lavapipe.
      vec4 s[3];
      if (GATHER) {
        [[unroll]] for (uint j = 0; j < 4; j++) {
          int iy = at[j].y + int (ky);
          bool row_ok = live && iy >= 0 && iy < int (p.H);
          uint row = ((b * p.C + c) * p.H + uint (clamp (iy, 0, int (p.H) - 1))) * p.W;
          [[unroll]] for (uint kx = 0; kx < 3; kx++) {
            int ix = at[j].x + int (kx);
            float v = float (x1[row + uint (clamp (ix, 0, int (p.W) - 1))]);
            s[kx][j] = row_ok && ix >= 0 && ix < int (p.W) ? v : 0.0;
          }
        }
      } else {
        int iy = int (STRIDE * y + ky) - int (PAD);
        bool row_ok = live && iy >= 0 && iy < int (p.H);
        uint row = ((b * p.C + c) * p.H + uint (clamp (iy, 0, int (p.H) - 1))) * (p.W / 4);
        float win[12];
        [[unroll]] for (uint t = 0; t < 3; t++) {
          int ix = wx / 4 + int (t);
          vec4 v = LOAD_X (row + uint (clamp (ix, 0, int (p.W / 4) - 1)));
          v = row_ok && ix >= 0 && ix < int (p.W / 4) ? v : vec4 (0.0);
          [[unroll]] for (uint e = 0; e < 4; e++)
            win[4 * t + e] = v[e];
        }
        [[unroll]] for (uint kx = 0; kx < 3; kx++)
          [[unroll]] for (uint j = 0; j < 4; j++)
            s[kx][j] = win[WIN_LEFT - PAD + STRIDE * j + kx];
      }
      [[unroll]] for (uint i = 0; i < R / SG; i++) {
        uint o = min (o0 + SG * i + lane, p.O - 1);      // rows past O are never stored
        vec4 wv = LOAD_W ((p.w_off + o * p.w_row) / 4 + c * 3 + ky);
        [[unroll]] for (uint l = 0; l < SG; l++) {
          vec4 w = subgroupShuffle (wv, l);
          acc[SG * i + l] += w.x * s[0] + w.y * s[1] + w.z * s[2];
        }
      }
    }
  }

  if (!live)
    return;
  [[unroll]] for (uint r = 0; r < R; r++) {
    uint o = o0 + r;
    if (o >= p.O)
      continue;
    vec4 v = acc[r];
    if (p.bias_mode != 0)
      v += bias[p.bias_off + b * p.bias_stride + o];
    if (GATHER) {
      uint at_o = (b * p.O + o) * P + 4 * q;
      [[unroll]] for (uint j = 0; j < 4; j++)
        if (4 * q + j < P)
          o1[at_o + j] = ACT (v[j] + (p.residual != 0 ? float (r1[at_o + j]) : 0.0));
      continue;
    }
    uint i = ((b * p.O + o) * P + 4 * q) / 4;
    if (p.residual != 0)
      v += LOAD_R (i);
    STORE_O (i, v);
  }
}
