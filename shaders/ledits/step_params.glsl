// step_params.glsl: one LEDITS step's coefficients (SeStepParams in
// plug-in/engine/ledits/step-ops.h, the same layout), uploaded by the host
// before each step; include with STEP_PARAMS_BINDING defined.
//
// The update of a latent x with the guided prediction e:
//   x0 = x0_x x - x0_e e                      (the clean estimate)
//   x' = mu_x0 x0 + mu_e e + mu_z z           (DDPM's posterior mean and noise)
struct StepConcept {
  float scale;          // SEGA's scale, negative when reversed; 0: no guidance this step
  float direct;         // weight of its guidance in e itself (some concepts still warming up)
  float edit_weight;    // weight in the momentum's edit term
  float q_w;            // its threshold's quantile: order statistic q_lo, lerp weight q_w
  uint q_lo;
  uint pad0, pad1, pad2;
};

layout (std430, binding = STEP_PARAMS_BINDING) readonly buffer StepParams {
  float x0_x, x0_e, mu_x0, mu_e, mu_z;
  float cfg;            // guidance on the target prompt (edit) or the source prompt (inversion)
  float mom_scale, mom_beta;
  float add_edit;       // 1: the edit term joins e (every concept past its warm-up)
  uint src_offset;      // the sample's place in each candidate's latents (fill)
  uint z_offset;        // this step's noise map in each candidate's (edit), or xt's index (inversion)
  uint last;            // inversion: the last step (writes the reconstruction, a zero noise map)
  StepConcept concept[];  // one per concept of the recipe
} sp;

// Infinity or NaN: every exponent bit set (a test no fast-math can drop).
bool se_not_finite (float v)
{
  return (floatBitsToUint (v) & 0x7f800000u) == 0x7f800000u;
}
