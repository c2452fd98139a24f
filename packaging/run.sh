#!/bin/sh
# The main job: install dependencies, build, and run a Semantic Edit on a
# photo with the command-line tool.
#   ./packaging/run.sh [IMAGE] [semantic-edit options...]
# SE_MODEL=PATH picks your Stable Diffusion 1.x model (diffusers folder or
# single .safetensors).  Without it the tiny random-weight reference model in
# ../shared/reference is used, and the result is noise, not an edit.
set -eu
cd "$(dirname "$0")/.."
./packaging/build.sh
reference=../shared/reference
image=${1:-$reference/ledits_edit.safetensors}
[ $# -gt 0 ] && shift
if [ -n "${SE_MODEL:-}" ]; then
  model=$SE_MODEL
else
  model=$reference/tiny-sd
  echo "SE_MODEL is not set: using the tiny RANDOM-WEIGHT test model ($model)."
  echo "Its output is noise; set SE_MODEL to real SD 1.x weights for a real edit."
fi
./build/plug-in/cli/semantic-edit --model "$model" --input "$image" --output semantic-edit-result.png \
  --source "a photo of a cat" --concept "wearing glasses" --steps 20 "$@"
echo "wrote semantic-edit-result.png"
