#!/usr/bin/env python3
"""The reference runtime of `esci bench encoders`: Python onnxruntime + HF `tokenizers`.

Reads the folder `esci bench encoders --dump-inputs DIR` wrote and repeats the Rust
benchmark's work on the same texts with the same graph files (the ones `esci-onnx`
wrote, fp32 and int8), the same tokenizer files and truncation, the same length
bucketing, batch sizes, padding and post-processing (L2 norm, log1p, the fixed
cross-encoder head), the same number of sessions and intra-op threads and the same
session options (all graph optimisations, no spinning). Then it

1. checks that it computed the same thing: cosine of its dense and SPLADE vectors
   with the Rust outputs of the same precision, cross-encoder score differences;
2. prints its figures (docs/s, query p50/p99, 100-pair cross-encoder call p50) and,
   with the Rust figures of the same dump (`report.json`), one table with the ratio
   ours / reference for each figure.

`--summarize ROUND...` measures nothing: it sets the Rust and reference figures of
several rounds side by side (medians, and the range of the ratios over rounds).

Usage: bench_encoders.py DIR [--precision fp32|int8] [--json OUT]
       bench_encoders.py --summarize ROUND_DIR...
(both run by scripts/bench-encoders-reference.sh)
"""

import argparse
import json
import math
import os
import queue
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import onnxruntime as ort
import tokenizers
from tokenizers import Tokenizer

# Rust runtime name -> precision of the graphs it runs.
ONNX_RUNTIMES = {"onnx": "fp32", "onnx-int8": "int8"}


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def load_tokenizer(path, max_length):
    """The tokenizer as `esci_models::TextTokenizer` sets it up: baked-in padding
    removed, truncation to max_length (longest first, from the right)."""
    tok = Tokenizer.from_file(path)
    tok.no_padding()
    tok.enable_truncation(max_length, stride=0, strategy="longest_first", direction="right")
    return tok


def percentile(sorted_values, p):
    """Nearest rank, as `esci_eval::LatencyStats`."""
    rank = max(1, math.ceil(p * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_stats(seconds):
    s = sorted(seconds)
    ms = 1e3
    return {
        "n": len(s),
        "mean_ms": sum(s) / len(s) * ms,
        "p50_ms": percentile(s, 0.50) * ms,
        "p99_ms": percentile(s, 0.99) * ms,
        "max_ms": s[-1] * ms,
    }


class SessionPool:
    """`sessions` sessions over one graph; a batch takes a free one (like
    `esci_onnx::SessionPool`), batches of one call run on a thread per session."""

    def __init__(self, graph, sessions, threads):
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = threads
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.sessions = [
            ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])
            for _ in range(sessions)
        ]
        self.free = queue.SimpleQueue()
        for s in self.sessions:
            self.free.put(s)
        self.executor = ThreadPoolExecutor(max_workers=sessions)

    def run(self, output, feeds):
        session = self.free.get()
        try:
            return session.run([output], feeds)[0]
        finally:
            self.free.put(session)

    def close(self):
        self.executor.shutdown()


class Encoder:
    """One encoder: tokenizer + pool + post-processing, batched as the Rust encoders
    batch (`esci_onnx::batch::map_in_buckets`)."""

    def __init__(self, settings, graph, sessions, threads, post):
        self.s = settings
        self.tokenizer = load_tokenizer(settings["tokenizer"], settings["max_length"])
        self.pool = SessionPool(graph, sessions, threads)
        self.post = post
        self.with_types = "token_type_ids" in settings["inputs"]
        self.tokenize_seconds = 0.0

    def tokenize(self, items):
        started = time.perf_counter()
        encoded = self.tokenizer.encode_batch_fast(items)
        self.tokenize_seconds = time.perf_counter() - started
        return encoded

    def __call__(self, items):
        encoded = self.tokenize(items)
        ids = [e.ids for e in encoded]
        types = [e.type_ids for e in encoded] if self.with_types else None
        order = sorted(range(len(ids)), key=lambda i: (len(ids[i]), i))
        size = self.s["batch_size"]
        buckets = [order[i : i + size] for i in range(0, len(order), size)]
        pad = self.s["pad_id"]

        def run(bucket):
            seq = max(len(ids[i]) for i in bucket)
            input_ids = np.full((len(bucket), seq), pad, dtype=np.int64)
            mask = np.zeros((len(bucket), seq), dtype=np.int64)
            token_types = np.zeros((len(bucket), seq), dtype=np.int64) if types else None
            for row, i in enumerate(bucket):
                n = len(ids[i])
                input_ids[row, :n] = ids[i]
                mask[row, :n] = 1
                if types:
                    token_types[row, :n] = types[i]
            feeds = {"input_ids": input_ids, "attention_mask": mask}
            if types:
                feeds["token_type_ids"] = token_types
            return self.post(self.pool.run(self.s["output"], feeds))

        if len(self.pool.sessions) > 1 and len(buckets) > 1:
            results = list(self.pool.executor.map(run, buckets))
        else:
            results = [run(b) for b in buckets]
        out = [None] * len(ids)
        for bucket, rows in zip(buckets, results):
            for i, r in zip(bucket, rows):
                out[i] = r
        return out


