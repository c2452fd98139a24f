// packed.glsl: fp16 operands read 16 bytes at a time.  Four halves are
// stored as a uvec2 and converted with unpackHalf2x16 / packHalf2x16, which
// need no optional device feature.

vec4 se_unpack4 (uvec2 u)
{
  return vec4 (unpackHalf2x16 (u.x), unpackHalf2x16 (u.y));
}

uvec2 se_pack4 (vec4 v)
{
  return uvec2 (packHalf2x16 (v.xy), packHalf2x16 (v.zw));
}
