#!/usr/bin/env bash
# Regenerates every <case>/expected.json: what `terraform validate -json` prints for the case's
# configuration (after `terraform init -backend=false`, in a scratch copy).
#
# Usage: testdata/validate/regen.sh [CASE...]
set -euo pipefail
export CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null TF_IN_AUTOMATION=1
here=$(cd "$(dirname "$0")" && pwd)
cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  for d in "$here"/*/; do cases+=("$(basename "$d")"); done
fi
for case in "${cases[@]}"; do
  work=$(mktemp -d)
  cp -r "$here/$case/." "$work"
  rm -f "$work/expected.json"
  (cd "$work" && terraform init -backend=false -no-color >/dev/null 2>&1 || true)
  (cd "$work" && terraform validate -json -no-color > "$here/$case/expected.json" || true)
  rm -rf "$work"
  echo "regenerated $case"
done
