#!/bin/bash
# device-run.sh: the GPU checks and measurements in one run on a lent GPU
# machine (the device tool), from what device-prep.sh packed into .device/.
# Results under $OUT (the tool brings back at most 8 files):
#   checks.log   the machine, then correctness on its GPU: the runtime; the
#                operators and fast kernels against their double-precision
#                references; the coopmat family forced (its self-check, each
#                block shape, the goldens, the VAE in fp16); the network
#                goldens and whole
#                LEDITS runs with fp16 and fp32 activations; replayed
#                evaluations against freshly recorded ones (the session test)
#   tuning.json  the coopmat tuning table the sweep chose (tests/bench/
#                tuning.py from bench-ops' rows); the coopmat checks run
#                again with it, and every figure after them uses it
#   bench.log    bench-ops (the sweep: every family and coopmat block),
#                bench-nets (the device's default family, then tiled, and
#                the VAE in fp16),
#                bench-ledits with cold then warm caches, bench-load, and a
#                UNet evaluation's device time per operator kind
#   results.tar.gz  the same rows, machine-readable (ops.json nets.json
#                nets-tiled.json nets-vae-fp16.json ledits-cold.json
#                ledits.json load.json), and
#                PyTorch + diffusers on the same GPU (anchor.json from
#                anchor_perf.py, eager; anchor-graph.json, CUDA graphs)
#   summary.txt  each step's outcome and time, also printed last
# Each step runs under its own time limit, taken from what is left of
# SE_DEVICE_BUDGET seconds (default 450, so that a rerun fits the lease):
# a step that hangs costs its own limit, and the summary still comes back.
# SE_DEVICE_QUICK=1 runs every step at toy sizes, to try the script on
# lavapipe before a lease.
set -u
root=$(pwd)
out=${OUT:?"device-run: OUT must name the folder for the results"}
budget=${SE_DEVICE_BUDGET:-450}
quick=${SE_DEVICE_QUICK:-0}
work=/tmp/se-device
[ -f .device/programs.tar.gz ] || { echo "device-run: no .device/programs.tar.gz: run tests/bench/device-prep.sh and carry .device" >&2; exit 2; }
rm -rf "$work" && mkdir -p "$work" && tar -xzf .device/programs.tar.gz -C "$work" || exit 2
export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$icd" ]; then
  export VK_DRIVER_FILES=$icd
fi
# no validation layer there; the tests' reference data is the packed part
export SE_VULKAN_VALIDATION=0 SE_REFERENCE_DIR="$root/.device/reference"
bin=$work/bin
tokenizer=$SE_REFERENCE_DIR/tiny-sd/tokenizer
summary=$out/summary.txt
: > "$summary"

# step LOG LIMIT NAME COMMAND...: runs COMMAND with its output appended to
# $out/LOG, under LIMIT seconds or what is left of the budget if less.
step () {
  local log=$1 limit=$2 name=$3 left=$((budget - SECONDS)) rc status start
  shift 3
  if [ "$left" -lt 15 ]; then
    printf '%-60s not run: the budget is spent\n' "$name" >> "$summary"
    return
  fi
  [ "$quick" = 1 ] && limit=$((limit * 4))     # lavapipe runs the checks far slower
  [ "$limit" -le "$left" ] || limit=$left
  printf '\n==== %s (limit %s s)\n' "$name" "$limit" >> "$out/$log"
  start=$SECONDS
  timeout -k 5 "$limit" "$@" >> "$out/$log" 2>&1
  rc=$?
  case $rc in
    0) status=ok ;;
    124|137) status="TIMED OUT" ;;
    *) status="FAILED (exit $rc)" ;;
  esac
  printf '%-60s %-18s %4d s\n' "$name" "$status" $((SECONDS - start)) | tee -a "$summary"
}

{
  date -u
  uname -srm
  nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv 2>&1 || true
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH VK_DRIVER_FILES=${VK_DRIVER_FILES:-}"
} > "$out/checks.log"

# the cases a test program holds (GLib's -l lists their paths), one step
# each, so that one failure does not hide the rest
cases () {
  "$bin/$1" -l | sed -n 's|^/.*/||p'
}

