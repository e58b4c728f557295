#!/bin/bash
# Runs on the lent GPU machine, from the repository root: installs the carried GL dispatch libraries, unpacks
# onnxruntime-web's WebGPU and Node wasm builds, points Vulkan at NVIDIA's driver, then hands over to the shared
# on-device.sh.
# Usage there: bash .gpu/on-gpu.sh bash bench/device/run-gpu.sh
set -euo pipefail
for f in .gpu/gl/*.deb; do dpkg -x "$f" /; done
ldconfig
export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
for t in .gpu/ortweb.tar.xz .gpu/ort-cpu.tar.xz; do
  python3 -c "import lzma,sys,tarfile;tarfile.open(fileobj=lzma.open(sys.argv[1])).extractall('.')" "$t"
done
exec bash .gpu/on-device.sh "$@"
