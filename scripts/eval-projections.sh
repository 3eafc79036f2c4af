#!/usr/bin/env bash
# Dense retrieval per projection and Matryoshka prefix: for each projection P (none =
# the base model cut naively) and dim D, runs
#   esci eval --split SPLIT --strategy dense --dim D --projection P --no-task1
# and prints one Markdown row with R@200 and nDCG@20 (timing is skipped: speed is the
# same scan at the same dimension, see `esci eval` without --min-timing-seconds 0).
# Choose on SPLIT=dev; report on SPLIT=test (the default). Needs `esci index` and
# `esci train dense --method pca` / `--method adapter` / `--method finetune` first.
# Usage: [SPLIT=dev|test] [PROJECTIONS="none pca adapter finetune"] [DIMS="384 256 128 64 32"] scripts/eval-projections.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p esci-cli
esci=./target/release/esci
split=${SPLIT:-test}
echo "| projection | dim | R@200 | nDCG@20 |"
echo "|---|---|---|---|"
for p in ${PROJECTIONS:-none pca adapter finetune}; do
  for d in ${DIMS:-384 256 128 64 32}; do
    row=$("$esci" -q eval --split "$split" --strategy dense --dim "$d" --projection "$p" \
      --no-task1 --min-timing-seconds 0 2>/dev/null | grep '^| dense')
    # columns: run R@50 R@100 R@200 nDCG@10 nDCG@20 ...
    echo "$row" | awk -F'|' -v p="$p" -v d="$d" \
      '{gsub(/ /,"",$5); gsub(/ /,"",$7); printf "| %s | %s | %s | %s |\n", p, d, $5, $7}'
  done
done
