// activations.glsl: how a shader stores activations, included before any
// declaration.  fp32, or with ACT_F16 fp16 in 16-bit storage (the device's
// storageBuffer16BitAccess): ACT is the stored type; arithmetic stays fp32,
// values convert on load (float (x)) and store (ACT (v)).
#ifdef ACT_F16
#extension GL_EXT_shader_16bit_storage : require
#define ACT float16_t
#define ACT4 f16vec4
#else
#define ACT float
#define ACT4 vec4
#endif
