// common.glsl: helpers shared by the compute shaders.
//
// Long 1-D work is dispatched on a 2-D grid (maxComputeWorkGroupCount[0] is
// 65535 on lavapipe); linear_group() folds it back to one index.

uint linear_group ()
{
  return gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
}

uint linear_invocation ()
{
  return linear_group () * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
}

// erf with Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
float se_erf (float x)
{
  float s = sign (x);
  float a = abs (x);
  float t = 1.0 / (1.0 + 0.3275911 * a);
  float y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t
                   - 0.284496736) * t + 0.254829592) * t * exp (-a * a);
  return s * y;
}

float se_gelu (float x)
{
  return 0.5 * x * (1.0 + se_erf (x * 0.70710678118654752));
}

float se_silu (float x)
{
  return x / (1.0 + exp (-x));
}
