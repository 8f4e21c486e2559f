"""A whole run on a hand-made answer function: what results.jsonl, summary.json and the reports hold."""

from __future__ import annotations

import json
from datetime import date

import pytest

from bot.answer.records import AnswerRecord
from bot.evaluation.evaluate import evaluate, write_run
from bot.evaluation.questions import parse_lines
from bot.evaluation.records import ResultRecord
from bot.evaluation.runner import run_questions
from index.retrieval import Filters
from tests.bot.evaluation.helpers import TEXTS, answer, cite, question

QUOTE1 = "Sergueï Choïgou s'est entretenu avec Ali Akbar Ahmadian."


def questions():
    return [
        question("who", category="who", relevant=["a1"], facts=[["Ahmadian"]],
                 text="Avec qui Choïgou s'est-il entretenu ?"),
        question("trade", category="number", relevant=["a2"], facts=[["2 milliards de dollars"]],
                 text="Quel commerce bilatéral ?"),
        question("calls", category="number", relevant=["a3"], facts=[["six fois"]], text="Combien d'appels ?"),
        question("nope", answerable=False, category="unanswerable", text="Quel est le budget du Mossad ?"),
    ]


def answer_fn(q: str, filters=None):
    """Right on "who", refuses "trade", invents a quote for "calls", answers the unanswerable one."""
    if q.startswith("Avec qui"):
        return answer(q, f"« {QUOTE1} » [1]", [cite(1, "a1", QUOTE1)], retrieved=["a1", "a2"])
    if q.startswith("Quel commerce"):
        return answer(q, "Les articles ne le disent pas.", refused=True, retrieved=["a3", "a2"],
                      related=[cite(1, "a2", TEXTS["a2"])])
    if q.startswith("Combien"):
        fake = "Ils se sont parlé six fois, <b>en secret</b>."
        return answer(q, f"« {fake} » [1]", [cite(1, "a3", fake)], retrieved=["a3"])
    return answer(q, f"« {TEXTS['a2']} » [1]", [cite(1, "a2", TEXTS["a2"])], retrieved=["a2"])


def texts_fn(ids):
    return {i: TEXTS[i] for i in ids if i in TEXTS}


def test_an_answer_that_raises_is_recorded_and_the_others_still_run():
    def flaky(q, filters=None):
        if "commerce" in q:
            raise RuntimeError("store went away")
        return answer_fn(q)

    outcomes = run_questions(questions(), flaky, progress=False)
    assert [o.error for o in outcomes] == [None, "RuntimeError: store went away", None, None]
    assert all(o.latency_ms > 0 for o in outcomes) and outcomes[0].answer.citations
    summary, results = evaluate(questions(), flaky, texts_fn, warmup=False, progress=False)
    assert summary["counts"]["errors"] == 1
    assert results[1].passed is False and results[1].failures == ["error: RuntimeError: store went away"]


