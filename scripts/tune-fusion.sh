#!/usr/bin/env bash
# Grid over RRF fusion weights and k on the TRAIN split (never test), for the fused
# strategy dense+bm25+splade, printing: k bm25 dense splade R@200 nDCG@20.
# Needs a built index set (`esci index`). The [fusion] defaults in
# crates/engine/src/retrieval_config.rs were picked from this output.
# Usage: [KS=".." BM25S=".." DENSES=".." SPLADES=".."] scripts/tune-fusion.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p esci-cli
esci=./target/release/esci
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "k\tbm25\tdense\tsplade\tR@200\tnDCG@20\n"
for k in ${KS:-20 60}; do
  for wb in ${BM25S:-1 2 3}; do
    for wd in ${DENSES:-1}; do
      for ws in ${SPLADES:-0 0.5 1}; do
        cat > "$tmp/esci.toml" <<TOML
[artifacts]
runs_dir = "$tmp/runs"
[fusion]
k = $k
[fusion.weights]
bm25 = $wb
dense = $wd
splade = $ws
TOML
        "$esci" -q --config "$tmp/esci.toml" eval --split train --no-task1 --min-timing-seconds 0 \
          --strategy dense+bm25+splade > "$tmp/out" 2>/dev/null
        row=$(grep '^| dense+bm25+splade' "$tmp/out")
        r200=$(echo "$row" | awk -F'|' '{print $5}' | tr -d ' ')
        ndcg20=$(echo "$row" | awk -F'|' '{print $7}' | tr -d ' ')
        printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$k" "$wb" "$wd" "$ws" "$r200" "$ndcg20"
      done
    done
  done
done
