#!/bin/bash
# Every measurement for a lent GPU machine, in one prepared script (../shared/docs/TESTBED.md, "A real GPU").
# Here:   bash bench/device/pack.sh && bash bench/device/stage-assets.sh   (the second says whether the carry fits)
# There:  bash .gpu/on-gpu.sh bash bench/device/run-gpu.sh           (carry .gpu and .devassets)
# Check:  bash bench/device/smoke-gpu.sh   (every step started here as it starts there, each cut short)
# Prints each benchmark's table; full JSON and the log go to $OUT (or /tmp/insightgpu-gpu-out).
set -uo pipefail
out=${OUT:-/tmp/insightgpu-gpu-out}
mkdir -p "$out"
assets=.devassets
# Every reader of the test bed (benches, tests) takes this copy: ../shared does not exist there.
export INSIGHTGPU_SHARED="$PWD/$assets"
# SMOKE=1 (here, on SwiftShader, in a copy laid out as the GPU machine gets it) cuts every step to SMOKE_S seconds:
# a step that reaches its work and is then stopped shows rc 124, one that cannot start (a file or module that did
# not travel, a bad option) shows its error and another rc.
smoke=${SMOKE:-}
# The whole script keeps within BUDGET_S seconds (default 450: under 8 of a session's 15 device-minutes, so that
# a rerun fits): each step's own cap is cut to what is left, and a step with under 10 s left is skipped, saying so.
# The steps run in order of importance, so a spent budget costs the least useful numbers.
budget=${BUDGET_S:-450}
started=$SECONDS
step() {
  local limit=$1; shift
  local left=$((budget - (SECONDS - started)))
  if [ "$left" -lt 10 ]; then
    echo "== skipped (budget of ${budget} s spent): $*" | tee -a "$out/log.txt"
    return 0
  fi
  [ "$limit" -gt "$left" ] && limit=$left
  [ -n "$smoke" ] && [ "$limit" -gt "${SMOKE_S:-45}" ] && limit=${SMOKE_S:-45}
  echo "== [${limit} s] $*" | tee -a "$out/log.txt"
  # Dawn warns about XDG_RUNTIME_DIR once per adapter probe; the noise is dropped, everything else kept.
  timeout "$limit" "$@" 2>&1 | grep --line-buffered -v XDG_RUNTIME_DIR | tee -a "$out/log.txt"
  local rc=${PIPESTATUS[0]}
  echo "== rc $rc$([ "$rc" = 124 ] && echo ' (stopped at its time limit)')" | tee -a "$out/log.txt"
}
vulkaninfo --summary 2>/dev/null | grep -E 'deviceName|driverVersion' | head -4
# The order: the open issues' target rows first (14: the yardstick, every model, the headline pack; 15: the 1M search),
# then the rest of their rows (fp16, INSwapper, collections), then the measurements behind open decisions (tiles, the
# goldens, NCHW/NHWC, the kernel tiers), then what resolved issues already measured once. gpu-targets.ts reads them.
step 120 node --import tsx bench/node/bench-gemm.ts --size 2048,4096 --json "$out/gemm.json"
# What each model's plan records and moves (dispatches, pipelines, padded-MAC fraction, split-K scratch), from the lowering
# with the real-GPU kernel variants: seconds, no device time beyond the process.
step 60 node --import tsx bench/node/bench.ts --plan-stats --replicas .cache/replicas-device --json "$out/plan-stats.json"
# Cold starts are measured cold: NVIDIA's driver keeps compiled shaders on disk between processes (and this script
# runs several), so each WebGPU step gets the cache switched off and an empty cache folder of its own.
step ${WEBGPU_LIMIT:-300} env __GL_SHADER_DISK_CACHE=0 __GL_SHADER_DISK_CACHE_PATH="$(mktemp -d)" node --import tsx bench/node/bench.ts --backend webgpu --models-dir "$assets/models" \
  --replicas .cache/replicas-device ${PROFILE:---profile} --warmup 2 --runs 10 --json "$out/webgpu.json"
