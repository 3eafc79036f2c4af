#!/usr/bin/env bash
# The 480k-product figures of issue 4 in one run, on whatever machine this is:
#   1. the dense scan kernels: `esci bench dense --n 480000 --dim 64 -k 500` once per
#      SIMD level (ESCI_DENSE_ISA), exact / int8 / int4 rows with recall against exact;
#   2. the fused first stage: `esci bench hybrid` with the int8 query encoders and each
#      quantised dense scan (single-query latency per stage, QPS on all cores, RSS).
# Prints /proc/loadavg before each step: on a shared machine, compare within one run.
# Needs `esci models fetch` and the synthetic catalog (`esci bench gen-catalog --n 480000`,
# generated here when missing).
# Usage: [LEVELS="portable avx2 avx512 avx512vnni"] [SCANS="int8 int4"] scripts/bench-480k.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p esci-cli
esci=./target/release/esci
catalog=data/synthetic/shopping_queries_dataset_products.parquet
[ -f "$catalog" ] || "$esci" bench gen-catalog --n 480000
for level in ${LEVELS:-portable avx2 avx512 avx512vnni}; do
  echo "## dense scan, ESCI_DENSE_ISA=$level (load $(cut -d' ' -f1-3 /proc/loadavg))"
  ESCI_DENSE_ISA=$level "$esci" -q bench dense --n 480000 --dim 64 -k 500 --queries 200
done
for scan in ${SCANS:-int8 int4}; do
  echo "## hybrid, onnx-int8 encoders, $scan dense scan (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$esci" -q --encoder-runtime onnx-int8 --dense-scan "$scan" bench hybrid --catalog "$catalog"
done
