#!/usr/bin/env bash
# Regenerates the expectations of the `cairn fmt` corpus test from `terraform fmt`:
#   testdata/fmt/corpus-expect.tsv            the corpus files as they are
#   testdata/fmt/corpus-perturbed-expect.tsv  the same files perturbed (see `perturb` below,
#                                             mirrored by the test) so that nearly every file
#                                             needs reformatting
# One line per *.tf / *.tfvars file:
#   path<TAB>sha256-of-the-file-after-terraform-fmt<TAB>exit-code-of-terraform-fmt-check
# (0 canonical, 3 not canonical, 2 syntax error; the hash is `-` on a syntax error).
# Runs terraform twice per set over a scratch copy (check, then rewrite in place).
#
# Usage: scripts/regen-fmt-corpus.sh [CORPUS_DIR]   (default: $CAIRN_CORPUS or ../shared/corpus)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-${CAIRN_CORPUS:-$root/../shared/corpus}}
corpus=$(cd "$corpus" && pwd)
export CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null
command -v terraform >/dev/null || { echo "terraform not found" >&2; exit 1; }

# Every line: leading blanks removed, runs of spaces collapsed, " = " turned into "=".
perturb() {
  sed -E -i 's/^[ \t]+//; s/ {2,}/ /g; s/ = /=/g' "$1"
}

expect() { # expect SCRATCH_DIR OUT_FILE
  local dir=$1 out=$2
  (
    cd "$dir"
    set +e
    terraform fmt -no-color -check -recursive . >"$dir.list" 2>"$dir.err"
    set -e
    sed -n 's/^ *on \(.*\) line [0-9]*.*$/\1/p' "$dir.err" | sed 's|^\./||' | sort -u >"$dir.bad"
    sed 's|^\./||' "$dir.list" | sort -u >"$dir.changed"
    set +e
    terraform fmt -no-color -recursive . >/dev/null 2>&1
    set -e
    find . -type f \( -name '*.tf' -o -name '*.tfvars' \) | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
      if grep -qxF "$f" "$dir.bad"; then
        printf '%s\t-\t2\n' "$f"
      else
        code=0
        grep -qxF "$f" "$dir.changed" && code=3
        printf '%s\t%s\t%s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)" "$code"
      fi
    done >"$out.tmp"
  )
  rm -f "$dir.list" "$dir.err" "$dir.bad" "$dir.changed"
  mv "$out.tmp" "$out"
  echo "wrote $(wc -l <"$out") lines to $out"
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir "$scratch/plain" "$scratch/perturbed"
cp -a "$corpus/." "$scratch/plain/"
cp -a "$corpus/." "$scratch/perturbed/"
find "$scratch/perturbed" -type f \( -name '*.tf' -o -name '*.tfvars' \) -print0 |
  while IFS= read -r -d '' f; do perturb "$f"; done

expect "$scratch/plain" "$root/testdata/fmt/corpus-expect.tsv"
expect "$scratch/perturbed" "$root/testdata/fmt/corpus-perturbed-expect.tsv"
