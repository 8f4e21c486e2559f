"""How well publication dates can be read from article text alone, on OrangeSum (whose metadata
gives the true date). Prints a table and writes JSON.

Measures what Kiosque's cleaner finds (datelines, "publié le", embedded posts) and a heuristic it
does NOT use: the latest date an article mentions as a lower bound of its date (it is wrong too
often: news mentions future events).

    .venv/bin/python benchmarks/dates.py ../shared/data [--limit N] [--out runs/dates.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import re  # noqa: E402

from index.cleaning import clean_article  # noqa: E402
from index.dates import find_dates  # noqa: E402

_BARE_YEAR = re.compile(r"\b(?:en|depuis|in|since|de|of|année|year)\s+(19[5-9]\d|20\d\d)\b", re.IGNORECASE)


def latest_mentioned(text: str) -> str | None:
    """The latest date the text mentions (day, month or bare year), as a lower bound."""
    found = [d.value for d in find_dates(text, month_precision=True)]
    found += [date(int(y), 1, 1) for y in _BARE_YEAR.findall(text)]
    return max(found).isoformat() if found else None


def lower_bound(value: str) -> date:
    parts = value.split("-")
    return date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the shared data directory (contains orangesum/)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N articles")
    parser.add_argument("--out", type=Path, default=Path("runs/dates.json"))
    args = parser.parse_args()

    started = time.perf_counter()
    n = exact = approx = bound = bound_ok = 0
    gaps: list[int] = []
    errors: list[int] = []
    with gzip.open(args.data / "orangesum" / "articles.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            truth = date.fromisoformat(rec["date"])
            cleaned = clean_article(rec["text"], title=rec.get("title"))  # text only: metadata ignored
            n += 1
            if cleaned.date:
                found = date.fromisoformat(cleaned.date)
                errors.append(abs((found - truth).days))
                if cleaned.date_source in {"dateline", "published-line"}:
                    exact += 1
                else:
                    approx += 1
            elif (mentioned := latest_mentioned(cleaned.text)) is not None:
                bound += 1
                lb = lower_bound(mentioned)
                if lb <= truth:
                    bound_ok += 1
                    gaps.append((truth - lb).days)
            if args.limit and n >= args.limit:
                break
    result = {
        "articles": n,
        "stated_date_found": exact, "approximate_date_found": approx,
        "date_error_days_median": statistics.median(errors) if errors else None,
        "not_before_found": bound, "not_before_correct": bound_ok,
        "not_before_gap_days_median": statistics.median(gaps) if gaps else None,
        "no_date_information": n - exact - approx - bound,
        "seconds": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"{'OrangeSum articles, date read from the text only':52s} {n:>8,}")
    print(f"{'  a stated date (dateline, « publié le »)':52s} {exact:>8,}")
    print(f"{'  an approximate date (embedded post)':52s} {approx:>8,}")
    if errors:
        print(f"{'    median error vs metadata (days)':52s} {statistics.median(errors):>8}")
    print(f"{'  else a lower bound (latest date mentioned; unused)':52s} {bound:>8,}")
    if bound:
        print(f"{'    bound not after the true date':52s} {bound_ok / bound:>8.1%}")
        print(f"{'    median gap to the true date (days)':52s} {statistics.median(gaps) if gaps else '-':>8}")
    print(f"{'  nothing':52s} {result['no_date_information']:>8,}")
    print(f"JSON: {args.out}")


if __name__ == "__main__":
    main()