# Issue 14's headline row: get() over scrfd_2.5g + the four forged heads with det_10g's forward swapped in, fp32 and fp16,
# against the sum of its forwards; the whole pack's cold start against onnxruntime-web's (each in a fresh process, first).
if [ -z "${SKIP_BUFFALO:-}" ]; then
  step ${BUFFALO_LIMIT:-150} env __GL_SHADER_DISK_CACHE=0 __GL_SHADER_DISK_CACHE_PATH="$(mktemp -d)" node --import tsx bench/node/bench.ts --buffalo --backend webgpu \
    --replicas .cache/replicas-device --models "$assets/models" --image "$assets/images/t1.jpg" --runs 10 --json "$out/buffalo.json"
fi
# Face index (issue 15): exact top-10 over 10k/100k/1M random 512-d rows, GPU (f32, f16) against the CPU path, a plain
# dot-product loop, the bandwidth bound and hnswlib-node (absent from a trimmed tree: its columns are '-').
if [ -z "${SKIP_INDEX:-}" ]; then
  step ${INDEX_LIMIT:-300} node --import tsx bench/node/bench.ts --index --sizes 10000,100000,1000000 --runs 5 --hnsw-max 10000 --json "$out/index.json"
fi
# fp16 against fp32 (issue 14, item 6): warm latency of both on this adapter and their ratio, bytes uploaded, fp16's
# error against fp32; then the fp16 session tests, which check the CPU emulation's bound here (skipped without shader-f16).
if [ -z "${SKIP_FP16:-}" ]; then
  step ${FP16_LIMIT:-120} node --import tsx bench/node/bench-fp16.ts --models-dir "$assets/models" --replicas .cache/replicas-device --runs 10 --json "$out/fp16.json"
  step 90 node --import tsx --test tests/webgpu/fp16-session.test.ts
fi
# Face swap (issue 13): the full-size INSwapper replica (forged here, 554 MB), our WebGPU forward against onnxruntime-web's
# WebGPU EP and the whole get() against the forward alone; then the slim one on the CPU.
if [ -z "${SKIP_SWAP:-}" ]; then
  step ${SWAP_LIMIT:-180} env __GL_SHADER_DISK_CACHE=0 __GL_SHADER_DISK_CACHE_PATH="$(mktemp -d)" node --import tsx bench/node/bench.ts --swap \
    --backend webgpu --width 1024 --runs 10 --profile --json "$out/swap.json"
fi
# Collections (issue 15): one image at a time against --batch 8 --concurrency 2 on WebGPU (goal >= 2x images/s),
# NDJSON lines identical.
if [ -z "${SKIP_COLLECTION:-}" ]; then
  step ${COLLECTION_LIMIT:-150} node --import tsx bench/node/bench.ts --collection --backend webgpu --models "$assets/models" \
    --count 48 --det-size 640 --rounds 2 --json "$out/collection.json"
fi
# The tile-cost rule's constants (issue 14): every distinct GEMM problem the specialised tier gives chooseTile in the
# conv-heavy replicas, the rule's tile against its next best and the generic shapes (GPU timestamps, checked on sampled
# entries), and the grid of constants whose choices minimise the measured total; no new problem after 65 s.
if [ -z "${SKIP_TILES:-}" ]; then
  step ${TILES_LIMIT:-90} node --import tsx bench/node/bench-tiles.ts --replicas .cache/replicas-device --budget-s 65 --json "$out/tiles.json"
fi
# The goldens on the real GPU: the models folder holds packA's five files plus scrfd_500m, which sorts after
# scrfd_2.5g, so InsightFace's routing (first detector found) picks packA exactly as the goldens were made.
if [ -z "${SKIP_GOLDENS:-}" ]; then
  for s in 640 320; do
    # Each golden's own image list (the 320 one holds t1.jpg only).
    images=$(python3 -c "import json,sys;print(' '.join('$assets/images/'+r['image'] for r in json.load(open(sys.argv[1]))['results']))" "$assets/golden/packA_det$s.json")
    step 120 node --import tsx cli/main.ts analyze --models "$assets/models" --det-size ${s}x${s} --backend webgpu \
      --json "$out/analyze$s.json" --quiet $images
    step 60 node --import tsx cli/main.ts compare "$out/analyze$s.json" "$assets/golden/packA_det$s.json"
  done
