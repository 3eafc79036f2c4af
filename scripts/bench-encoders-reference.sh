#!/usr/bin/env bash
# The encoder benchmark beside a reference runtime (BENCHMARKS.md, "Encoders"):
#   1. a Python venv with the pinned onnxruntime 1.32.0 (the wheel `esci models fetch`
#      takes libonnxruntime.so from), tokenizers 0.23.2 and numpy, installed once from
#      scripts/reference-bench/requirements.txt with --require-hashes (offline after);
#   2. `esci bench encoders --runtime $RUNTIMES --dump-inputs DIR`: our figures, and the
#      texts, settings, graph files and outputs it used;
#   3. scripts/reference-bench/bench_encoders.py DIR: the same graphs on the same texts
#      in Python onnxruntime, a check that its outputs match ours, and one table of
#      ours / reference per figure.
# ROUNDS=N repeats 2-3 N times (a table per round): on a shared machine the load moves
# between the two halves of a round, so the spread of the ratios over rounds is the
# honest error bar.
# Needs `esci models fetch` first (models + libonnxruntime) and CPython 3.11 on Linux
# x86_64 (the hashes pin those wheels).
# Usage: [RUNTIMES=candle,onnx,onnx-int8] [ROUNDS=1] [VENV=data/reference-bench-venv]
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
rm -rf "$dump"
for round in $(seq 1 "${ROUNDS:-1}"); do
  out="$dump/round-$round"
  echo "## round $round; load at start: $(cat /proc/loadavg)"
  ./target/release/esci -q bench encoders --runtime "${RUNTIMES:-candle,onnx,onnx-int8}" \
    --dump-inputs "$out" "$@"
  echo
  echo "load before the reference: $(cat /proc/loadavg)"
  "$venv/bin/python" scripts/reference-bench/bench_encoders.py "$out" --json "$out/reference.json"
  echo
done
