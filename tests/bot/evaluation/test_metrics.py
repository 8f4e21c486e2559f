"""Metric arithmetic on small hand-made cases: matching, pass/fail, and every aggregate."""

from __future__ import annotations

import pytest

from bot.evaluation.metrics import (METRICS, aggregate, by_category, by_language, citation_is_valid, contains,
                                    fact_present, fold, score_question)
from tests.bot.evaluation.helpers import TEXTS, answer, cite, question


def test_fold_ignores_case_accents_apostrophes_and_spacing():
    assert fold("Sergueï  CHOÏGOU") == fold("sergueï choigou") == "serguei choigou"
    assert fold("l’Iran") == fold("l'Iran")
    assert fold("1\u00a0300") == fold("1 300")  # a no-break space in a number


def test_facts_match_whole_words_with_any_accepted_spelling():
    assert fact_present(["Shoigu", "Choïgou"], "Le ministre Sergueï Choigou a appelé.")
    assert not fact_present(["Shoigu"], "Le ministre Sergueï Choïgou a appelé.")
    assert contains("six fois au téléphone", "six fois")
    assert not contains("la sixième fois", "six")  # a fact is a word, not a prefix of one
    assert not contains("anything", "   ")


def test_citation_validity_is_verbatim_not_folded():
    assert citation_is_valid("a2", "plus de 2 milliards de dollars", TEXTS)
    assert not citation_is_valid("a2", "PLUS de 2 milliards de dollars", TEXTS)  # not what the article says
    assert not citation_is_valid("zz", "plus de 2 milliards", TEXTS)  # no such article
    assert not citation_is_valid("a2", "", TEXTS)


def test_a_correct_answer_passes_with_full_scores():
    q = question(facts=[["Ahmadian"], ["12 janvier 2026"]])
    quote = "Sergueï Choïgou s'est entretenu avec Ali Akbar Ahmadian."
    a = answer(text=f"« {quote} » [1] L'appel a eu lieu le 12 janvier 2026.", citations=[cite(1, "a1", quote)],
               retrieved=["a1", "a2"])
    s = score_question(q, a, TEXTS)
    assert s.passed and s.failures == []
    assert (s.hit_at_1, s.hit_at_5, s.rr_at_10, s.cited_relevant, s.fact_recall) == (1, 1, 1, 1, 1)
    assert (s.citations, s.citations_valid, s.cited_articles, s.cited_articles_relevant) == (1, 1, 1, 1)


def test_a_refused_answerable_question_fails_and_counts_as_a_false_refusal():
    q = question(facts=[["Ahmadian"]])
    s = score_question(q, answer(text="Les articles ne le disent pas.", refused=True, retrieved=["a2", "a1"]), TEXTS)
    assert not s.passed and s.failures == ["refused an answerable question", "missing facts: Ahmadian"]
    assert s.fact_recall == 0 and s.cited_relevant == 0
    assert s.hit_at_1 == 0 and s.hit_at_5 == 1 and s.rr_at_10 == 0.5  # retrieval is scored apart from answering
    m = aggregate([q], [s], [10.0])
    assert m["false_refusal_rate"] == 1 and m["pass_rate"] == 0 and m["refusal_accuracy"] is None


def test_an_invented_citation_fails_the_question_and_lowers_citation_validity():
    q = question(facts=[["Ahmadian"]])
    real = "Sergueï Choïgou s'est entretenu avec Ali Akbar Ahmadian."
    invented = "Choïgou a promis des missiles à Ahmadian."  # in no article
    a = answer(text=f"« {real} » [1] « {invented} » [2]", citations=[cite(1, "a1", real), cite(2, "a1", invented)],
               retrieved=["a1"])
    s = score_question(q, a, TEXTS)
    assert not s.passed
    assert s.invalid_citations == [2] and s.citations_valid == 1
    assert s.failures == ["citations not verbatim in their article: [2]"]
    assert aggregate([q], [s], [1.0])["citation_validity"] == 0.5


def test_citing_only_an_irrelevant_article_fails_and_lowers_precision():
    q = question(relevant=["a1"], facts=[["2 milliards"]])
    quote = "Le commerce bilatéral aurait atteint plus de 2 milliards de dollars en 2025."
    s = score_question(q, answer(text=quote, citations=[cite(1, "a2", quote)], retrieved=["a2", "a3"]), TEXTS)
    assert not s.passed and s.failures == ["cites no relevant article (cited: a2)"]
    assert s.fact_recall == 1 and s.cited_relevant == 0 and s.rr_at_10 == 0
    m = aggregate([q], [s], [1.0])
    assert m["citation_precision"] == 0 and m["cited_article_accuracy"] == 0 and m["mrr_at_10"] == 0


def test_partial_facts_give_partial_recall():
    q = question(facts=[["Ahmadian"], ["12 janvier 2026"], ["Téhéran"]])
    s = score_question(q, answer(text="Il a parlé avec Ahmadian le 12 janvier 2026.",
                                 citations=[cite(1, "a1", "L'appel a eu lieu le 12 janvier 2026.")]), TEXTS)
    assert s.facts_found == [True, True, False] and s.fact_recall == pytest.approx(2 / 3)
    assert s.failures == ["missing facts: Téhéran"]


