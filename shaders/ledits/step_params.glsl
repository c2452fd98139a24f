// step_params.glsl: one LEDITS or LEDITS++ step's coefficients
// (SeStepParams in plug-in/engine/ledits/step-ops.h, the same layout),
// uploaded by the host before each step; include with STEP_PARAMS_BINDING
// defined.
//
// The update of a latent x with the guided noise prediction e, for DDPM
// (LEDITS) and the second-order SDE DPM-Solver++ (LEDITS++) alike:
//   x0 = x0_x x - x0_e e                                  (the data prediction)
//   x' = mu_x x + mu_x0 x0 + mu_e e + mu_d (x0 - x0_prev) + mu_z z
// with the step's noise map z: DDPM has mu_x = mu_d = 0, the solver mu_e = 0.

// how the inversion's last step ends (StepParams.last)
#define LAST_NOT 0u
#define LAST_MEAN 1u    // DDPM: the mean is the reconstruction, the map zero
#define LAST_DATA 2u    // the solver: x0 is the reconstruction, the map zero

// StepConcept.flags (LEDITS++'s masks)
#define MASK_ATTENTION 1u
#define MASK_NOISE 2u
#define MASK_ACTIVE 4u  // the concept guides this step (else its mask is empty)

struct StepConcept {
  float scale;          // the concept's scale, negative when reversed; 0: no guidance this step
  float direct;         // SEGA: weight of its guidance in e itself (some concepts still warming up)
  float edit_weight;    // SEGA: weight in the momentum's edit term
  float q_w;            // its threshold's quantile over a latent channel (SEGA) or the
  uint q_lo;            //   positions (LEDITS++' noise mask): order statistic q_lo, lerp weight q_w
  uint map_q_lo;        // LEDITS++: the same over the attention map's positions
  float map_q_w;
  uint tokens;          // LEDITS++: the prompt tokens its attention map sums
  uint flags;           // LEDITS++: MASK_*
  uint pad0, pad1, pad2;
};

layout (std430, binding = STEP_PARAMS_BINDING) readonly buffer StepParams {
  float x0_x, x0_e, mu_x, mu_x0, mu_e, mu_d, mu_z;
  float cfg;            // guidance on the target prompt (edit) or the source prompt (inversion)
  float mom_scale, mom_beta;
  float add_edit;       // 1: the edit term joins e (every concept past its warm-up)
  uint src_offset;      // the sample's place in each candidate's latents (fill)
  uint z_offset;        // this step's noise map in each candidate's (edit), or x_{t-1}'s index (inversion)
  uint last;            // inversion: LAST_*
  StepConcept concept[];  // one per concept of the recipe
} sp;

// Infinity or NaN: every exponent bit set (a test no fast-math can drop).
bool se_not_finite (float v)
{
  return (floatBitsToUint (v) & 0x7f800000u) == 0x7f800000u;
}