def test_results_summary_and_reports(tmp_path):
    calls = []

    def counting(q, filters=None):
        calls.append(q)
        return answer_fn(q)

    summary, results = evaluate(
        questions(), counting, texts_fn, questions_file="evals/x.jsonl", progress=False,
        context={"settings": {"answer_mode": "extractive", "top_k": 5}, "corpus": {"articles": 3, "chunks": 3}},
        fail_under={"pass_rate": 0.9}, fail_over={"latency_p95_ms": 60_000},
    )
    assert len(calls) == 5  # one untimed warm-up, then each question once
    assert [r.passed for r in results] == [True, False, False, False]

    m = summary["metrics"]
    assert m["pass_rate"] == 0.25 and m["false_refusal_rate"] == pytest.approx(1 / 3)
    assert m["citation_validity"] == pytest.approx(2 / 3) and m["refusal_accuracy"] == 0.0
    assert summary["thresholds"]["failed"] == ["pass_rate = 0.25 < 0.9"]
    assert summary["counts"] == {"questions": 4, "answerable": 3, "unanswerable": 1, "passed": 1, "errors": 0,
                                 "citations": 3}
    assert summary["settings"]["answer_mode"] == "extractive" and summary["corpus"]["articles"] == 3
    assert summary["code_version"]["package"] and summary["date"]
    assert set(summary["by_category"]) == {"who", "number", "unanswerable"}

    written = write_run(tmp_path / "run", summary, results)
    names = sorted(p.name for p in written)
    assert names == ["latency.png", "report.html", "report.md", "results.jsonl", "score_by_category.png",
                     "summary.json"]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == names  # no scratch folder left

    rows = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    who = rows[0]
    assert set(who) == set(ResultRecord.model_fields) and set(who["answer"]) == set(AnswerRecord.model_fields)
    # what was answered is the object `kiosque ask --json` prints, and it reads back
    assert who["answer"] == AnswerRecord.of(answer_fn(who["question"])).to_dict()
    assert AnswerRecord.model_validate(who["answer"]) == results[0].answer
    assert who["answer"]["citations"] == [{
        "n": 1, "article_id": "a1", "title": "Title a1", "outlet": "Outlet", "date": "2026-01-12",
        "date_source": "dateline", "url": None, "quote": QUOTE1, "start": 0, "end": len(QUOTE1), "also_in": [],
        "answer_span": None, "span_start": None, "span_end": None}]
    assert who["answer"]["retrieved"] == ["a1", "a2"] and who["scores"]["fact_recall"] == 1.0
    assert who["answer"]["related"] == [] and rows[1]["answer"]["related"][0]["article_id"] == "a2"
    assert rows[2]["failures"] == ["citations not verbatim in their article: [1]"]
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["metrics"] == m
    assert (tmp_path / "run" / "latency.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    md = (tmp_path / "run" / "report.md").read_text()
    assert "| pass_rate | 0.250 ❌ |" in md and "**The gate failed:** pass_rate = 0.25 < 0.9" in md
    assert "## Failed questions (3)" in md and "`who`" not in md.split("## Failed questions")[1]
    trade = md.split("### `trade`")[1].split("###")[0]
    assert "refused an answerable question" in trade and "- ✘ 2 milliards de dollars" in trade
    assert "**Answered** (refused):" in trade and "Retrieved: `a3`, `a2`" in trade
    assert f"Closest passages, not used:\n- `a2`: “{TEXTS['a2']}”" in trade
    calls_md = md.split("### `calls`")[1].split("###")[0]
    assert "**(not verbatim in the article)**" in calls_md
    assert "**Expected:** a refusal" in md.split("### `nope`")[1]
    assert "![score_by_category.png](score_by_category.png)" in md

    page = (tmp_path / "run" / "report.html").read_text()
    assert page.count("src='data:image/png;base64,") == 2  # the page stands alone
    assert "&lt;b&gt;en secret&lt;/b&gt;" in page and "<b>en secret</b>" not in page  # answers are escaped
    assert "The gate failed" in page and "LLM-judged" not in page  # no judge ran: nothing labelled so


def test_a_passing_run_says_so(tmp_path):
    q = questions()[:1]
    summary, results = evaluate(q, answer_fn, texts_fn, progress=False, warmup=False, fail_under={"pass_rate": 1})
    assert summary["thresholds"]["failed"] == []
    write_run(tmp_path, summary, results)
    md = (tmp_path / "report.md").read_text()
    assert "The gate passed" in md and "None: every question passes." in md


def test_a_question_is_asked_with_the_filters_its_record_gives():
    [q] = parse_lines([json.dumps({"id": "f", "question": "Avec qui Choïgou s'est-il entretenu ?",
                                   "relevant_articles": ["a1"], "filters": {"as_of": "31/12/2025", "outlets": ["O"]}})])
    seen = []

    def remembering(text, filters=None):
        seen.append(filters)
        return answer_fn(text)

    summary, [result] = evaluate([q], remembering, texts_fn, warmup=False, progress=False)
    assert seen == [Filters(date_to=date(2025, 12, 31), outlets=("O",))]
    assert result.to_dict()["filters"] == {"from": None, "to": None, "as_of": "31/12/2025", "outlets": ["O"]}
