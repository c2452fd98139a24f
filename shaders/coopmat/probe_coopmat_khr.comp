#version 450
// Compiled at configure time (meson.build): whether this glslang knows
// GL_KHR_cooperative_matrix.
#extension GL_KHR_memory_scope_semantics : require
#extension GL_KHR_cooperative_matrix : require
layout (local_size_x = 32) in;
void main () { coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> c = coopmat<float, gl_ScopeSubgroup, 16, 16, gl_MatrixUseAccumulator> (0.0); }
