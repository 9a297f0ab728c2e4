#!/usr/bin/env bash
# Runs the same benchmarks from two builds of Kiln, alternating, so both see the same machine load: the way to
# show a change did not slow the CPU path down ("same run" for code that cannot coexist in one JVM).
#
#   benchmarks/scripts/before-after.sh <git-rev-before> [rounds] [bench args...]
#
# Builds the benchmarks jar of <git-rev-before> in a temporary worktree and of the working tree, then runs
# TensorBench --quick, MlpBench --quick and CnnBench --quick --model mnist-cnn from each build in turn, `rounds`
# times (default 2), and prints the lines that carry results, tagged before/after. Needs no network (-o).
set -euo pipefail
before=${1:?usage: before-after.sh <git-rev-before> [rounds]}
rounds=${2:-2}
root=$(git rev-parse --show-toplevel)
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/before" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

build() { (cd "$1" && ./mvnw -B -o -q -Pbench package -pl benchmarks -am -DskipTests); }
git -C "$root" worktree add -q --detach "$tmp/before" "$before"
build "$tmp/before"
build "$root"

run() { # $1 = tree, $2 = tag, rest = class and args
  local tree=$1 tag=$2; shift 2
  java --add-opens=java.base/java.nio=ALL-UNNAMED -Dio.netty.tryReflectionSetAccessible=true \
    -cp "$tree/benchmarks/target/kiln-benchmarks-0.1.0-SNAPSHOT.jar:$(cat "$tree/benchmarks/target/classpath.txt")" \
    "$@" 2>/dev/null | grep -E '[0-9]' | grep -vE '^\s*$' | sed "s/^/[$tag] /"
}
for r in $(seq 1 "$rounds"); do
  echo "== round $r (load: $(cut -d' ' -f1-3 /proc/loadavg))"
  for bench in "dev.kiln.bench.TensorBench --quick" "dev.kiln.bench.MlpBench --quick" \
               "dev.kiln.bench.CnnBench --quick --model mnist-cnn"; do
    run "$tmp/before" before $bench
    run "$root" after $bench
  done
done
