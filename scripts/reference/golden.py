#!/usr/bin/env python3
"""Independent reference outputs for the Rust encoders (golden test fixtures).

A plain BERT forward pass written out in NumPy, float64, one text at a time (no
padding), reading the same safetensors and tokenizer.json the Rust code reads.
Nothing here shares code with the Rust implementation: if both agree, both are
right or both misread the checkpoint the same way.

Exact commands (from the repository root, after `esci models fetch`, or with the
model files copied into data/models/ by hand):

    python3 -m venv data/.venv-golden
    data/.venv-golden/bin/pip install numpy==2.4.6 safetensors==0.8.0 tokenizers==0.23.2
    data/.venv-golden/bin/python scripts/reference/golden.py

Options: --models-dir DIR (default data/models), --out DIR (default
crates/models/tests/fixtures). It writes golden_minilm.json, golden_splade.json and
golden_cross.json and prints the checks against docs/models.md.
"""

import argparse
import hashlib
import json
import math
import os
import sys

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

MAX_LENGTH = 128
REFERENCE = "scripts/reference/golden.py"

# Queries from docs/models.md, then real ESCI product titles (ids in the comments),
# then edge cases: a text truncated at 128 tokens, non-ASCII, and the empty string.
TEXTS = [
    "wireless mouse",
    "bluetooth mouse for laptop",
    "cordless computer mouse with usb receiver",
    "usb-c charging cable",
    "garden hose",
    # B07R22YVNP
    "Bluetooth Mouse for MacBook pro/MacBook air/iPad, Rechargeable Wireless Mouse for "
    "Laptop/Notebook/pc/Chromebook(Bluetooth Mouse/Black)",
    # B014TXLEIU
    "Official Microsoft Xbox One USB Charging Cable (Bulk Packaging)",
    # B078K8DSXC
    "Gas One 2106 3 ft Regulator Fire Pit Grill Heater Propane Hose, 3 feet",
    # B00000DMFD
    "Hasbro Gaming Mouse Trap Board Game For Kids Ages 6 and Up (Amazon Exclusive)",
    # B07R22YVNP, start of the description: longer than 128 tokens.
    "Adopt bluetooth 4.0/5.2 technology, built-in 500mAH A product lithium battery, "
    "configuration charging line, like a mobile phone, easy to charge, more scientific, "
    "charge and discharge of more than 500 times, the mouse no longer need to buy a "
    "battery. size: 113mm x 58mm x23mm weight : 3.1 oz package: Bluetooth mouse x1, USB "
    "Charging Cable x1 How to use Bluetooth wireless mouse: The bluetooth mouse works on "
    "iOS13 iPad, Note: Before using the mouse, the premise is that your device needs to "
    "upgrade to the latest IOS 13 operating system, First turn on the iPad bluetooth,and "
    "then go to iPad or iPhone Settings>Accessibility>Touch>AssistiveTouch >open "
    "Assistive Touch>Devices>Click on Bluetooth Devices",
    "Café crème – 2½ oz ™",
    "",
]
LONG_TEXT = TEXTS[9]
TITLES = TEXTS[5:9]
# Similarities/dots of "wireless mouse" against these, as listed in docs/models.md.
DOC_SIMILARITIES = [0.7487, 0.6595, 0.1581, 0.1165]
DOC_DOTS = [5.67, 5.09, None, 0.30]
CROSS_PAIRS = (
    [("wireless mouse", t) for t in TEXTS[1:5]]
    + [("wireless mouse", t) for t in TITLES]
    + [("garden hose", TITLES[2]), ("usb-c charging cable", TITLES[1]), ("wireless mouse", LONG_TEXT)]
)


def sig(x, digits=6):
    """Rounds to `digits` significant digits (keeps fixtures small and stable)."""
    return float(f"{float(x):.{digits}g}")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_tokenizer(model_dir):
    tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    tok.no_padding()  # the shipped file pads to 128: off
    tok.enable_truncation(max_length=MAX_LENGTH, strategy="longest_first")
    return tok


_erf = np.frompyfunc(math.erf, 1, 1)


def gelu(x):
    """Exact GELU: x/2 (1 + erf(x/sqrt 2)); math.erf because NumPy has no erf."""
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)).astype(np.float64))