def l2_rows(pooled):
    norms = np.maximum(np.sqrt((pooled * pooled).sum(axis=1, dtype=np.float32)), 1e-12)
    return list(pooled / norms[:, None])


def splade_rows(top_k, min_weight):
    """`SparseVector::from_activations`: log1p of the positive activations above
    min_weight (optionally the top_k heaviest), ids ascending."""

    def post(acts):
        rows = []
        for row in acts:
            ids = np.flatnonzero(row > 0)
            weights = np.log1p(row[ids])
            keep = weights > min_weight
            ids, weights = ids[keep], weights[keep]
            if top_k is not None and len(ids) > top_k:
                best = np.lexsort((ids, -weights))[:top_k]
                best.sort()
                ids, weights = ids[best], weights[best]
            rows.append((ids, weights))
        return rows

    return post


def cross_rows(weights, bias):
    w = np.asarray(weights, dtype=np.float32)
    return lambda pooled: list(pooled @ w + np.float32(bias))


def measure(inputs, graphs, docs, queries, pairs):
    """The Rust benchmark's `measure`, in the same order with the same warm-ups."""
    sessions, threads = inputs["onnx_sessions"], inputs["onnx_threads_per_session"]
    batch = inputs["dense"]["batch_size"]
    posts = {
        "dense": l2_rows,
        "splade": splade_rows(inputs["splade_top_k"], inputs["splade_min_weight"]),
        "cross": cross_rows(inputs["cross_head_weights"], inputs["cross_head_bias"]),
    }
    dense, splade, cross = (
        Encoder(inputs[name], graphs[name], sessions, threads, post)
        for name, post in posts.items()
    )
    doc_prefix = inputs["dense_document_prefix"] or ""
    query_prefix = inputs["dense_query_prefix"] or ""
    dense_docs = [doc_prefix + d for d in docs]
    fig = {}

    dense(dense_docs[:batch])
    started = time.perf_counter()
    dense_out = dense(dense_docs)
    fig["dense_docs_per_s"] = len(docs) / (time.perf_counter() - started)
    fig["dense_query"] = latency_stats(timed_each(lambda q: dense([query_prefix + q]), queries))

    splade(docs[:batch])
    started = time.perf_counter()
    splade_out = splade(docs)
    fig["splade_docs_per_s"] = len(docs) / (time.perf_counter() - started)
    fig["splade_query"] = latency_stats(timed_each(lambda q: splade([q]), queries))

    pair_items = [(p["query"], p["title"]) for p in pairs]
    cross(pair_items[: inputs["cross"]["batch_size"]])
    calls, tokenize = [], 0.0
    for _ in range(inputs["cross_calls"]):
        started = time.perf_counter()
        scores = cross(pair_items)
        calls.append(time.perf_counter() - started)
        tokenize += cross.tokenize_seconds
    fig["cross_call"] = latency_stats(calls)
    fig["cross_tokenize_ms"] = tokenize / len(calls) * 1e3
    for e in (dense, splade, cross):
        e.pool.close()
    return fig, {"dense": dense_out, "splade": splade_out, "cross": scores}


def timed_each(run, items):
    seconds = []
    for item in items:
        started = time.perf_counter()
        run(item)
        seconds.append(time.perf_counter() - started)
    return seconds


def sparse_cosine(a_ids, a_w, b_ids, b_w):
    common, ia, ib = np.intersect1d(a_ids, b_ids, assume_unique=True, return_indices=True)
    dot = float(np.dot(a_w[ia].astype(np.float64), b_w[ib].astype(np.float64)))
    na = float(np.sqrt(np.dot(a_w.astype(np.float64), a_w)))
    nb = float(np.sqrt(np.dot(b_w.astype(np.float64), b_w)))
    if na == 0.0 or nb == 0.0:
        return 1.0 if na == nb else 0.0
    return dot / (na * nb)


