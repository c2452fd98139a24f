#!/bin/sh
# device-prep.sh: packs into .device/ (git ignores it) what device-run.sh
# needs on a lent GPU machine (the device tool), where nothing can be built,
# installed or fetched and ../shared does not travel:
#   programs.tar.gz  the benchmarks and GPU checks built here, stripped (the
#                    engine embeds its SPIR-V), with the shared libraries
#                    they need beyond glibc, the Vulkan loader among them
#   reference/       the part of ../shared/reference the checks and
#                    bench-load read (not LEDITS++'s goldens: 47 MB)
#   anchor.tar.gz    ../shared/tools/anchor_perf.py and anchor_graph.py (eager
#                    and CUDA graphs) and diffusers' source, their PyTorch
#                    side, when DIFFUSERS_GIT names a diffusers git directory
#                    (the search tool's fetch of huggingface/diffusers)
# Then one device call, from the project root:
#   run (command "tests/bench/device-run.sh", carry [".device"], timeout_s 560)
# Usage: tests/bench/device-prep.sh [BUILD_DIR]   (default: build)
set -eu
cd "$(dirname "$0")/../.."
build=${1:-build}
ref=${SE_REFERENCE_DIR:-../shared/reference}
tools=${SE_TOOLS_DIR:-$(dirname "$ref")/tools}
programs="tests/bench/bench-nets tests/bench/bench-ledits tests/bench/bench-load tests/bench/bench-ops
          tests/gpu/test-runtime tests/gpu/test-coopmat-check tests/gpu/test-tuning tests/ops/test-ops tests/ops/test-fast-kernels tests/ledits/test-session
          tests/ledits/test-step-kernels
          tests/golden/test-text_encoder tests/golden/test-unet tests/golden/test-vae tests/golden/test-ledits"

[ -d "$ref/tiny-sd" ] || { echo "device-prep: no reference data at $ref (SE_REFERENCE_DIR)" >&2; exit 1; }
# shellcheck disable=SC2086 # word splitting of the list is meant
ninja -C "$build" $programs
pack=$(mktemp -d)
trap 'rm -rf "$pack"' EXIT
rm -rf .device
mkdir -p .device/reference "$pack/bin" "$pack/lib"
for p in $programs; do
  cp "$build/$p" "$pack/bin/"
done
strip "$pack"/bin/*
# every library the programs load except glibc's own (the machine has a newer glibc)
ldd "$pack"/bin/* | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
  grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*)\.so' |
  while read -r lib; do cp -L "$lib" "$pack/lib/"; done
[ -f "$pack/lib/libvulkan.so.1" ] || { echo "device-prep: the programs do not link libvulkan.so.1" >&2; exit 1; }
tar -czf .device/programs.tar.gz -C "$pack" bin lib

cp -r "$ref/tiny-sd" "$ref/tiny-sd-fp16.safetensors" .device/reference/
for f in text_encoder unet vae ledits_prompt_edit ledits_reconstruct ledits_edit; do
  cp "$ref/$f.safetensors" .device/reference/
done
cp "$ref"/*.json .device/reference/

if [ -n "${DIFFUSERS_GIT:-}" ]; then
  mkdir -p "$pack/anchor"
  cp "$tools/anchor_perf.py" "$tools/anchor_graph.py" "$pack/anchor/"
  git -C "$DIFFUSERS_GIT" archive HEAD src/diffusers | tar -x -C "$pack/anchor"
  git -C "$DIFFUSERS_GIT" log -1 --format='diffusers %H (%cs)' > "$pack/anchor/VERSION"
  tar -czf .device/anchor.tar.gz -C "$pack" anchor
else
  echo "device-prep: DIFFUSERS_GIT unset: the run will not measure PyTorch's anchor" >&2
fi
du -sh .device .device/* >&2
