#!/usr/bin/env bash
# Regenerates testdata/fmt/corpus-expect.tsv: for every *.tf / *.tfvars file of the corpus,
# one line `path<TAB>sha256-of-the-file-after-terraform-fmt<TAB>exit-code-of-terraform-fmt-check`
# (0 canonical, 3 not canonical, 2 syntax error; the hash is `-` on a syntax error).
# Runs terraform twice over a scratch copy of the corpus (check, then rewrite in place).
#
# Usage: scripts/regen-fmt-corpus.sh [CORPUS_DIR]   (default: $CAIRN_CORPUS or ../shared/corpus)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${1:-${CAIRN_CORPUS:-$root/../shared/corpus}}
corpus=$(cd "$corpus" && pwd)
out=$root/testdata/fmt/corpus-expect.tsv
export CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null
command -v terraform >/dev/null || { echo "terraform not found" >&2; exit 1; }

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cp -a "$corpus/." "$scratch/"
cd "$scratch"

set +e
terraform fmt -no-color -check -recursive . >"$scratch.list" 2>"$scratch.err"
set -e
# files named in error diagnostics ("on PATH line N")
sed -n 's/^ *on \(.*\) line [0-9]*.*$/\1/p' "$scratch.err" | sed 's|^\./||' | sort -u >"$scratch.bad"
sed 's|^\./||' "$scratch.list" | sort -u >"$scratch.changed"
set +e
terraform fmt -no-color -recursive . >/dev/null 2>&1
set -e

find . -type f \( -name '*.tf' -o -name '*.tfvars' \) | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
  if grep -qxF "$f" "$scratch.bad"; then
    printf '%s\t-\t2\n' "$f"
  else
    code=0
    grep -qxF "$f" "$scratch.changed" && code=3
    printf '%s\t%s\t%s\n' "$f" "$(sha256sum <"$f" | cut -d' ' -f1)" "$code"
  fi
done >"$out.tmp"
rm -f "$scratch.list" "$scratch.err" "$scratch.bad" "$scratch.changed"
mv "$out.tmp" "$out"
echo "wrote $(wc -l <"$out") lines to $out"
