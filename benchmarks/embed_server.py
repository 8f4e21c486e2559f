"""Ingest through an embedding server: serial against N batches in flight (`kiosque ingest --workers N`).

A local OpenAI-compatible server on 127.0.0.1 stands in for a remote GPU embedder: every request
(``--batch`` texts) takes a fixed ``--latency`` seconds, whatever its size, and returns cheap
deterministic vectors, so the figures measure Kiosque's side (reading, cleaning, chunking, Chroma
writes, keyword index, commit) and how well it hides the server's latency. Each run is a full ingest
of the first N OrangeSum articles into a fresh store, without the embedding cache; the server counts
its requests and the most it had in flight. A serial run against a server that answers at once shows
what the rest costs (reading, chunking, the round trips, Chroma writes, the keyword index, the commit).
Rounds alternate the order of the worker counts; medians are reported.

    .venv/bin/python benchmarks/embed_server.py ../shared/data/orangesum --articles 1000 --latency 0.2
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, first_lines, median, record, table


class ServerProcess:
    """tests/helpers/embedding_server.py in a process of its own, as a real server runs: its JSON work
    does not compete with the ingest for the interpreter."""

    model = "test-embedder"

    def __init__(self, latency: float):
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.helpers.embedding_server", "--latency",
                                      str(latency), "--model", self.model], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"

    def stats(self, reset: bool = False) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/stats{'?reset' if reset else ''}") as r:
            return json.loads(r.read())

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def ingest_once(corpus: Path, work: Path, server: ServerProcess, workers: int, batch: int) -> dict:
    """One full ingest into a fresh store at ``work`` (a new path each time: Chroma keeps a client per path
    for the life of the process)."""
    from bot.settings import load_settings
    from bot.wiring import Kiosque

    settings = load_settings(
        None, store__dir=work / "store", embed__cache_dir=work / "cache", embed__cache=False,
        embed__backend="openai", embed__base_url=server.base_url, embed__model=server.model,
        embed__workers=workers, embed__batch_size=batch, embed__max_retries=0,
    )
    app = Kiosque(settings)
    app.embedder.inner  # connect (one probe request) before the clock starts
    before = server.stats(reset=True)
    t0 = time.perf_counter()
    report = app.ingest([corpus], sync=True)
    seconds = time.perf_counter() - t0
    after = server.stats()
    app.close()
    shutil.rmtree(work, ignore_errors=True)
    return {"seconds": seconds, "chunks": report.chunks_embedded, "requests": after["requests"] - before["requests"],
            "max_in_flight": after["max_in_flight"], "articles": report.articles_added}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("orangesum_dir", type=Path, help="folder with articles.jsonl.gz")
    ap.add_argument("--articles", type=int, default=1000)
    ap.add_argument("--latency", type=float, default=0.2, help="seconds the server takes per request")
    ap.add_argument("--batch", type=int, default=32, help="texts per request")
    ap.add_argument("--workers", default="1,2,4,8", help="worker counts to compare (the first is the baseline)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()

    data = ROOT / "runs" / "data"
    data.mkdir(parents=True, exist_ok=True)
    corpus_dir = data / f"orangesum-first-{args.articles}"
    corpus_dir.mkdir(exist_ok=True)
    first_lines(args.orangesum_dir / "articles.jsonl.gz", args.articles, corpus_dir / "articles.jsonl.gz")
    counts = [int(w) for w in args.workers.split(",")]
    runs: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory(prefix="kiosque-embed-server-") as tmp, ServerProcess(0.0) as instant, \
            ServerProcess(args.latency) as slow:
        work = Path(tmp)
        ingest_once(corpus_dir, work / "warm-up", instant, 1, args.batch)  # imports, first Chroma client, caches
        for r in range(args.rounds):
            runs.setdefault("cpu", []).append(ingest_once(corpus_dir, work / f"{r}-cpu", instant, 1, args.batch))
            for n in counts if r % 2 == 0 else counts[::-1]:
                runs.setdefault(str(n), []).append(ingest_once(corpus_dir, work / f"{r}-{n}", slow, n, args.batch))
                print(f"round {r + 1}, {n} worker(s): {runs[str(n)][-1]['seconds']:.1f} s", flush=True)

    def row(label: str, key: str) -> dict:
        rs = runs[key]
        seconds = median([x["seconds"] for x in rs])
        return {"run": label, "seconds": round(seconds, 1), "chunks/s": rs[0]["chunks"] / seconds,
                "requests": rs[0]["requests"], "max in flight": max(x["max_in_flight"] for x in rs),
                "server time if serial (s)": round(rs[0]["requests"] * (0 if key == "cpu" else args.latency), 1)}

    rows = [row("server answers at once, --workers 1", "cpu")]
    for n in counts:
        rows.append(row(f"{args.latency:g} s/request, --workers {n}", str(n)))
    base = rows[1]["seconds"]
    for r in rows[1:]:
        r["speed-up"] = f"{base / r['seconds']:.2f}×"
    columns = ["run", "seconds", "chunks/s", "speed-up", "requests", "max in flight", "server time if serial (s)"]
    print(table(rows, columns, f"Ingest of {args.articles} OrangeSum articles ({runs['cpu'][0]['chunks']} chunks) "
                               f"through an embedding server, {args.batch} texts per request"))
    path = record("embed_server", {"articles": args.articles, "latency_s": args.latency, "batch": args.batch,
                                   "rounds": args.rounds, "rows": rows, "runs": runs}, args.out)
    print(f"JSON: {path}")


if __name__ == "__main__":
    main()
