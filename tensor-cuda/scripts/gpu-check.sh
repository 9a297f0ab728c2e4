#!/usr/bin/env bash
# The GPU check of the CUDA backend, in one run, for a machine with an NVIDIA GPU (and nothing else to set up):
#   1. the GPU and driver as nvidia-smi sees them;
#   2. build tensor-cuda with tensor-core (no install), then every tensor-cuda test: the GPU tests
#      (CudaOpParityTest, CudaDtypeParityTest, CudaMemoryTest, CudaTrainingTest) run instead of skipping;
#   3. CudaBench (sgemm TFLOP/s vs cuBLAS direct; MLP/CNN training samples/s GPU vs CPU);
#   4. Spark batch scoring on the GPU (spark-integration's CudaScoringTest: KilnModel.transform on cuda:0 vs the CPU);
#   5. a summary: tests run/failed/skipped per class, and whether any GPU test was skipped although a GPU is here.
# Exit status: 0 when every test passed and no GPU test skipped, else 1.
#
# Usage (from anywhere): tensor-cuda/scripts/gpu-check.sh [--quick] [--offline]
#   --quick    shorter benchmark runs
#   --offline  pass -o to Maven (dependencies already cached)
set -uo pipefail
export LC_ALL=C

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
quick=""
mvn_flags=(-B)
for a in "$@"; do
    case "$a" in
        --quick) quick="--quick" ;;
        --offline) mvn_flags+=(-o) ;;
        *) echo "gpu-check.sh: unknown option $a (expected --quick, --offline)" >&2; exit 2 ;;
    esac
done
log="$root/tensor-cuda/target/gpu-check"
mkdir -p "$log"

echo "== GPU"
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || true
else
    echo "nvidia-smi not found: the tests will report why CUDA is unavailable"
fi
ls /usr/local/cuda/lib64/libcublas.so* 2>/dev/null | head -1 || echo "no libcublas under /usr/local/cuda: matmul will use the PTX GEMM"

echo "== build and tests (log: $log/test.log)"
./mvnw "${mvn_flags[@]}" verify -pl tensor-cuda -am -Dtest='Cuda*,Ptx*' -Dsurefire.failIfNoSpecifiedTests=false \
    > "$log/test.log" 2>&1
test_rc=$?
grep -E "Tests run:|FAIL|ERROR\]" "$log/test.log" | grep -v "^\[INFO\] *$" | tail -40

echo "== benchmark (log: $log/bench.log)"
./mvnw "${mvn_flags[@]}" -q -pl tensor-cuda -am package -DskipTests \
    org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.outputFile=target/kiln-test-classpath.txt -Dmdep.includeScope=test > "$log/bench-build.log" 2>&1
cp="tensor-cuda/target/test-classes:tensor-cuda/target/classes:$(cat tensor-cuda/target/kiln-test-classpath.txt)"
java --add-opens=java.base/java.nio=ALL-UNNAMED -Xmx8g -cp "$cp" dev.kiln.backend.cuda.CudaBench $quick \
    2>&1 | tee "$log/bench.log"
bench_rc=${PIPESTATUS[0]}

echo "== Spark scoring on the GPU (log: $log/scoring.log)"
./mvnw "${mvn_flags[@]}" verify -pl spark-integration -am -Dtest=CudaScoringTest -Dsurefire.failIfNoSpecifiedTests=false \
    > "$log/scoring.log" 2>&1
scoring_rc=$?
scoring=spark-integration/target/surefire-reports/dev.kiln.spark.sql.CudaScoringTest.txt
grep -m1 "Tests run" "$scoring" 2>/dev/null || echo "  no CudaScoringTest report: see $log/scoring.log"
if ! grep -q "CUDA unavailable" "$log/test.log" && grep -q "Skipped: [1-9]" "$scoring" 2>/dev/null; then
    echo "  GPU present but CudaScoringTest skipped"
    scoring_rc=1
fi

echo "== summary"
reports=tensor-cuda/target/surefire-reports
gpu_skipped=0
if [ -d "$reports" ]; then
    for f in "$reports"/*.txt; do
        line=$(grep -m1 "Tests run" "$f")
        echo "  $(basename "$f" .txt | sed 's/dev.kiln.backend.cuda.//'): ${line%% -- *}"
    done
    gpu_present=$(grep -c "CUDA unavailable" "$log/test.log" || true)
    if [ "$gpu_present" = "0" ]; then
        for c in CudaOpParityTest CudaDtypeParityTest CudaMemoryTest CudaTrainingTest; do
            f="$reports/dev.kiln.backend.cuda.$c.txt"
            skipped=$(grep -m1 -o "Skipped: [0-9]*" "$f" 2>/dev/null | grep -o "[0-9]*")
            # CudaOpParityTest skips nothing on a GPU except its CPU-only harness test, which never skips
            if [ -n "$skipped" ] && [ "$skipped" != "0" ]; then
                echo "  GPU present but $c skipped $skipped test(s)"
                gpu_skipped=1
            fi
        done
    else
        echo "  CUDA unavailable here: GPU tests skipped ($(grep -m1 -o 'CUDA unavailable.*' "$log/test.log"))"
    fi
fi
echo "  tests: $([ $test_rc = 0 ] && echo passed || echo FAILED), benchmark: $([ $bench_rc = 0 ] && echo ran || echo FAILED), Spark scoring: $([ $scoring_rc = 0 ] && echo passed || echo FAILED)"
[ $test_rc = 0 ] && [ $bench_rc = 0 ] && [ $scoring_rc = 0 ] && [ $gpu_skipped = 0 ]
