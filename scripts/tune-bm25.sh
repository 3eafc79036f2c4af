#!/usr/bin/env bash
# Grid over BM25F parameters on the TRAIN split (never test), printing one line per
# setting: k1 b title-weight description-weight R@200 nDCG@20. The defaults in
# crates/lexical/src/params.rs were picked from this output.
# Usage: [K1S=".." BS=".." TITLES=".." DESCS=".."] scripts/tune-bm25.sh [extra esci flags,
# e.g. --keep-stopwords]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p esci-cli
esci=./target/release/esci
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "k1\tb\ttitle\tdesc\tR@200\tnDCG@20\n"
for k1 in ${K1S:-0.9 1.2 1.5}; do
  for b in ${BS:-0.5 0.75 0.9}; do
    for title in ${TITLES:-1 2 3 4 5}; do
      for desc in ${DESCS:-0.25 0.5 1}; do
        "$esci" -q run --artifacts-dir "$tmp/a" --split train --no-task1 --min-timing-seconds 0 \
          --k1 "$k1" --b "$b" --field "title=$title" --field "description=$desc" "$@" \
          > "$tmp/out" 2>/dev/null
        row=$(grep '^| bm25' "$tmp/out")
        r200=$(echo "$row" | awk -F'|' '{print $5}' | tr -d ' ')
        ndcg20=$(echo "$row" | awk -F'|' '{print $7}' | tr -d ' ')
        printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$k1" "$b" "$title" "$desc" "$r200" "$ndcg20"
      done
    done
  done
done