def test_unanswerable_questions_pass_only_when_refused():
    q = question("u1", answerable=False)
    refused = score_question(q, answer(text="Je ne sais pas.", refused=True, retrieved=["a1"]), TEXTS)
    answered = score_question(q, answer(text="Six fois.", citations=[cite(1, "a3", TEXTS["a3"])]), TEXTS)
    assert refused.passed and not answered.passed
    assert answered.failures == ["answered a question the articles do not answer"]
    assert refused.hit_at_1 is None and refused.fact_recall is None  # nothing to retrieve or find
    m = aggregate([q, q], [refused, answered], [1.0, 2.0])
    assert m["refusal_accuracy"] == 0.5 and m["false_refusal_rate"] is None
    assert m["hit_at_1"] is None and m["citation_precision"] is None
    assert m["citation_validity"] == 1.0  # the unanswerable answer's citation is still checked


def test_aggregate_over_a_mixed_run():
    q1 = question("q1", relevant=["a1"], facts=[["Ahmadian"]])
    q2 = question("q2", relevant=["a3"], facts=[["six fois"], ["Netanyahu"]])
    u1 = question("u1", answerable=False)
    quote1 = "Sergueï Choïgou s'est entretenu avec Ali Akbar Ahmadian."
    s1 = score_question(q1, answer(text=quote1, citations=[cite(1, "a1", quote1)], retrieved=["a1", "a3"]), TEXTS)
    s2 = score_question(q2, answer(text="six fois [1] [2]", citations=[cite(1, "a3", TEXTS["a3"]),
                                                                        cite(2, "a2", TEXTS["a2"])],
                                   retrieved=["a2", "a1", "a3"]), TEXTS)
    s3 = score_question(u1, answer(text="non", refused=True), TEXTS)
    m = aggregate([q1, q2, u1], [s1, s2, s3], [100.0, 200.0, 300.0])
    assert m["pass_rate"] == pytest.approx(2 / 3)  # q2 misses "Netanyahu"
    assert m["hit_at_1"] == 0.5 and m["hit_at_5"] == 1.0
    assert m["mrr_at_10"] == pytest.approx((1 + 1 / 3) / 2)
    assert m["fact_recall"] == pytest.approx((1 + 0.5) / 2)
    assert m["cited_article_accuracy"] == 1.0
    assert m["citation_precision"] == pytest.approx(2 / 3)  # a1; a3 and (irrelevant) a2
    assert m["citation_validity"] == 1.0
    assert m["refusal_accuracy"] == 1.0 and m["false_refusal_rate"] == 0.0
    assert m["latency_p50_ms"] == 200.0 and m["latency_p95_ms"] == pytest.approx(290.0)
    assert m["judge_faithfulness"] is None
    assert list(m) == list(METRICS)


def test_an_errored_question_fails_but_skews_no_other_metric():
    q1, q2 = question("q1", facts=[["Ahmadian"]]), question("q2", facts=[["Ahmadian"]])
    quote = "Sergueï Choïgou s'est entretenu avec Ali Akbar Ahmadian."
    s1 = score_question(q1, answer(text=quote, citations=[cite(1, "a1", quote)], retrieved=["a1"]), TEXTS)
    m = aggregate([q1, q2], [s1, None], [5.0, 7.0])
    assert m["pass_rate"] == 0.5 and m["fact_recall"] == 1.0 and m["false_refusal_rate"] == 0.0


def test_scores_per_category():
    q1, q2 = question("q1", category="who", facts=[["Ahmadian"]]), question("q2", category="when", facts=[["2026"]])
    u1 = question("u1", answerable=False)
    s1 = score_question(q1, answer(text="Ahmadian", citations=[cite(1, "a1", "Ali Akbar Ahmadian")]), TEXTS)
    s2 = score_question(q2, answer(text="non", refused=True), TEXTS)
    s3 = score_question(u1, answer(text="non", refused=True), TEXTS)
    cats = by_category([q1, q2, u1], [s1, s2, s3])
    assert cats == {"unanswerable": {"questions": 1, "pass_rate": 1.0, "fact_recall": None},
                    "when": {"questions": 1, "pass_rate": 0.0, "fact_recall": 0.0},
                    "who": {"questions": 1, "pass_rate": 1.0, "fact_recall": 1.0}}


def test_scores_per_language():
    q1 = question("q1", facts=[["Ahmadian"]], lang="en")
    q2 = question("q2", facts=[["Ahmadian"]])
    s1 = score_question(q1, answer(text="non", refused=True), TEXTS)
    s2 = score_question(q2, answer(text="Ahmadian", citations=[cite(1, "a1", "Ali Akbar Ahmadian")]), TEXTS)
    assert by_language([q1, q2], [s1, s2]) == {
        "en": {"questions": 1, "pass_rate": 0.0, "fact_recall": 0.0},
        "unspecified": {"questions": 1, "pass_rate": 1.0, "fact_recall": 1.0}}


def test_language_accuracy_counts_questions_that_give_a_language():
    en, fr, unknown = (question(i, lang=lang) for i, lang in (("en", "en"), ("fr", "fr"), ("x", None)))
    french = answer(text="non", refused=True)  # helpers frame every answer in French
    scores = [score_question(q, french, TEXTS) for q in (en, fr, unknown)]
    assert [s.language_ok for s in scores] == [False, True, None]
    assert aggregate([en, fr, unknown], scores, [1, 1, 1])["language_accuracy"] == 0.5
