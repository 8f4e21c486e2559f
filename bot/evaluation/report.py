"""The report people read: report.md and report.html (same content; the HTML embeds its plots so it
can be mailed or attached to a CI run on its own), with the summary table, the baseline diff, plots
(score per category, latency histogram) and every failed question: what was expected next to what
was answered, so a person sees at a glance what broke."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from bot.evaluation.baseline import is_worse
from bot.evaluation.metrics import METRICS, metric_value_label

CATEGORY_PLOT = "score_by_category.png"
LATENCY_PLOT = "latency.png"
#: answers longer than this are cut in the failed-questions list (results.jsonl has them whole)
MAX_ANSWER_CHARS = 1200


# -- plots --------------------------------------------------------------------------------------------
def write_plots(summary: dict, results: list[dict], out: Path) -> list[str]:
    """PNG plots into ``out``; returns their file names."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = []
    cats = summary.get("by_category") or {}
    if cats:
        labels = list(cats)
        fig, ax = plt.subplots(figsize=(7, 0.5 * len(labels) + 1.8), dpi=100)
        y = range(len(labels))
        passed = [cats[c]["pass_rate"] for c in labels]
        recall = [cats[c]["fact_recall"] if cats[c]["fact_recall"] is not None else 0 for c in labels]
        ax.barh([i + 0.2 for i in y], passed, height=0.4, label="pass rate", color="#3b7dd8")
        ax.barh([i - 0.2 for i in y], recall, height=0.4, label="fact recall", color="#9ac26b")
        ax.set_yticks(list(y), [f"{c} ({cats[c]['questions']})" for c in labels])
        ax.set_xlim(0, 1.02)
        ax.invert_yaxis()
        ax.grid(axis="x", alpha=0.3)
        ax.set_title("Score per category (number of questions)")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=2, fontsize=8, frameon=False)
        fig.tight_layout()
        fig.savefig(out / CATEGORY_PLOT)
        plt.close(fig)
        names.append(CATEGORY_PLOT)
    latencies = [r["latency_ms"] for r in results if r.get("latency_ms") is not None]
    if latencies:
        fig, ax = plt.subplots(figsize=(7, 3), dpi=100)
        ax.hist(latencies, bins=min(30, max(5, len(latencies) // 3)), color="#888888")
        m = summary["metrics"]
        for key, style in (("latency_p50_ms", "-"), ("latency_p95_ms", "--")):
            if m.get(key) is not None:
                ax.axvline(m[key], color="#c0392b", linestyle=style, label=f"{key[8:11]} {m[key]:,.0f} ms")
        ax.set_xlabel("latency (ms)")
        ax.set_ylabel("questions")
        ax.set_title("Latency per question")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(out / LATENCY_PLOT)
        plt.close(fig)
        names.append(LATENCY_PLOT)
    return names


# -- shared content -----------------------------------------------------------------------------------
def _run_facts(summary: dict) -> list[tuple[str, str]]:
    s, c, corpus = summary.get("settings", {}), summary["counts"], summary.get("corpus", {})
    version = summary.get("code_version", {})
    rows = [
        ("Questions", f"{summary.get('questions_file') or '(in memory)'} — {c['questions']} ({c['answerable']} "
                      f"answerable, {c['unanswerable']} unanswerable)"),
        ("Date", summary.get("date", "")),
        ("Code", f"{version.get('git') or 'unknown commit'}{' (uncommitted changes)' if version.get('dirty') else ''}"
                 f", kiosque {version.get('package') or '?'}"),
    ]
    if corpus:
        rows.append(("Corpus", f"{corpus.get('articles')} articles, {corpus.get('chunks')} chunks "
                               f"({corpus.get('store')})"))
    if s:
        rows.append(("Settings", ", ".join(f"{k}={v}" for k, v in s.items())))
    rows.append(("Result", f"{c['passed']} of {c['questions']} questions pass"
                           + (f"; {c['errors']} raised an error" if c.get("errors") else "")))
    return rows


def _metric_rows(summary: dict) -> list[dict]:
    metrics, base = summary["metrics"], (summary.get("baseline") or {}).get("deltas", {})
    failed_names = {f.split(" ", 1)[0] for f in (summary.get("thresholds") or {}).get("failed", [])}
    limits = {**(summary.get("thresholds") or {}).get("fail_under", {}),
              **(summary.get("thresholds") or {}).get("fail_over", {})}
    rows = []
    for name, metric in METRICS.items():
        value = metrics.get(name)
        if value is None and name.startswith("judge_"):
            continue
        row = {"name": name, "value": metric_value_label(name, value), "description": metric.description,
               "threshold": "", "failed": name in failed_names, "baseline": "", "delta": "", "worse": False}
        if name in limits:
            row["threshold"] = ("≥ " if metric.higher_is_better else "≤ ") + f"{limits[name]:g}"
        if name in base:
            d = base[name]
            row["baseline"] = metric_value_label(name, d["before"])
            if d["delta"] is not None:
                row["delta"] = (f"{d['delta']:+,.0f} ms" if metric.unit == "ms" else f"{d['delta']:+.3f}")
                row["worse"] = is_worse(name, d["delta"])
        rows.append(row)
    return rows


def _expected_facts(r: dict) -> list[tuple[str, bool | None]]:
    found = (r.get("scores") or {}).get("facts_found") or []
    return [(" | ".join(f), found[i] if i < len(found) else None) for i, f in enumerate(r["expected_facts"])]


def _cut(text: str | None) -> str:
    text = text or ""
    return text if len(text) <= MAX_ANSWER_CHARS else text[:MAX_ANSWER_CHARS] + " […]"


# -- Markdown -----------------------------------------------------------------------------------------
def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(summary: dict, results: list[dict], plots: list[str]) -> str:
    lines = ["# Kiosque evaluation", ""]
    lines += [f"- **{k}:** {_md(v)}" for k, v in _run_facts(summary)]
    gate = summary.get("thresholds") or {}
    if gate.get("failed"):
        lines += ["", "**The gate failed:** " + "; ".join(gate["failed"])]
    elif gate.get("fail_under") or gate.get("fail_over"):
        lines += ["", "The gate passed: every threshold is met."]
    has_base = bool(summary.get("baseline"))
    lines += ["", "## Metrics", ""]
    head = "| metric | value | " + ("baseline | delta | " if has_base else "") + "threshold | what it measures |"
    lines += [head, "|" + "---|" * (head.count("|") - 1)]
    for row in _metric_rows(summary):
        flag = " ❌" if row["failed"] else ""
        base = f"{row['baseline']} | {row['delta']}{' ⚠' if row['worse'] else ''} | " if has_base else ""
        label = f"{row['name']} (LLM-judged)" if row["name"].startswith("judge_") else row["name"]
        lines.append(f"| {label} | {row['value']}{flag} | {base}{row['threshold']} | {row['description']} |")
    lines += _md_baseline(summary, results)
    lines += _md_judge(summary)
    if plots:
        lines += ["", "## Plots", ""] + [f"![{p}]({p})" for p in plots]
    for key, title in (("by_category", "category"), ("by_language", "language")):
        groups = summary.get(key) or {}
        if groups:
            lines += ["", f"## Per {title}", "", f"| {title} | questions | pass rate | fact recall |",
                      "|---|---|---|---|"]
            for name, c in groups.items():
                recall = "n/a" if c["fact_recall"] is None else f"{c['fact_recall']:.3f}"
                lines.append(f"| {name} | {c['questions']} | {c['pass_rate']:.3f} | {recall} |")
    failed = [r for r in results if not r["passed"]]
    lines += ["", f"## Failed questions ({len(failed)})", ""]
    if not failed:
        lines.append("None: every question passes.")
    for r in failed:
        lines += _md_failed(r)
    return "\n".join(lines) + "\n"


def _md_baseline(summary: dict, results: list[dict]) -> list[str]:
    base = summary.get("baseline")
    if not base:
        return []
    by_id = {r["id"]: r for r in results}
    lines = ["", "## Against the baseline", "",
             f"Baseline: `{base.get('dir')}` ({base.get('date')}, code "
             f"{(base.get('code_version') or {}).get('git') or 'unknown'})."]
    for key, title in (("regressions", "Pass → fail"), ("fixes", "Fail → pass")):
        ids = base.get(key) or []
        lines += ["", f"**{title} ({len(ids)}):**" + ("" if ids else " none")]
        for i in ids:
            r = by_id.get(i, {})
            lines.append(f"- `{i}` {_md(r.get('question', ''))}" +
                         (f" — now: {_md('; '.join(r.get('failures') or []))}" if key == "regressions" else ""))
    for key, title in (("added", "New questions"), ("removed", "Questions no longer in the set")):
        if base.get(key):
            lines += ["", f"{title}: " + ", ".join(f"`{i}`" for i in base[key])]
    return lines


def _md_judge(summary: dict) -> list[str]:
    judge = summary.get("judge")
    if not judge:
        return []
    return ["", "## LLM-judged scores", "",
            f"Scored by the LLM `{judge.get('model')}` with prompts/judge.md: an opinion of a model, not a "
            f"measurement. {judge.get('judged', 0)} answers judged, {judge.get('errors', 0)} judge errors."]


def _md_failed(r: dict) -> list[str]:
    lines = [f"### `{r['id']}` ({r.get('category') or ('answerable' if r['answerable'] else 'unanswerable')})", "",
             f"**Question:** {_md(r['question'])}", ""]
    lines.append("**Why it fails:** " + _md("; ".join(r["failures"])))
    lines.append("")
    if r["answerable"]:
        lines.append("**Expected:** articles " + (", ".join(f"`{a}`" for a in r["relevant_articles"]) or "(any)"))
        for fact, ok in _expected_facts(r):
            mark = {True: "✔", False: "✘", None: "?"}[ok]
            lines.append(f"- {mark} {_md(fact)}")
    else:
        lines.append("**Expected:** a refusal (the articles do not say)")
    answer = r.get("answer") or {}
    lines += ["", "**Answered**" + (" (refused)" if answer.get("refused") else "") + ":", ""]
    lines += ["> " + line if line else ">" for line in _cut(answer.get("text") or r.get("error") or "").splitlines()]
    invalid = set((r.get("scores") or {}).get("invalid_citations") or [])
    for c in answer.get("citations") or []:
        bad = " **(not verbatim in the article)**" if c["n"] in invalid else ""
        lines.append(f"- [{c['n']}] `{c['article_id']}` {_md(c['title'])}, {c.get('date') or 'undated'}{bad}: "
                     f"“{_md(c['quote'])}”")
    if answer.get("related"):
        lines.append("")
        lines.append("Closest passages, not used:")
        for c in answer["related"]:
            lines.append(f"- `{c['article_id']}`: “{_md(c['quote'])}”")
    lines.append("")
    lines.append("Retrieved: " + (", ".join(f"`{a}`" for a in answer.get("retrieved") or []) or "nothing"))
    lines.append("")
    return lines


# -- HTML ---------------------------------------------------------------------------------------------
_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;
color:#222;line-height:1.45}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;
vertical-align:top}th{background:#f3f3f3}.bad{color:#b00020;font-weight:bold}.good{color:#1b7f3b}
.warn{color:#b36b00}.q{border:1px solid #ddd;border-left:4px solid #b00020;padding:.6em 1em;margin:1em 0}
blockquote{margin:.5em 0;padding:.3em .8em;background:#f7f7f7;border-left:3px solid #bbb;white-space:pre-wrap}
.judge{border:1px dashed #7a55c7;padding:.5em 1em;background:#f8f5ff}code{background:#f1f1f1;padding:0 .2em}
img{max-width:100%}.muted{color:#666}
"""


def _e(text) -> str:
    return html.escape(str(text if text is not None else ""))


def render_html(summary: dict, results: list[dict], plots: list[str], out: Path) -> str:
    parts = ["<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Kiosque evaluation</title>",
             f"<style>{_CSS}</style></head><body><h1>Kiosque evaluation</h1><table>"]
    parts += [f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in _run_facts(summary)]
    parts.append("</table>")
    gate = summary.get("thresholds") or {}
    if gate.get("failed"):
        parts.append(f"<p class='bad'>The gate failed: {_e('; '.join(gate['failed']))}</p>")
    elif gate.get("fail_under") or gate.get("fail_over"):
        parts.append("<p class='good'>The gate passed: every threshold is met.</p>")

    has_base = bool(summary.get("baseline"))
    parts.append("<h2>Metrics</h2><table><tr><th>metric</th><th>value</th>"
                 + ("<th>baseline</th><th>delta</th>" if has_base else "")
                 + "<th>threshold</th><th>what it measures</th></tr>")
    for row in _metric_rows(summary):
        label = _e(row["name"]) + (" <em>(LLM-judged)</em>" if row["name"].startswith("judge_") else "")
        value = f"<span class='bad'>{_e(row['value'])} ✘</span>" if row["failed"] else _e(row["value"])
        base = ""
        if has_base:
            cls = "warn" if row["worse"] else ""
            base = f"<td>{_e(row['baseline'])}</td><td class='{cls}'>{_e(row['delta'])}</td>"
        parts.append(f"<tr><td>{label}</td><td>{value}</td>{base}<td>{_e(row['threshold'])}</td>"
                     f"<td class='muted'>{_e(row['description'])}</td></tr>")
    parts.append("</table>")

    base = summary.get("baseline")
    if base:
        by_id = {r["id"]: r for r in results}
        parts.append(f"<h2>Against the baseline</h2><p>Baseline <code>{_e(base.get('dir'))}</code> "
                     f"({_e(base.get('date'))}, code {_e((base.get('code_version') or {}).get('git') or 'unknown')})</p>")
        for key, title, cls in (("regressions", "Pass → fail", "bad"), ("fixes", "Fail → pass", "good")):
            ids = base.get(key) or []
            parts.append(f"<h3 class='{cls}'>{title} ({len(ids)})</h3><ul>")
            for i in ids:
                r = by_id.get(i, {})
                why = f" — now: {_e('; '.join(r.get('failures') or []))}" if key == "regressions" else ""
                parts.append(f"<li><code>{_e(i)}</code> {_e(r.get('question'))}{why}</li>")
            parts.append("</ul>")
        for key, title in (("added", "New questions"), ("removed", "Questions no longer in the set")):
            if base.get(key):
                parts.append(f"<p>{title}: " + ", ".join(f"<code>{_e(i)}</code>" for i in base[key]) + "</p>")

    judge = summary.get("judge")
    if judge:
        parts.append(f"<div class='judge'><h2>LLM-judged scores</h2><p>Scored by the LLM <code>{_e(judge.get('model'))}"
                     f"</code> with prompts/judge.md: an opinion of a model, not a measurement. "
                     f"{_e(judge.get('judged', 0))} answers judged, {_e(judge.get('errors', 0))} judge errors.</p></div>")

    if plots:
        parts.append("<h2>Plots</h2>")
        for p in plots:
            data = base64.b64encode((out / p).read_bytes()).decode()
            parts.append(f"<p><img alt='{_e(p)}' src='data:image/png;base64,{data}'></p>")
    for key, title in (("by_category", "category"), ("by_language", "language")):
        groups = summary.get(key) or {}
        if not groups:
            continue
        parts.append(f"<h2>Per {title}</h2><table><tr><th>{title}</th><th>questions</th><th>pass rate</th>"
                     "<th>fact recall</th></tr>")
        for name, c in groups.items():
            recall = "n/a" if c["fact_recall"] is None else f"{c['fact_recall']:.3f}"
            parts.append(f"<tr><td>{_e(name)}</td><td>{c['questions']}</td><td>{c['pass_rate']:.3f}</td>"
                         f"<td>{recall}</td></tr>")
        parts.append("</table>")

    failed = [r for r in results if not r["passed"]]
    parts.append(f"<h2>Failed questions ({len(failed)})</h2>")
    if not failed:
        parts.append("<p class='good'>None: every question passes.</p>")
    for r in failed:
        parts.append(_html_failed(r))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _html_failed(r: dict) -> str:
    cat = r.get("category") or ("answerable" if r["answerable"] else "unanswerable")
    p = [f"<div class='q' id='{_e(r['id'])}'><h3><code>{_e(r['id'])}</code> <span class='muted'>{_e(cat)}</span></h3>",
         f"<p><b>Question:</b> {_e(r['question'])}</p>",
         f"<p class='bad'>{_e('; '.join(r['failures']))}</p>"]
    if r["answerable"]:
        arts = ", ".join(f"<code>{_e(a)}</code>" for a in r["relevant_articles"]) or "(any)"
        p.append(f"<p><b>Expected:</b> articles {arts}</p><ul>")
        for fact, ok in _expected_facts(r):
            mark = {True: "<span class='good'>✔</span>", False: "<span class='bad'>✘</span>", None: "?"}[ok]
            p.append(f"<li>{mark} {_e(fact)}</li>")
        p.append("</ul>")
    else:
        p.append("<p><b>Expected:</b> a refusal (the articles do not say)</p>")
    answer = r.get("answer") or {}
    p.append(f"<p><b>Answered</b>{' (refused)' if answer.get('refused') else ''}:</p>"
             f"<blockquote>{_e(_cut(answer.get('text') or r.get('error')))}</blockquote>")
    if answer.get("citations"):
        invalid = set((r.get("scores") or {}).get("invalid_citations") or [])
        p.append("<ul>")
        for c in answer["citations"]:
            bad = " <span class='bad'>(not verbatim in the article)</span>" if c["n"] in invalid else ""
            p.append(f"<li>[{c['n']}] <code>{_e(c['article_id'])}</code> {_e(c['title'])}, "
                     f"{_e(c.get('date') or 'undated')}{bad}: “{_e(c['quote'])}”</li>")
        p.append("</ul>")
    if answer.get("related"):
        p.append("<p class='muted'>Closest passages, not used:</p><ul class='muted'>")
        p += [f"<li><code>{_e(c['article_id'])}</code>: “{_e(c['quote'])}”</li>" for c in answer["related"]]
        p.append("</ul>")
    retrieved = ", ".join(f"<code>{_e(a)}</code>" for a in answer.get("retrieved") or []) or "nothing"
    p.append(f"<p class='muted'>Retrieved: {retrieved} · {r.get('latency_ms', 0):,.0f} ms</p></div>")
    return "\n".join(p)


def write_reports(summary: dict, results: list[dict], out: Path) -> list[str]:
    """report.md, report.html and their plots into ``out``; returns the file names written."""
    plots = write_plots(summary, results, out)
    (out / "report.md").write_text(render_markdown(summary, results, plots), encoding="utf-8")
    (out / "report.html").write_text(render_html(summary, results, plots, out), encoding="utf-8")
    return [*plots, "report.md", "report.html"]
