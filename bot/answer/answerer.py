"""The one entry point every front end uses: ``answer(question, history) -> Answer``.

It resolves a follow-up against the conversation, retrieves (hybrid), then answers extractively
(default: no LLM) or generatively (checked, with fallback), and never calls an LLM unless the
generative mode is on."""

from __future__ import annotations

import logging
import re
import time
import unicodedata
from dataclasses import replace

from bot.answer.extractive import ExtractiveAnswerer, compose, date_notes, to_citation
from bot.answer.followup import resolve
from bot.answer.frames import frame
from bot.answer.generative import LLMUnavailable, SupportCheck, check, citations_from, generate
from bot.answer.question import detect_language, profile
from bot.answer.types import Answer, Turn
from index.retrieval import Filters, HybridRetriever

log = logging.getLogger("kiosque.answer")

#: longer questions are cut (the embedder reads 512 tokens anyway); nobody types more than this
MAX_QUESTION_CHARS = 2000


class Answerer:
    def __init__(
        self,
        retriever: HybridRetriever,
        *,
        top_k: int = 5,
        max_quotes: int = 3,
        mode: str = "extractive",
        llm=None,
        show_related: bool = True,
        keyword_language: str = "french",
    ):
        self.retriever = retriever
        self.top_k = top_k
        self.mode = mode
        self.llm = llm
        self.show_related = show_related
        self.keyword_language = keyword_language
        store = retriever.store
        self.extractive = ExtractiveAnswerer(store.analyzer, store.keyword_index, retriever.embedder,
                                             max_quotes=max_quotes)
        self.support_check = SupportCheck(store.analyzer, retriever.embedder)

    def answer(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
               *, explain: bool = False) -> Answer:
        t0 = time.perf_counter()
        question = _clean(question)
        lang = detect_language(question)
        if not re.search(r"\w", question):
            return self._message(question, lang, frame(lang, "empty_question"), t0)
        if not self.retriever.store.catalog.counts()["articles"]:
            return self._message(question, lang, frame(lang, "empty_index"), t0)

        resolved = resolve(question, history)
        q = profile(resolved.question, self.keyword_language)
        q = replace(q, language=lang, kind=resolved.kind or q.kind)
        retrieval = self.retriever.search(resolved.question, k=self.top_k, filters=filters)
        timings = dict(retrieval.timings_ms)
        retrieved = retrieval.article_ids

        answer: Answer | None = None
        fallback_reason = None
        if self.mode == "generative" and self.llm is not None:
            answer, fallback_reason = self._generative(question, resolved.question, lang, retrieval, timings)
        if answer is None:
            exclude = set()
            if resolved.wants_more and resolved.previous_answer:
                exclude = _quoted_in(resolved.previous_answer, retrieval)
            extraction = self.extractive.extract(q, retrieval, exclude=exclude)
            timings.update(extraction.timings_ms)
            citations = [to_citation(i + 1, c, lang) for i, c in enumerate(extraction.chosen)]
            if citations:
                text, notes = compose(lang, citations)
                refused = False
            else:
                text, notes = frame(lang, "refusal"), []
                refused = True
            if fallback_reason:
                text = f"{text}\n{frame(lang, 'fallback_note')}"
            related = [to_citation(i + 1, c, lang) for i, c in enumerate(extraction.related)] if self.show_related else []
            answer = Answer(
                question=question, text=text, citations=citations, refused=refused, language=lang,
                mode="extractive", resolved_question=resolved.question, fallback_reason=fallback_reason,
                related=related if refused else [], retrieved=retrieved, notes=notes,
            )
            if explain:
                answer.evidence = [_explained(c, ok, q) for c, ok in extraction.weighed]
        answer.retrieved = retrieved
        answer.timings_ms = {**timings, "total_ms": (time.perf_counter() - t0) * 1e3}
        return answer

    def _generative(self, question, resolved_question, lang, retrieval, timings) -> tuple[Answer | None, str | None]:
        if not retrieval.sources:
            return None, "nothing retrieved"
        t = time.perf_counter()
        try:
            raw, passages = generate(self.llm, resolved_question, lang, retrieval)
        except LLMUnavailable as exc:
            log.warning("LLM unavailable, answering extractively instead: %s", exc)
            return None, f"LLM unavailable: {exc}"
        finally:
            timings["llm_ms"] = (time.perf_counter() - t) * 1e3
        checked = check(raw, passages, lang, self.support_check)
        for sentence, reason in checked.removed:
            log.info("removed from the generated answer (%s): %s", reason, sentence[:120])
        if checked.refused:
            return Answer(question=question, text=frame(lang, "refusal"), citations=[], refused=True, language=lang,
                          mode="generative", resolved_question=resolved_question), None
        if not checked.sentences:
            reason = "; ".join(r for _, r in checked.removed[:3]) or "no usable sentence"
            log.warning("generated answer failed the citation check, answering extractively: %s", reason)
            return None, f"generated answer failed the citation check ({reason})"
        text, citations = citations_from(checked, passages, retrieval, lang)
        notes = date_notes(lang, citations)
        if checked.removed:
            notes.append(f"{len(checked.removed)} generated sentence(s) removed: "
                         + "; ".join(r for _, r in checked.removed))
        body = "\n".join([text] + date_notes(lang, citations))
        return Answer(question=question, text=body, citations=citations, refused=False, language=lang,
                      mode="generative", resolved_question=resolved_question, notes=notes), None

    def _message(self, question: str, lang: str, text: str, t0: float) -> Answer:
        return Answer(question=question, text=text, citations=[], refused=True, language=lang, mode=self.mode,
                      resolved_question=question, timings_ms={"total_ms": (time.perf_counter() - t0) * 1e3})


def _explained(c, supported: bool, q) -> dict:
    e = c.evidence
    return {
        "article_id": c.article.id, "start": c.start, "end": c.end, "sentences": c.sentences, "score": round(c.score, 3),
        "supported": supported, "coverage": round(e.coverage, 2), "focus_missing": f"{e.focus_missing}/{e.focus_total}",
        "names_here": round(e.names_here, 2), "names_in_article": round(e.names_in_article, 2), "kind": q.kind,
        "kind_ok": e.kind_ok, "window": e.window, "dense": None if e.dense is None else round(e.dense, 3),
        "cross_lingual": c.cross_lingual, "text": c.text,
    }


def _clean(question: str) -> str:
    question = unicodedata.normalize("NFC", question or "")
    question = re.sub(r"<@[!&]?\d+>|<#\d+>", " ", question)  # Discord mentions are not words of the question
    question = re.sub(r"\s+", " ", question).strip()
    return question[:MAX_QUESTION_CHARS]


def _quoted_in(previous_answer: str, retrieval) -> set[tuple[str, int, int]]:
    """Spans already quoted in the previous answer ("who else?" wants other ones)."""
    out = set()
    for source in retrieval.sources:
        text = source.article.text
        for p in source.passages:
            from index.sentences import split_sentences

            for a, b in split_sentences(text, p.start, p.end):
                if text[a:b] in previous_answer:
                    out.add((source.article.id, a, b))
    return out
