// step_eps.glsl: a step kernel's reads of the UNet's predictions, each
// checked: a value that is infinite or NaN sets the report's status words
// ([0] = 1, [1] = its bits).  The includer declares the uint array
// `report` first.
layout (std430, binding = 0) readonly buffer Eps { ACT eps[]; };

float load_eps (uint at)
{
  float v = float (eps[at]);
  if (se_not_finite (v)) {
    report[1] = floatBitsToUint (v);
    report[0] = 1u;
  }
  return v;
}
