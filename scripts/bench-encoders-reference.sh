#!/usr/bin/env bash
# The encoder benchmark beside a reference runtime (BENCHMARKS.md, "Encoders"):
#   1. a Python venv with the pinned onnxruntime 1.32.0 (the wheel `esci models fetch`
#      takes libonnxruntime.so from), tokenizers 0.23.2 and numpy, installed once from
#      scripts/reference-bench/requirements.txt with --require-hashes (offline after);
#   2. per runtime: `esci bench encoders --runtime R --dump-inputs DIR` (our figures,
#      and the texts, settings, graph files and outputs it used), then
#      scripts/reference-bench/bench_encoders.py DIR --precision P: the same graphs on
#      the same texts in Python onnxruntime, with a check that its outputs equal ours;
#      candle is measured alone and set beside the fp32 reference;
#   3. a table of ours / reference per figure.
# On a shared machine the load moves while the halves of a comparison run one after
# the other: ROUNDS=N repeats step 2 (odd rounds Rust first, even rounds the reference
# first, on the first round's inputs) and the table gives medians over rounds and the
# range of the ratios.
# Needs `esci models fetch` first (models + libonnxruntime) and CPython 3.11 on Linux
# x86_64 (the hashes pin those wheels).
# Usage: [RUNTIMES=onnx,onnx-int8,candle] [ROUNDS=1] [VENV=data/reference-bench-venv]
#        [DUMP=data/runs/bench-encoders-reference] [PYTHON=python3]
#        scripts/bench-encoders-reference.sh [more esci bench encoders flags]
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-data/reference-bench-venv}
dump=${DUMP:-data/runs/bench-encoders-reference}
requirements=scripts/reference-bench/requirements.txt
python=${PYTHON:-python3}

# The venv is ready when it holds the pinned versions; the stamp is the requirements'
# hash, so an edited requirements.txt reinstalls.
stamp="$venv/.requirements.sha256"
want=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  echo "setting up $venv from $requirements (pip, PyPI) ..." >&2
  if ! "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    echo "error: $python is not CPython 3.11; the pinned wheels are cp311 (set PYTHON=)" >&2
    exit 1
  fi
  "$python" -m venv "$venv" || { echo "error: $python -m venv $venv failed" >&2; exit 1; }
  if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
      --require-hashes --only-binary=:all: -r "$requirements"; then
    echo "error: pip could not install $requirements into $venv (no network to PyPI," >&2
    echo "       or a wheel whose hash does not match); nothing was benchmarked" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
"$venv/bin/python" -c 'import onnxruntime, tokenizers, numpy' \
  || { echo "error: $venv is broken; remove it and rerun" >&2; exit 1; }

cargo build --release -q -p esci-cli
git_head=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
git_dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo " (uncommitted changes)" || true)
echo "commit: $git_head$git_dirty"
flags=("$@")
ours() { # runtime dir
  echo "### Rust $1; load $(cut -d' ' -f1-3 /proc/loadavg)"
  ./target/release/esci -q bench encoders --runtime "$1" --dump-inputs "$2" "${flags[@]}"
}
reference() { # precision inputs-dir json-out
  echo "### Python onnxruntime $1; load $(cut -d' ' -f1-3 /proc/loadavg)"
  "$venv/bin/python" scripts/reference-bench/bench_encoders.py "$2" --precision "$1" --json "$3"
}
rm -rf "$dump"
runtimes=${RUNTIMES:-onnx,onnx-int8,candle}
for round in $(seq 1 "${ROUNDS:-1}"); do
  out="$dump/round-$round"
  echo "## round $round; load at start: $(cat /proc/loadavg)"
  for runtime in ${runtimes//,/ }; do
    mkdir -p "$out/$runtime"
    case "$runtime" in
      onnx) precision=fp32 ;;
      onnx-int8) precision=int8 ;;
      *) ours "$runtime" "$out/$runtime"; continue ;;
    esac
    if (( round % 2 == 1 )); then
      ours "$runtime" "$out/$runtime"
      reference "$precision" "$out/$runtime" "$out/$runtime/reference.json"
    else
      reference "$precision" "$dump/round-1/$runtime" "$out/$runtime/reference.json"
      ours "$runtime" "$out/$runtime"
    fi
  done
done
echo "## load at the end: $(cat /proc/loadavg)"
echo
"$venv/bin/python" scripts/reference-bench/bench_encoders.py --summarize "$dump"/round-*