# Correctness first: figures from kernels that compute wrongly mean nothing.
# (Without the validation layer there, as on the H200, its case cannot run.)
skip=()
ls /usr/share/vulkan/explicit_layer.d/*validation* /etc/vulkan/explicit_layer.d/*validation* \
  > /dev/null 2>&1 || skip=(-s /gpu/validation-reports-are-counted)
step checks.log 60 "runtime" "$bin/test-runtime" "${skip[@]}"
step checks.log 60 "coopmat self-check" "$bin/test-coopmat-check"
step checks.log 30 "coopmat tuning tables" "$bin/test-tuning"
# coopmat_checks SUFFIX BLOCK...: the coopmat family forced, fp16 activations
coopmat_checks () {
  for block in "${@:2}"; do
    step checks.log 60 "fast kernels fp16_activations (coopmat${block:+, block $block})$1" \
      env SE_KERNELS=coopmat SE_COOPMAT_BLOCK="$block" "$bin/test-fast-kernels" fp16_activations
  done
  for net in text_encoder unet ledits; do
    step checks.log 90 "golden $net (coopmat, fp16 activations)$1" \
      env SE_KERNELS=coopmat SE_PRECISION=fp16 "$bin/test-$net"
  done
  step checks.log 60 "golden vae (coopmat, fp16 VAE)$1" \
    env SE_KERNELS=coopmat SE_PRECISION=fp16 SE_VAE_PRECISION=fp16 "$bin/test-vae"
}
coopmat_checks "" 0 1 2 ""
for name in $(cases test-fast-kernels); do
  step checks.log 60 "fast kernels $name" "$bin/test-fast-kernels" "$name"
  step checks.log 60 "fast kernels $name (reference kernels)" env SE_KERNELS=reference "$bin/test-fast-kernels" "$name"
done
for name in $(cases test-ops); do
  step checks.log 60 "op $name" "$bin/test-ops" "$name"
done
for precision in fp16 fp32; do
  for net in text_encoder unet vae ledits; do
    step checks.log 90 "golden $net ($precision activations)" env SE_PRECISION=$precision "$bin/test-$net"
  done
done
step checks.log 120 "session: replay = recording, re-edit, cancel" "$bin/test-session"
for name in $(cases test-step-kernels); do
  step checks.log 60 "ledits step kernels $name" "$bin/test-step-kernels" "$name"
done

# Then the figures, SD 1.5's shapes with random fp16 weights (issue 10's table),
# their rows into $res, packed into results.tar.gz at the end.
res=$work/results
mkdir -p "$res"
if [ "$quick" = 1 ]; then     # the tiny model: SD 1.5's shapes take minutes on lavapipe
  size=64 batches=1,2 reps=1 ops=(--seconds 0.02 --only 77x768) pre=64
  model=(--model "$SE_REFERENCE_DIR/tiny-sd" --tokenizer "$tokenizer")
  ledits=(--steps 6 --skip 2 --preview-steps 4 --pp-steps 6 --pp-skip 2 "${model[@]}")
else
  size=512 batches=1,2,4 reps=10 ops=(--seconds 0.5) pre=256
  model=() ledits=(--tokenizer "$tokenizer")
fi
step bench.log 150 "bench-ops: every family, each coopmat block (the sweep)" \
  "$bin/bench-ops" "${ops[@]}" --json "$res/ops.json"
if python3 "$root/tests/bench/tuning.py" "$res/ops.json" > "$out/tuning.json" 2>> "$out/bench.log"; then
  export SE_TUNING=$out/tuning.json
  coopmat_checks " with tuning.json" ""
else
  rm -f "$out/tuning.json"
  printf '%-60s not made: no sweep rows\n' "tuning.json" | tee -a "$summary"
fi
step bench.log 120 "bench-nets ${size}px, batch $batches" \
  "$bin/bench-nets" --size $size --batch $batches --reps $reps "${model[@]}" --json "$res/nets.json"
step bench.log 60 "bench-nets ${size}px, batch 2, UNet, tiled kernels" \
  env SE_KERNELS=tiled "$bin/bench-nets" --size $size --batch 2 --reps $reps --only unet "${model[@]}" \
  --json "$res/nets-tiled.json"
step bench.log 60 "bench-nets ${size}px, batch 1, VAE in fp16 (SE_VAE_PRECISION)" \
  env SE_VAE_PRECISION=fp16 "$bin/bench-nets" --size $size --batch 1 --reps $reps --only vae "${model[@]}" \
  --json "$res/nets-vae-fp16.json"
step bench.log 60 "bench-nets UNet batch 2, time per operator kind" \
  env SE_VULKAN_PROFILE=1 "$bin/bench-nets" --size $size --batch 2 --reps 3 --only unet "${model[@]}"
# cold caches (ours and the driver's), then warm: the first edit's two costs
step bench.log 180 "bench-ledits ${size}px (LEDITS, preview, LEDITS++), cold caches" \
  "$bin/bench-ledits" --size $size --preview-size $pre "${ledits[@]}" --cache-dir "$work/cache" \
  --json "$res/ledits-cold.json"
step bench.log 90 "bench-ledits ${size}px (LEDITS), warm caches" \
  "$bin/bench-ledits" --size $size --preview-size 0 --pp-steps 0 "${ledits[@]}" --cache-dir "$work/cache" \
  --json "$res/ledits.json"
if [ -f .device/anchor.tar.gz ] && [ "$quick" != 1 ]; then
  tar -xzf .device/anchor.tar.gz -C "$work"
  cat "$work/anchor/VERSION" >> "$out/bench.log"
  step bench.log 200 "anchor: PyTorch + diffusers (anchor_perf.py)" \
    sh -c "PYTHONPATH='$work/anchor/src' PYTHONUNBUFFERED=1 python3 '$work/anchor/anchor_perf.py' > '$res/anchor.json'"
  step bench.log 150 "anchor: PyTorch + diffusers, CUDA graphs (anchor_graph.py)" \
    sh -c "PYTHONPATH='$work/anchor/src' PYTHONUNBUFFERED=1 python3 '$work/anchor/anchor_graph.py' > '$res/anchor-graph.json'"
else
  printf '%-60s not run: no .device/anchor.tar.gz (or a quick run)\n' "anchor" | tee -a "$summary"
fi
step bench.log 90 "bench-load: SD 1.5-shaped fp16 single file" \
  "$bin/bench-load" --reference "$SE_REFERENCE_DIR" --out "$work/sd15.safetensors" --json "$res/load.json"
rm -f "$work/sd15.safetensors"
tar -czf "$out/results.tar.gz" -C "$res" .

echo
echo "== $(grep -c ' ok ' "$summary") steps ok of $(wc -l < "$summary"), $SECONDS s; results in \$OUT"
cat "$summary"
grep -h -E '^(device|unet|vae|clip|text)|whole edit|re-edit|peak|inversion|edit \+ decode|load' "$out/bench.log" 2>/dev/null | head -60