def compare(ours, rust):
    """How close the reference's outputs are to the Rust runtime's on the same texts."""
    a = np.asarray(ours["dense"], dtype=np.float64)
    b = np.asarray(rust["dense"], dtype=np.float64)
    dense_cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    cosines, same_terms = [], 0
    for (ids, w), theirs in zip(ours["splade"], rust["splade"]):
        t = np.asarray(theirs, dtype=np.float64).reshape(-1, 2)
        t_ids, t_w = t[:, 0].astype(np.int64), t[:, 1]
        cosines.append(sparse_cosine(ids, w, t_ids, t_w))
        same_terms += int(np.array_equal(ids, t_ids))
    cross = np.abs(np.asarray(ours["cross"], np.float64) - np.asarray(rust["cross_scores"]))
    return {
        "dense_cosine_mean": float(dense_cos.mean()),
        "dense_cosine_min": float(dense_cos.min()),
        "dense_max_abs_diff": float(np.abs(a - b).max()),
        "splade_cosine_mean": float(np.mean(cosines)),
        "splade_cosine_min": float(np.min(cosines)),
        "splade_same_terms": same_terms / len(cosines),
        "cross_max_abs_diff": float(cross.max()),
        "cross_score_range": [float(np.min(rust["cross_scores"])), float(np.max(rust["cross_scores"]))],
    }


FIGURES = [
    ("MiniLM docs/s", lambda f: f["dense_docs_per_s"], "{:.1f}"),
    ("MiniLM query p50 ms", lambda f: f["dense_query"]["p50_ms"], "{:.2f}"),
    ("MiniLM query p99 ms", lambda f: f["dense_query"]["p99_ms"], "{:.2f}"),
    ("SPLADE docs/s", lambda f: f["splade_docs_per_s"], "{:.1f}"),
    ("SPLADE query p50 ms", lambda f: f["splade_query"]["p50_ms"], "{:.2f}"),
    ("SPLADE query p99 ms", lambda f: f["splade_query"]["p99_ms"], "{:.2f}"),
    ("cross call p50 s", lambda f: f["cross_call"]["p50_ms"] / 1e3, "{:.3f}"),
    ("cross tokenize ms", lambda f: f["cross_tokenize_ms"], "{:.1f}"),
]

# Which reference figures each Rust runtime is set beside: the graphs of its precision
# (candle, f32, beside ONNX Runtime's fp32 graph: another engine, the same model).
REFERENCE_OF = {"onnx": "fp32", "onnx-int8": "int8", "candle": "fp32"}


def load_round(dirs):
    """The Rust figures (report.json) and reference figures (reference.json) found in
    `dirs`, keyed by runtime and by precision."""
    rust, reference = {}, {}
    for d in dirs:
        report_path = os.path.join(d, "report.json")
        if os.path.exists(report_path):
            report = json.load(open(report_path))
            for r in report["runtimes"]:
                rust[r["runtime"]] = r
            rust["_report"] = report
        reference_path = os.path.join(d, "reference.json")
        if os.path.exists(reference_path):
            reference.update(json.load(open(reference_path))["figures"])
    return rust, reference


def median(values):
    v = sorted(values)
    n = len(v)
    return v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def summary_table(rounds):
    """One row per figure; per Rust runtime: ours, reference, ours / reference. With
    several rounds the figures are medians over rounds and the ratio is the median of
    the rounds' ratios, with their range."""
    runtimes = [
        rt
        for rt in ("onnx", "onnx-int8", "candle")
        if all(rt in rust and REFERENCE_OF[rt] in ref for rust, ref in rounds)
    ]
    head, rule = "| figure |", "|---|"
    for rt in runtimes:
        head += f" Rust {rt} | Python ORT {REFERENCE_OF[rt]} | ratio |"
        rule += "---:|---:|---:|"
    lines = [head, rule]
    for name, get, fmt in FIGURES:
        line = f"| {name} |"
        for rt in runtimes:
            ours = [get(rust[rt]) for rust, _ in rounds]
            refs = [get(ref[REFERENCE_OF[rt]]) for _, ref in rounds]
            ratios = [o / r for o, r in zip(ours, refs)]
            ratio = f"{median(ratios):.2f}"
            if len(rounds) > 1:
                ratio += f" ({min(ratios):.2f}–{max(ratios):.2f})"
            line += f" {fmt.format(median(ours))} | {fmt.format(median(refs))} | {ratio} |"
        lines.append(line)
    return "\n".join(lines)


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return f.read().strip()
    except OSError:
        return "unknown"


