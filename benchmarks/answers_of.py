"""Answer a list of questions with the Kiosque code of any checkout, over a given store, and write
one JSON line per answer. benchmarks/reader.py runs it on an earlier checkout (git worktree) to put
"today's answerer" side by side with the reader, in the same run, on the same stores.

    python benchmarks/answers_of.py --code ../kiosque-before --store runs/piaf-store \\
        --questions runs/q.jsonl --out runs/answers.jsonl

Only the public path is used — ``load_settings``, ``Kiosque(...).answerer.answer(question)`` and the
Answer's text, refusal and citations — which every version of Kiosque has had."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--code", type=Path, required=True, help="checkout whose bot/ and index/ answer")
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--questions", type=Path, required=True, help='JSONL with {"id", "question"}')
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--set", action="append", default=[], metavar="SECTION__FIELD=VALUE",
                    help="a setting for this run, e.g. answer__refusal_threshold=0 (repeatable)")
    args = ap.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    from bot.settings import load_settings
    from bot.wiring import Kiosque

    overrides = dict(item.split("=", 1) for item in args.set)
    app = Kiosque(load_settings(None, store__dir=args.store, **overrides))
    questions = [json.loads(line) for line in args.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    app.answerer.answer("warm-up")
    with open(args.out, "w", encoding="utf-8") as out:
        for q in questions:
            t0 = time.perf_counter()
            a = app.answerer.answer(q["question"])
            ms = (time.perf_counter() - t0) * 1e3
            out.write(json.dumps({
                "id": q["id"], "text": a.text, "refused": a.refused, "ms": ms,
                "citations": [{"article_id": c.article_id, "quote": c.quote,
                               "answer_span": getattr(c, "answer_span", None)} for c in a.citations],
                "answerable": getattr(a, "answerable", None),
            }, ensure_ascii=False) + "\n")
    app.close()


if __name__ == "__main__":
    main()
