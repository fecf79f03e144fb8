#!/usr/bin/env bash
# Regenerates every <case>/expected.txt from the real `terraform console`: one process per
# expression, each in its own copy of the case directory (its configuration and state).
#
# For each line of <case>/expressions.txt, expected.txt holds `> EXPRESSION` followed by what
# terraform printed, or `error: SUMMARY` (the summary of its first diagnostic) when it failed.
#
# Usage: testdata/console/regen.sh [CASE...]
set -euo pipefail
export CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  for d in "$here"/*/; do cases+=("$(basename "$d")"); done
fi
for case in "${cases[@]}"; do
  src="$here/$case"
  base=$(mktemp -d)
  find "$src" -maxdepth 1 -type f ! -name expressions.txt ! -name expected.txt -exec cp {} "$base" \;
  if ls "$base"/*.tf >/dev/null 2>&1; then
    (cd "$base" && terraform init -backend=false -no-color >/dev/null)
  fi
  out="$src/expected.txt"
  : > "$out"
  while IFS= read -r expr || [ -n "$expr" ]; do
    [ -z "$expr" ] && continue
    work=$(mktemp -d)
    cp -a "$base/." "$work"
    printf '> %s\n' "$expr" >> "$out"
    if result=$(cd "$work" && printf '%s\n' "$expr" | terraform console -no-color 2> "$work/.stderr"); then
      printf '%s\n' "$result" >> "$out"
    else
      summary=$(sed -n 's/^.*Error: //p' "$work/.stderr" | head -n 1)
      printf 'error: %s\n' "$summary" >> "$out"
    fi
    rm -rf "$work"
  done < "$src/expressions.txt"
  rm -rf "$base"
  echo "regenerated $case"
done
