// subgroup.glsl: what the register-blocked "subgroup" kernels share.
//
// Why these kernels exist: on CPU devices (lavapipe) a workgroup's
// invocations run as SIMD lanes, every memory access whose address differs
// per lane becomes a loop over the lanes, and shared memory is ordinary
// memory.  What is cheap there is arithmetic on whole lane vectors and
// shuffles between the lanes of one subgroup (one vector permute).  So each
// lane loads 16 bytes at a time (a vec4, or four packed halves), keeps a
// block of outputs in registers, and takes the operand that all lanes need
// from the lane that loaded it with subgroupShuffle, instead of every lane
// loading it.  One workgroup is one subgroup (spec constant 0, SG).
//
// Packed fp16 operands: packed.glsl.

#extension GL_KHR_shader_subgroup_basic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_EXT_control_flow_attributes : require
#include "packed.glsl"

layout (local_size_x_id = 0) in;
layout (constant_id = 0) const uint SG = 8;