fi
# NCHW against NHWC on every distinct conv layer (issue 3's layout choice): the product's kernel and its NHWC twin, tiled
# variants, GPU timestamps. After the WebGPU step, which forges the replicas into .cache/replicas-device.
if [ -z "${SKIP_LAYOUT:-}" ]; then
  step ${LAYOUT_LIMIT:-180} node --import tsx bench/node/bench-layout.ts --models-dir "$assets/models" \
    --replicas .cache/replicas-device --size 640 --json "$out/layout.json"
fi
# The generic kernels alone, warm and per step on GPU time (issue 14: the specialised tier is kept only where a GPU
# measurement shows it pays): tier-report.ts sets each model and step against the tiered run above.
if [ -z "${SKIP_GENERIC:-}" ]; then
  step ${GENERIC_LIMIT:-120} node --import tsx bench/node/bench.ts --backend webgpu --models-dir "$assets/models" \
    --replicas .cache/replicas-device --kernels generic --profile --no-peer --warmup 2 --runs 10 --json "$out/webgpu-generic.json"
fi
# Cold start with only the specialised kernels (the plan before kernel tiers), for the tiered default's saving on the same
# adapter: ours alone, each model a fresh session; warm latency is the same kernels as above.
if [ -z "${SKIP_SPECIALIZED_COLD:-}" ]; then
  step ${COLD_LIMIT:-150} env __GL_SHADER_DISK_CACHE=0 __GL_SHADER_DISK_CACHE_PATH="$(mktemp -d)" node --import tsx bench/node/bench.ts --backend webgpu --models-dir "$assets/models" \
    --replicas .cache/replicas-device --kernels specialized --no-peer --warmup 0 --runs 1 --json "$out/webgpu-specialized.json"
fi
if [ -f bench/node/bench-pipeline.ts ] && [ -z "${SKIP_PIPELINE:-}" ]; then
  # Its cold start (create + first get) counts too, so the shader disk cache is off here as well.
  step 150 env __GL_SHADER_DISK_CACHE=0 __GL_SHADER_DISK_CACHE_PATH="$(mktemp -d)" node --import tsx bench/node/bench.ts --pipeline --backend webgpu --models "$assets/models" \
    --image "$assets/images/t1.jpg" --runs 10 --json "$out/pipeline.json"
fi
# Subgroup-matrix (tensor-core) tiles for fp16 plans (issue 14, item 6): the adapter's subgroupMatrixConfigs, then fp16 on
# them against fp16 on the normal tile on the two conv-heavy replicas; then their test against fp32 (skipped without it).
if [ -z "${SKIP_SUBGROUP_MATRIX:-}" ]; then
  step ${SGMAT_LIMIT:-90} node --import tsx bench/node/bench-fp16.ts --subgroup-matrix --models w600k_r50,det_10g@640 --models-dir "$assets/models" \
    --replicas .cache/replicas-device --runs 10 --json "$out/fp16-subgroup-matrix.json"
  step 60 node --import tsx --test tests/webgpu/subgroup-matrix-gpu.test.ts
fi
# Real time (issue 16): FaceTracker over decoded frames against per-frame get() (goal >= 3x frames/s with recognition
# every 10 frames), with the carrier-only landmark setting and the detector every 1 and 3 frames.
if [ -z "${SKIP_TRACKER:-}" ]; then
  step ${TRACKER_LIMIT:-150} node --import tsx bench/node/bench.ts --tracker --backend webgpu --models-dir "$assets/models" \
    --frames 150 --detect-every 1,3 --landmarks frame,recognition --json "$out/tracker.json"
fi
# The CPU backend against onnxruntime-web's wasm build, one thread each: a quiet many-core machine gives steady
# single-thread timings (the 2-core development box does not). onnxruntime-node is not carried; its columns are '-'.
if [ -z "${SKIP_CPU:-}" ]; then
  step 240 node --import tsx bench/node/bench.ts --backend cpu --models-dir "$assets/models" --runs 9 --json "$out/cpu.json"
fi
# Issues 14 and 15's GPU targets as one table, from the JSON above (reads files only: it runs even with the budget spent).
node --import tsx bench/node/gpu-targets.ts "$out" --markdown "$out/targets.md" 2>&1 | tee -a "$out/log.txt"
# Where the specialised kernel tier pays, per model and per step (the decision input for keeping it only there).
node --import tsx bench/node/tier-report.ts "$out" --markdown "$out/tiers.md" 2>&1 | tee -a "$out/log.txt"
echo "== done"