def run_reference(d, precisions, json_out):
    inputs = json.load(open(os.path.join(d, "inputs.json")))
    if inputs.get("format") != 1:
        sys.exit(f"{d}/inputs.json: dump format {inputs.get('format')} is not 1")
    docs = read_lines(os.path.join(d, inputs["docs_file"]))
    queries = read_lines(os.path.join(d, inputs["queries_file"]))
    pairs = read_lines(os.path.join(d, inputs["pairs_file"]))
    start_load = loadavg()
    print(
        f"Python reference: onnxruntime {ort.__version__}, tokenizers {tokenizers.__version__}, "
        f"numpy {np.__version__}; {len(docs)} docs, {len(queries)} queries, "
        f"{len(pairs)} pairs x {inputs['cross_calls']} calls; sessions x threads "
        f"{inputs['onnx_sessions']} x {inputs['onnx_threads_per_session']}; "
        f"load {start_load}",
        flush=True,
    )
    reference, checks = {}, {}
    for runtime, precision in ONNX_RUNTIMES.items():
        if precisions and precision not in precisions:
            continue
        path = os.path.join(d, f"outputs-{runtime}.json")
        if not os.path.exists(path):
            print(f"(no {path}: the Rust run did not measure {runtime}; skipping {precision})")
            continue
        rust_out = json.load(open(path))
        fig, outputs = measure(inputs, rust_out["graphs"], docs, queries, pairs)
        reference[precision] = fig
        checks[precision] = compare(outputs, rust_out)
        c = checks[precision]
        print(
            f"{precision}: {fig['dense_docs_per_s']:.1f} MiniLM docs/s, "
            f"{fig['splade_docs_per_s']:.1f} SPLADE docs/s, cross p50 "
            f"{fig['cross_call']['p50_ms'] / 1e3:.3f} s\n"
            f"  same computation as Rust {runtime}? dense cosine mean {c['dense_cosine_mean']:.6f} "
            f"min {c['dense_cosine_min']:.6f} (max |diff| {c['dense_max_abs_diff']:.2e}); "
            f"SPLADE cosine mean {c['splade_cosine_mean']:.6f} min {c['splade_cosine_min']:.6f}, "
            f"same term set {c['splade_same_terms']:.3f}; cross max |diff| "
            f"{c['cross_max_abs_diff']:.2e} (scores in [{c['cross_score_range'][0]:.3f}, "
            f"{c['cross_score_range'][1]:.3f}])",
            flush=True,
        )
    end_load = loadavg()
    print(f"load at the end: {end_load}")
    if json_out:
        with open(json_out, "w") as f:
            json.dump(
                {
                    "versions": {
                        "onnxruntime": ort.__version__,
                        "tokenizers": tokenizers.__version__,
                        "numpy": np.__version__,
                    },
                    "load_start": start_load,
                    "load_end": end_load,
                    "figures": reference,
                    "checks": checks,
                },
                f,
                indent=1,
            )
    return reference


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir", nargs="+", help="the folder of esci bench encoders --dump-inputs")
    parser.add_argument("--json", help="write the reference's figures and checks here")
    parser.add_argument(
        "--precision",
        action="append",
        choices=["fp32", "int8"],
        help="measure only these graphs (default: every ONNX runtime the dump has)",
    )
    parser.add_argument(
        "--summarize",
        action="store_true",
        help="measure nothing: each DIR is a round, a folder whose subfolders hold a Rust "
        "report.json and a reference.json; print ours / reference (medians over rounds)",
    )
    args = parser.parse_args()
    if args.summarize:
        rounds = []
        for d in args.dir:
            subdirs = [os.path.join(d, s) for s in sorted(os.listdir(d))]
            rounds.append(load_round([d] + [s for s in subdirs if os.path.isdir(s)]))
        report = rounds[0][0]["_report"]
        print(
            f"Ours (Rust, report.json) against the Python reference, same texts and graphs, "
            f"{len(rounds)} round(s){' (medians; ratio range over rounds)' if len(rounds) > 1 else ''}; "
            f"ratio = ours / reference (docs/s: above 1 is ours faster; ms and s: below 1 is "
            f"ours faster). {report['docs']} docs of {report['mean_doc_tokens']:.1f} tokens (max "
            f"{report['max_length']}); a cross call scores {report['pairs']} pairs of "
            f"{report['mean_pair_tokens']:.1f} tokens.\n"
        )
        print(summary_table(rounds))
        return
    if len(args.dir) != 1:
        parser.error("measuring takes one DIR")
    reference = run_reference(args.dir[0], args.precision, args.json)
    rust, _ = load_round(args.dir)
    if reference and rust:
        print()
        print(summary_table([(rust, reference)]))


if __name__ == "__main__":
    main()
