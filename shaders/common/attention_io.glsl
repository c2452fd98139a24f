// attention_io.glsl: attention.comp's bindings and push constants, shared
// by the flash-attention kernels (attention_tiled.comp,
// attention_coopmat.comp).  Row strides, batch strides and offsets are in
// elements; head h of a row is its elements h D .. h D + D - 1.
layout (std430, binding = 0) readonly buffer BufQ { ACT q[]; };
layout (std430, binding = 1) readonly buffer BufK { ACT k[]; };
layout (std430, binding = 2) readonly buffer BufV { ACT v[]; };
layout (std430, binding = 3) writeonly buffer BufO { ACT o[]; };

layout (push_constant) uniform Push {
  uint lq, lk;
  uint q_off, q_row, q_batch;
  uint k_off, k_row, k_batch;
  uint v_off, v_row, v_batch;
  uint o_off, o_row, o_batch;
  float scale;
  uint causal;
} p;

const float LOWEST = -3.402823466e38;
