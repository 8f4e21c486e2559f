"""Embedding throughput on a CUDA GPU against this machine's CPU, and how close the GPU's vectors are.

The built-in model embeds the same passages (the seeds' paragraphs, or the first articles of an
OrangeSum-style JSONL file, chunked by Kiosque) on the CPU (the default torch-packed backend) and on the
GPU (sentence-transformers, at each precision asked for, batch size chosen for the device). Each variant
is warmed up, then timed over the whole set (the CPU over a smaller sample: it is ~100× slower).
Vectors are compared with sentence-transformers fp32 on the CPU (the exact reference) over the sample.
Part of benchmarks/gpu_check.sh; runs in about a minute on a recent GPU.

    .venv/bin/python benchmarks/gpu_embed.py --passages 4096 --out runs/benchmarks/gpu_embed.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

from common import ROOT, record, table


def passages(corpus: Path | None, n: int) -> list[str]:
    """``n`` chunk texts: from the first articles of ``corpus`` (JSONL, gzipped or not), else the
    seeds' chunks repeated (numbered, so no two texts are the same)."""
    from index.chunking import chunk_article

    texts: list[str] = []
    if corpus is not None:
        opener = gzip.open if corpus.name.endswith(".gz") else open
        with opener(corpus, "rt", encoding="utf-8") as f:
            for line in f:
                record_ = json.loads(line)
                texts += [c.text for c in chunk_article("x", record_["text"], 800, 1000)]
                if len(texts) >= n:
                    break
    else:
        seeds = [c.text for p in sorted((ROOT / "seeds").glob("*.txt"))
                 for c in chunk_article(p.stem, p.read_text(encoding="utf-8"), 800, 1000)]
        texts = [f"{seeds[i % len(seeds)]} ({i})" for i in range(n)]
    return texts[:n]


def timed(embedder, texts: list[str], warmup: list[str]) -> tuple[float, object]:
    import torch

    embedder.embed_passages(warmup)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    vectors = embedder.embed_passages(texts)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t0, vectors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", type=Path, default=None, help="articles.jsonl[.gz] (default: the seeds, repeated)")
    ap.add_argument("--passages", type=int, default=4096, help="passages embedded on the GPU")
    ap.add_argument("--cpu-passages", type=int, default=256, help="of which embedded on the CPU (and compared)")
    ap.add_argument("--precisions", default="auto,fp16", help="GPU precisions, comma-separated")
    ap.add_argument("--models-dir", type=Path, default=Path.home() / ".cache" / "kiosque" / "models")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    from index.embedders.runtime import configure_runtime

    configure_runtime()  # as Kiosque starts: offline, quiet, short OpenMP waits (before torch loads)
    import numpy as np
    import torch

    from index.embedders import make_embedder
    from index.embedders.hardware import cuda_gpus

    gpus = cuda_gpus()
    if not gpus:
        raise SystemExit("no CUDA device visible to torch: this benchmark needs a GPU")
    texts = passages(args.corpus, args.passages)
    sample, warmup = texts[: args.cpu_passages], texts[-32:]
    common = {"cache_dir": args.models_dir.parent, "models_dir": args.models_dir, "use_cache": False}
    reference = make_embedder(backend="sentence-transformers", precision="fp32", **common)
    want = reference.embed_passages(sample)

    rows = []
    cpu = make_embedder(**common)  # what Kiosque runs on this CPU by default
    seconds, vectors = timed(cpu, sample, warmup)
    cos = (vectors * want).sum(1)
    rows.append({"variant": "cpu (default)", "backend": cpu.describe()["backend"], "precision": cpu.precision,
                 "batch": cpu.batch_size, "passages": len(sample), "seconds": round(seconds, 2),
                 "passages/s": len(sample) / seconds, "cos min": float(cos.min()), "cos mean": float(cos.mean())})
    cpu_rate = rows[0]["passages/s"]
    for precision in args.precisions.split(","):
        gpu = make_embedder(device="cuda", precision=precision, **common)
        seconds, vectors = timed(gpu, texts, warmup)
        cos = (vectors[: len(sample)] * want).sum(1)
        rows.append({"variant": f"cuda ({precision})", "backend": "sentence-transformers", "precision": gpu.precision,
                     "batch": gpu.batch_size, "passages": len(texts), "seconds": round(seconds, 2),
                     "passages/s": len(texts) / seconds, "cos min": float(cos.min()), "cos mean": float(cos.mean()),
                     "peak GPU MiB": round(torch.cuda.max_memory_allocated() / 2**20)})
        torch.cuda.reset_peak_memory_stats()
    for r in rows:
        r["vs cpu"] = round(r["passages/s"] / cpu_rate, 1)
        r["cos min"], r["cos mean"] = round(r["cos min"], 5), round(r["cos mean"], 5)
    columns = ["variant", "backend", "precision", "batch", "passages", "seconds", "passages/s", "vs cpu",
               "cos min", "cos mean", "peak GPU MiB"]
    shown = [r | {"cos min": f"{r['cos min']:.5f}", "cos mean": f"{r['cos mean']:.5f}"} for r in rows]
    print(table(shown, columns, f"Embedding throughput, {gpus[0].name} vs this CPU (cosine vs CPU fp32)"))
    ok = all(r["cos min"] >= 0.999 for r in rows)
    print(f"\nvectors within cosine 0.999 of the CPU's: {'yes' if ok else 'NO'}")
    path = record("gpu_embed", {"gpu": {"name": gpus[0].name, "memory_gib": round(gpus[0].memory_gib, 1),
                                        "bf16": gpus[0].bf16, "count": len(gpus)},
                                "torch_cuda": torch.version.cuda, "rows": rows, "within_0999": ok,
                                "corpus": str(args.corpus) if args.corpus else "seeds (repeated)"}, args.out)
    print(f"JSON: {path}")
    raise SystemExit(0 if ok and np.isfinite([r["passages/s"] for r in rows]).all() else 1)


if __name__ == "__main__":
    main()