class Bert:
    """BERT encoder weights in float64, under either tensor naming layout."""

    def __init__(self, model_dir, dtype=np.float64):
        with open(os.path.join(model_dir, "config.json")) as f:
            self.config = json.load(f)
        raw = load_file(os.path.join(model_dir, "model.safetensors"))
        self.tensors = {k: v.astype(dtype) for k, v in raw.items() if v.dtype.kind == "f"}
        # MiniLM: no "bert." prefix; SPLADE-tiny (BertForMaskedLM): "bert." prefix.
        self.prefix = "bert." if "bert.embeddings.word_embeddings.weight" in self.tensors else ""
        self.eps = self.config["layer_norm_eps"]

    def t(self, name, prefixed=True):
        return self.tensors[(self.prefix if prefixed else "") + name]

    def has(self, name):
        return self.prefix + name in self.tensors

    def layer_norm(self, x, name, prefixed=True):
        # New names weight/bias (MiniLM) or old gamma/beta (SPLADE-tiny).
        full = (self.prefix if prefixed else "") + name
        gamma = self.tensors.get(full + ".weight", self.tensors.get(full + ".gamma"))
        beta = self.tensors.get(full + ".bias", self.tensors.get(full + ".beta"))
        mean = x.mean(axis=-1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * gamma + beta

    def dense(self, x, name, prefixed=True):
        return x @ self.t(name + ".weight", prefixed).T + self.t(name + ".bias", prefixed)

    def forward(self, ids, type_ids, mask):
        """Last hidden states [seq, hidden] of one sequence."""
        ids, type_ids = np.asarray(ids), np.asarray(type_ids)
        dtype = self.tensors["%sembeddings.word_embeddings.weight" % self.prefix].dtype
        mask = np.asarray(mask, dtype=dtype)
        seq = len(ids)
        x = (
            self.t("embeddings.word_embeddings.weight")[ids]
            + self.t("embeddings.position_embeddings.weight")[np.arange(seq)]
            + self.t("embeddings.token_type_embeddings.weight")[type_ids]
        )
        x = self.layer_norm(x, "embeddings.LayerNorm")
        heads = self.config["num_attention_heads"]
        hidden = self.config["hidden_size"]
        d = hidden // heads
        additive = (1.0 - mask)[None, None, :] * -1e9  # padded keys get no weight
        for i in range(self.config["num_hidden_layers"]):
            p = f"encoder.layer.{i}."

            def split(h):
                return h.reshape(seq, heads, d).transpose(1, 0, 2)  # [heads, seq, d]

            q = split(self.dense(x, p + "attention.self.query"))
            k = split(self.dense(x, p + "attention.self.key"))
            v = split(self.dense(x, p + "attention.self.value"))
            scores = q @ k.transpose(0, 2, 1) / math.sqrt(d) + additive
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(1, 0, 2).reshape(seq, hidden)
            x = self.layer_norm(self.dense(ctx, p + "attention.output.dense") + x, p + "attention.output.LayerNorm")
            inter = gelu(self.dense(x, p + "intermediate.dense")).astype(x.dtype)
            x = self.layer_norm(self.dense(inter, p + "output.dense") + x, p + "output.LayerNorm")
        return x


def encode(tok, text, pair=None):
    enc = tok.encode(text, pair) if pair is not None else tok.encode(text)
    return list(enc.ids), list(enc.type_ids), list(enc.attention_mask), enc


def minilm_fixture(model_dir, out):
    bert, tok = Bert(model_dir), load_tokenizer(model_dir)
    rows, embeddings = [], []
    for text in TEXTS:
        ids, types, mask, _ = encode(tok, text)
        emb = mean_pooled(bert, ids, types, mask)
        embeddings.append(emb)
        rows.append({"text": text, "input_ids": ids, "embedding": [sig(v) for v in emb]})
    assert len(rows[9]["input_ids"]) == MAX_LENGTH, "long text must be truncated"
    print("MiniLM cosine of 'wireless mouse' (reference from docs/models.md):")
    for i, expected in enumerate(DOC_SIMILARITIES, start=1):
        got = float(embeddings[0] @ embeddings[i])
        print(f"  {TEXTS[i]!r:45} {got:.6f}  (models.md {expected:.4f})")
    write(out, "golden_minilm.json", {
        "model": "all-minilm-l6-v2",
        "model_sha256": sha256(os.path.join(model_dir, "model.safetensors")),
        "max_length": MAX_LENGTH,
        "pooling": "mean",
        "reference": REFERENCE,
        "texts": rows,
    })


def mean_pooled(bert, ids, types, mask):
    h = bert.forward(ids, types, mask)
    m = np.asarray(mask, dtype=np.float64)[:, None]
    pooled = (h * m).sum(axis=0) / m.sum()
    return pooled / np.linalg.norm(pooled)


def self_checks(model_dir):
    """How far a float32 or padded computation may drift: tolerances for the Rust tests."""
    tok = load_tokenizer(model_dir)
    b64, b32 = Bert(model_dir), Bert(model_dir, np.float32)
    worst32 = 0.0
    for text in TEXTS:
        ids, types, mask, _ = encode(tok, text)
        worst32 = max(worst32, float(np.abs(mean_pooled(b64, ids, types, mask) - mean_pooled(b32, ids, types, mask)).max()))
    ids, types, mask, _ = encode(tok, TEXTS[0])
    pad = 16 - len(ids)
    padded = mean_pooled(b64, ids + [0] * pad, types + [0] * pad, mask + [0] * pad)
    worst_pad = float(np.abs(padded - mean_pooled(b64, ids, types, mask)).max())
    print(f"self-check: float32 vs float64 MiniLM embeddings, max |diff| {worst32:.2e}")
    print(f"self-check: 'wireless mouse' padded to 16 vs unpadded, max |diff| {worst_pad:.2e}")


def splade_weights(bert, tok, text):
    ids, types, mask, _ = encode(tok, text)
    h = bert.forward(ids, types, mask)
    h = bert.layer_norm(gelu(bert.dense(h, "cls.predictions.transform.dense", False)),
                        "cls.predictions.transform.LayerNorm", False)
    # Decoder tied to the word embeddings (no cls.predictions.decoder.weight).
    logits = h @ bert.t("embeddings.word_embeddings.weight").T + bert.t("cls.predictions.bias", False)
    w = np.log1p(np.maximum(logits, 0.0))
    w = w[np.asarray(mask) == 1].max(axis=0)  # max over unmasked positions
    return ids, w


def splade_fixture(model_dir, out):
    bert, tok = Bert(model_dir), load_tokenizer(model_dir)
    assert "cls.predictions.decoder.weight" not in bert.tensors
    rows, vectors = [], []
    for text in TEXTS:
        ids, w = splade_weights(bert, tok, text)
        vectors.append(w)
        top = sorted(np.nonzero(w > 0)[0].tolist(), key=lambda j: (-w[j], j))[:30]
        near_zero = int(((w > 0) & (w < 1e-4)).sum())
        rows.append({
            "text": text,
            "input_ids": ids,
            "nnz": int((w > 0).sum()),
            "top_terms": [{"id": j, "token": tok.id_to_token(j), "weight": sig(w[j])} for j in top],
        })
        print(f"  SPLADE {text[:40]!r:44} nnz {rows[-1]['nnz']:5} (of which {near_zero} below 1e-4)")
    first = rows[0]["top_terms"][:4]
    print("SPLADE top terms of 'wireless mouse' (models.md: mouse 2.57, wireless 2.17, ##fi 1.48, mice 1.27):")
    print("  " + ", ".join(f"{t['token']} {t['weight']:.2f}" for t in first))
    dots = []
    for a, b in [(0, i) for i in range(1, 9)] + [(1, 5), (3, 6), (4, 7)]:
        dots.append({"a": TEXTS[a], "b": TEXTS[b], "dot": sig(vectors[a] @ vectors[b])})
    print("SPLADE dot of 'wireless mouse' with:")
    for i, expected in enumerate(DOC_DOTS, start=1):
        note = "not measured" if expected is None else f"{expected:.2f}"
        print(f"  {TEXTS[i]!r:45} {dots[i - 1]['dot']:.2f}  (models.md {note})")
    write(out, "golden_splade.json", {
        "model": "splade-tiny",
        "model_sha256": sha256(os.path.join(model_dir, "model.safetensors")),
        "max_length": MAX_LENGTH,
        "reference": REFERENCE,
        "texts": rows,
        "dot_products": dots,
    })


def cross_fixture(model_dir, out):
    bert, tok = Bert(model_dir), load_tokenizer(model_dir)
    uses_pooler = bert.has("pooler.dense.weight")
    print(f"MiniLM checkpoint has pooler.dense.weight: {uses_pooler}")
    hidden = bert.config["hidden_size"]
    w = np.sin(np.arange(hidden) + 1.0) / 10.0
    bias = 0.05
    pairs = []
    for query, doc in CROSS_PAIRS:
        ids, types, mask, _ = encode(tok, query, doc)
        cls = bert.forward(ids, types, mask)[0]
        if uses_pooler:
            cls = np.tanh(bert.dense(cls, "pooler.dense"))
        score = float(cls @ w + bias)
        pairs.append({"query": query, "document": doc, "input_ids": ids, "token_type_ids": types,
                      "score": sig(score)})
        print(f"  cross {query!r:24} x {doc[:40]!r:44} {score:+.6f} ({len(ids)} tokens)")
    assert len(pairs[-1]["input_ids"]) == MAX_LENGTH, "long pair must be truncated"
    write(out, "golden_cross.json", {
        "model": "all-minilm-l6-v2",
        "model_sha256": sha256(os.path.join(model_dir, "model.safetensors")),
        "max_length": MAX_LENGTH,
        "reference": REFERENCE,
        "head": {"formula": "w[i] = sin(i+1)/10", "bias": bias, "uses_pooler": uses_pooler},
        "pairs": pairs,
    })


def write(out, name, obj):
    path = os.path.join(out, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models-dir", default="data/models")
    ap.add_argument("--out", default="crates/models/tests/fixtures")
    args = ap.parse_args()
    for name in ("all-minilm-l6-v2", "splade-tiny"):
        if not os.path.isfile(os.path.join(args.models_dir, name, "model.safetensors")):
            sys.exit(f"{args.models_dir}/{name}/model.safetensors missing: run `esci models fetch`")
    os.makedirs(args.out, exist_ok=True)
    minilm_fixture(os.path.join(args.models_dir, "all-minilm-l6-v2"), args.out)
    splade_fixture(os.path.join(args.models_dir, "splade-tiny"), args.out)
    cross_fixture(os.path.join(args.models_dir, "all-minilm-l6-v2"), args.out)
    self_checks(os.path.join(args.models_dir, "all-minilm-l6-v2"))


if __name__ == "__main__":
    main()
