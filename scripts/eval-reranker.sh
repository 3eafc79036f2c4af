#!/usr/bin/env bash
# The reranker figures of BENCHMARKS.md ("Reranker").
#   MODE=dev  : each trained checkpoint (RERANKERS, directories under data/models) on each
#               cross-encoder runtime (RUNTIMES) reranks the dev queries' fused top N; the
#               rerank tuning prints, per depth (50 and 100), the cross-encoder alone and
#               the best combination with the first stage, and Task 1 likewise: to choose.
#   MODE=test : once, with the chosen checkpoint, runtime and depth (default: [rerank]
#               model and runtime, N = 50; or RERANKER, RUNTIME, DEPTHS): fused retrieval
#               vs reranked (combination tuned on dev), quality and QPS.
# Needs `esci index` and `esci train reranker` first.
# Usage: MODE=dev|test [RERANKERS="reranker-l2 reranker-l6f4 reranker-l6f3"]
#        [RUNTIMES="onnx onnx-int8"] [RERANKER=dir] [RUNTIME=onnx] [DEPTHS="50"]
#        scripts/eval-reranker.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p esci-cli
esci=./target/release/esci
strategy=${STRATEGY:-dense+bm25+splade}
case "${MODE:-dev}" in
  dev)
    for r in ${RERANKERS:-reranker-l2 reranker-l6f4 reranker-l6f3}; do
      for rt in ${RUNTIMES:-onnx onnx-int8}; do
        echo "## $r on $rt"
        "$esci" -q eval --split dev --strategy "$strategy" --rerank "${DEPTH:-50}" \
          --reranker "$r" --rerank-runtime "$rt" --min-timing-seconds 0 2>&1 |
          grep -E '^\|| dev nDCG@20 '
      done
    done
    ;;
  test)
    for n in ${DEPTHS:-50}; do
      echo "## rerank top $n"
      "$esci" -q eval --split test --strategy "$strategy" --rerank "$n" \
        ${RERANKER:+--reranker "$RERANKER"} ${RUNTIME:+--rerank-runtime "$RUNTIME"} 2>&1 |
        grep -E '^\|| dev nDCG@20 '
    done
    ;;
  *) echo "MODE must be dev or test" >&2; exit 2 ;;
esac
