#!/bin/bash
# Packs .gpu/ for a lent GPU machine like ../shared/device/prepare-carry.sh, but with a node_modules trimmed to what
# the GPU benchmarks load (the shared script's tree exceeds the 64 MiB a call may carry once onnxruntime-web's four
# wasm builds are in). Needs .gpu.node.xz.cache from one run of the shared script, or makes it.
set -euo pipefail
root=$(git rev-parse --show-toplevel); cd "$root"
shared=$(cd ../shared/device && pwd)
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
grep -qx '/.gpu.node.xz.cache' .git/info/exclude || echo '/.gpu.node.xz.cache' >> .git/info/exclude
[ -f .gpu.node.xz.cache ] || xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > .gpu.node.xz.cache
rm -rf .gpu && mkdir -p .gpu
cp .gpu.node.xz.cache .gpu/node.xz
cp /usr/lib/chromium/libvulkan.so.1 .gpu/
cp "$shared/on-device.sh" .gpu/
ortweb=node_modules/onnxruntime-web/dist
tar -cf - \
  --exclude='node_modules/webgpu/dist/darwin*' --exclude='node_modules/webgpu/dist/win32*' --exclude='node_modules/webgpu/dist/linux-arm64' \
  --exclude='node_modules/onnxruntime-node' --exclude='node_modules/playwright*' --exclude='node_modules/typescript' \
  --exclude='node_modules/@typescript' --exclude='node_modules/vite*' --exclude='node_modules/@rolldown' \
  --exclude='node_modules/lightningcss*' --exclude='node_modules/chart.js' --exclude='node_modules/@types' \
  --exclude='node_modules/.cache' --exclude='*.map' --exclude='*.d.ts' --exclude="$ortweb/*" \
  --exclude='node_modules/@swc' --exclude='node_modules/rolldown' --exclude='node_modules/.vite' \
  --exclude='node_modules/dependency-cruiser' --exclude='node_modules/acorn*' --exclude='node_modules/enhanced-resolve' \
  --exclude='node_modules/tsconfig-paths*' --exclude='node_modules/regexp-tree' --exclude='node_modules/node-addon-api' \
  --exclude='node_modules/hnswlib-node/build/Release/obj.target' --exclude='node_modules/hnswlib-node/src' \
  --exclude='node_modules/onnx-proto/node_modules/protobufjs/cli' --exclude='node_modules/protobufjs/cli' \
  --exclude='*.md' --exclude='*.ts.map' \
  node_modules | xz -T2 -9e > .gpu/tree.tar.xz
# onnxruntime-web's WebGPU bundle and its one wasm build, in a tar of their own (an --exclude also drops members named
# on the command line).
tar -cf - "$ortweb/ort.webgpu.bundle.min.mjs" "$ortweb/ort-wasm-simd-threaded.asyncify.mjs" \
  "$ortweb/ort-wasm-simd-threaded.asyncify.wasm" | xz -T2 -3 > .gpu/ortweb.tar.xz
# Its Node wasm build, for the CPU benchmark (a quiet 16-core machine measures single-thread ratios reliably).
tar -cf - "$ortweb/ort.node.min.mjs" "$ortweb/ort-wasm-simd-threaded.mjs" "$ortweb/ort-wasm-simd-threaded.wasm" \
  | xz -T2 -3 > .gpu/ort-cpu.tar.xz
# The GL dispatch libraries NVIDIA's Vulkan ICD loads (libGLX_nvidia needs libGLdispatch); the machines lack them.
mkdir -p .gpu/gl /tmp/amd64/partial
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
apt-get $o update -qq >/dev/null
(cd .gpu/gl && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 2>/dev/null)
cp bench/device/on-gpu.sh .gpu/
du -sh .gpu/*
total=$(du -sm .gpu | cut -f1); [ "$total" -lt 50 ] || echo "WARNING: .gpu is ${total} MiB; what travels must stay under 64 MiB"
