#!/usr/bin/env bash
# Grid over the Matryoshka adapter's hyper-parameters, judged on the DEV queries only
# (the 30% of train carved by esci_core::is_dev_query; test is never read). Prints one
# row per setting: lr, weight decay, preservation weight, substitutes, start, the dev
# R@200 at 384/256/128/64/32 dims, their mean (the early-stopping score) and the kept
# step. The defaults of AdapterConfig were picked from this output (BENCHMARKS.md).
# Nothing is saved (--dev-only). Needs `esci index` (the dense index) first.
# Usage: [LRS=".." WDS=".." PRESERVES=".." SUBS=".." INITS=".."] scripts/sweep-adapter.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p esci-cli
esci=./target/release/esci
printf "lr\twd\tpreserve\tsubs\tinit\t384\t256\t128\t64\t32\tmean\tstep\n"
for lr in ${LRS:-1e-4 3e-4 1e-3}; do
  for wd in ${WDS:-0.01}; do
    for pw in ${PRESERVES:-1 100}; do
      for subs in ${SUBS:-no yes}; do
        for init in ${INITS:-pca}; do
          flags=(--lr "$lr" --weight-decay "$wd" --preserve-weight "$pw" --eval-every 12 --patience 6)
          [ "$subs" = no ] && flags+=(--exact-only)
          [ "$init" = identity ] && flags+=(--init-identity)
          "$esci" -q train dense --method adapter --dev-only --json "${flags[@]}" |
            python3 -c '
import json, sys
d = json.load(sys.stdin)
r = [x["projected"] for x in d["dev"]]
print("\t".join(sys.argv[1:] + [f"{x:.4f}" for x in r] + [f"{sum(r)/len(r):.4f}", str(d["report"]["best_step"])]))
' "$lr" "$wd" "$pw" "$subs" "$init"
        done
      done
    done
  done
done
