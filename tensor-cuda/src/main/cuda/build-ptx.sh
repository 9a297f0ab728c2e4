#!/usr/bin/env bash
# Compiles each kernel family (<family>.cu) to PTX: tensor-cuda/src/main/resources/dev/kiln/backend/cuda/kernels/
# <family>.ptx, or into the directory given as $1 (PtxSourcesTest builds into a temp dir and diffs with the
# shipped files). The shipped PTX is committed; rerun this after editing a .cu/.cuh and commit both.
#
# Flags are fixed so the output is reproducible: compute_75 (the oldest target CUDA 13 supports; the driver JITs
# it for newer GPUs), -O3, C++17, warnings as errors, and --fmad=false everywhere except gemm.cu: without it nvcc
# contracts a*b + c into an fma, and the pointwise/optimizer kernels would no longer round like the CPU backend.
# Never --use_fast_math (approximate division, sqrt and transcendentals). The nvcc that wrote the shipped PTX is
# named in its header ("Cuda compilation tools, release ..."); another version writes other PTX.
#
# nvcc: $NVCC, else nvcc on PATH, else /usr/local/cuda/bin/nvcc.
set -euo pipefail
export LC_ALL=C

here="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$here/../resources/dev/kiln/backend/cuda/kernels}"
nvcc="${NVCC:-$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)}"
families="pointwise reduce index conv pool optim random gemm"

mkdir -p "$out"
cd "$here" # relative source names: nothing host-specific can end up in the PTX
for family in $families; do
    fmad=false
    if [ "$family" = gemm ]; then
        fmad=true
    fi
    tmp="$out/.$family.ptx.tmp"
    "$nvcc" -ptx -arch=compute_75 -O3 -std=c++17 --fmad=$fmad -Werror all-warnings -o "$tmp" "$family.cu"
    # The PTX must not name this machine: no absolute paths (nvcc writes none without -G/-lineinfo; this guards
    # against a flag change) and no dates.
    if grep -nE '(^|[^A-Za-z0-9_.])/(home|tmp|usr|work|opt|root|var|Users)/|[0-9]{4}-[0-9]{2}-[0-9]{2}' "$tmp"; then
        echo "build-ptx.sh: $family.ptx names a path or a date (above); not writing it" >&2
        rm -f "$tmp"
        exit 1
    fi
    mv -f "$tmp" "$out/$family.ptx"
    echo "$family.ptx: $(grep -c '^\.visible \.entry' "$out/$family.ptx") kernels, $(wc -c < "$out/$family.ptx") bytes"
done
