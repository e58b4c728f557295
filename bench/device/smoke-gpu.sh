#!/bin/bash
# Starts every step of run-gpu.sh here, on SwiftShader, in a copy of the committed checkout laid out as a lent GPU
# machine gets it: no ../shared beside it, node_modules and onnxruntime-web unpacked from .gpu (bench/device/pack.sh),
# the test bed from .devassets (stage-assets.sh). Each step is cut to SMOKE_S seconds (default 45); a step that
# cannot start (a module or file that does not travel, a bad option) shows an rc other than 0 or 124 and its error.
# The replicas are forged first, timed, since the GPU machine forges them inside its first steps' limits.
# Usage: bash bench/device/smoke-gpu.sh [DIR]   (default /tmp/insightgpu-smoke; its log: DIR/out/log.txt)
set -euo pipefail
root=$(git rev-parse --show-toplevel); cd "$root"
[ -d .gpu ] && [ -d .devassets ] || { echo "run bench/device/pack.sh and bench/device/stage-assets.sh first"; exit 1; }
dir=${1:-/tmp/insightgpu-smoke}
rm -rf "$dir" && mkdir -p "$dir"
git clone -q "$root" "$dir/repo"
cp -r .gpu .devassets "$dir/repo/"
cd "$dir/repo"
# As on-device.sh and on-gpu.sh unpack them (the GL .debs and NVIDIA's driver are the GPU machine's alone).
for t in .gpu/tree.tar.xz .gpu/ortweb.tar.xz .gpu/ort-cpu.tar.xz; do
  python3 -c "import lzma,sys,tarfile;tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall('.')" "$t"
done
export VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json
start=$SECONDS
node --import tsx --input-type=module -e "const { ensureReplicas } = await import('./models/forge/cache.js'); await ensureReplicas(undefined, { cacheRoot: '.cache/replicas-device' });"
echo "replicas forged in $((SECONDS - start)) s (run-gpu.sh's plan-stats step, 60 s, forges them there)"
mkdir -p "$dir/out"
# Every step runs (no overall budget); a compare whose analyze was cut short has no file to read and is not counted.
SMOKE=1 BUDGET_S=100000 OUT="$dir/out" bash bench/device/run-gpu.sh > "$dir/out/stdout.txt" 2>&1 || true
echo "steps that did not start (rc other than 0 and 124):"
awk '/^== \[/ {cmd = $0} /^== skipped/ {print; bad++}
  /^== rc / {if ($3 != 0 && $3 != 124 && !(cmd ~ / compare / && last == 124)) {print cmd; print; bad++}; last = $3}
  END {print (bad + 0) " of them"; exit bad > 0}' "$dir/out/log.txt"
