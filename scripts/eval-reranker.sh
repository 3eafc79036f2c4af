#!/usr/bin/env bash
# The reranker figures of BENCHMARKS.md ("Reranker").
#   MODE=dev  : each trained checkpoint (RERANKERS, directories under data/models) reranks
#               the dev queries' fused top-N; nDCG@20 and Task-1 per checkpoint, to choose.
#   MODE=test : once, with the chosen checkpoint (data/models/reranker): fused retrieval
#               vs reranked at N in DEPTHS, quality and all-core QPS.
# Needs `esci index` and `esci train reranker` first.
# Usage: MODE=dev|test [RERANKERS="reranker-pointwise reranker-listwise"] [DEPTHS="50 100"] scripts/eval-reranker.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p esci-cli
esci=./target/release/esci
strategy=${STRATEGY:-dense+bm25+splade}
case "${MODE:-dev}" in
  dev)
    for r in ${RERANKERS:-reranker-pointwise reranker-listwise}; do
      echo "## $r"
      "$esci" -q eval --split dev --strategy "$strategy" --rerank "${DEPTH:-50}" \
        --reranker "$r" --min-timing-seconds 0 | grep '^|'
    done
    ;;
  test)
    for n in ${DEPTHS:-50 100}; do
      echo "## rerank top $n"
      "$esci" -q eval --split test --strategy "$strategy" --rerank "$n" | grep '^|'
    done
    ;;
  *) echo "MODE must be dev or test" >&2; exit 2 ;;
esac
