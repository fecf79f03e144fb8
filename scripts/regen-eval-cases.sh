#!/usr/bin/env bash
# Regenerates the expected results in testdata/eval/{cases,convert,functions,function_errors}.txt
# by asking `terraform console` to evaluate every case (one process per case, each in its own
# empty directory), and refreshes testdata/eval/functions.json, Terraform's list of its functions.
# Needs terraform on PATH; runs offline.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v terraform >/dev/null 2>&1; then
  echo "skipped: terraform not found" >&2
  exit 0
fi
export CHECKPOINT_DISABLE=1 TF_CLI_CONFIG_FILE=/dev/null
terraform metadata functions -json > testdata/eval/functions.json
CAIRN_REGEN_EVAL=1 cargo test -p cairn --lib -- lang::tests::regen_ lang::functions::tests::regen_ --nocapture --test-threads=1
git --no-pager diff --stat -- testdata/eval || true
