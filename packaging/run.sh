#!/bin/sh
# The main job at this stage of the project: builds the engine and measures
# every operator at Stable Diffusion 1.5 shapes on the best Vulkan device
# (SE_VULKAN_DEVICE picks another).  The GIMP filter and the command-line
# editor build on this engine (see README, "Status").
set -eu
cd "$(dirname "$0")/.."
./packaging/build.sh
./build/tests/bench/bench-ops --seconds "${SE_BENCH_SECONDS:-1}" "$@"
