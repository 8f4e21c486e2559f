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

from bot.answer.followup import resolve
from bot.answer.generative import LLMUnavailable, SupportCheck, check, citations_from, generate
from bot.answer.reader.compose import citation, citations_of, compose, date_notes
from bot.answer.reader.lexicon import detect_language
from bot.answer.reader.pipeline import Reader, Reading
from bot.answer.reader.question import analyse
from bot.answer.types import Answer, Turn, WeighedSentence
from bot.messages import say
from index.retrieval import Filters, HybridRetriever
from index.sentences import split_sentences

log = logging.getLogger("kiosque.answer")

#: longer questions are cut (the embedder reads 512 tokens anyway); nobody types more than this
MAX_QUESTION_CHARS = 2000


class Answerer:
    def __init__(
        self,
        retriever: HybridRetriever,
        reader: Reader,
        *,
        top_k: int = 5,
        mode: str = "extractive",
        llm=None,
        show_related: bool = True,
        keyword_language: str = "french",
    ):
        self.retriever = retriever
        self.reader = reader
        self.top_k = top_k
        self.mode = mode
        self.llm = llm
        self.show_related = show_related
        self.keyword_language = keyword_language
        self.support_check = SupportCheck(retriever.store.analyzer, retriever.embedder, reader.nlp)

    def answer(self, question: str, history: list[Turn] | None = None, filters: Filters | None = None,
               *, explain: bool = False) -> Answer:
        t0 = time.perf_counter()
        question = _clean(question)
        lang = detect_language(question)
        if not re.search(r"\w", question):
            return self._message(question, lang, say(lang, "answer.empty_question"), t0)
        if not self.retriever.store.catalog.counts()["articles"]:
            return self._message(question, lang, say(lang, "answer.empty_index"), t0)

        resolved = resolve(question, history)
        q = analyse(resolved.question, self.keyword_language)
        q = replace(q, language=lang, answer_type=resolved.kind or q.answer_type)
        # the question as analysed (NFC, trimmed): the reader reuses the retrieval's reading of that text
        retrieval = self.retriever.search(q.text, k=self.top_k, filters=filters)
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
            reading = self.reader.read(q, retrieval, exclude=exclude)
            timings.update(reading.timings_ms)
            citations, items = citations_of(reading, lang)
            if citations:
                text, notes = compose(lang, citations, items)
            else:
                text, notes = say(lang, "answer.refusal"), []
            if fallback_reason:
                text = f"{text}\n{say(lang, 'answer.fallback_note')}"
            related = [_related(i + 1, c, lang) for i, c in enumerate(reading.related)] if self.show_related else []
            answer = Answer(
                question=question, text=text, citations=citations, refused=reading.refused, language=lang,
                mode="extractive", resolved_question=resolved.question, fallback_reason=fallback_reason,
                related=related if reading.refused else [], retrieved=retrieved, notes=notes,
                answerable=round(reading.answerable, 4), refusal_reason=reading.refusal_reason,
            )
            if explain:
                answer.evidence = _weighed(reading)
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
            return Answer(question=question, text=say(lang, "answer.refusal"), citations=[], refused=True,
                          language=lang, mode="generative", resolved_question=resolved_question), None
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


def _related(n: int, candidate, lang: str):
    from bot.answer.reader.pipeline import Finding

    return citation(n, Finding(candidate, 0.0), lang)


def _weighed(reading: Reading) -> list[WeighedSentence]:
    chosen = {id(f.candidate) for f in reading.findings}
    return [WeighedSentence(c.article.id, c.start, c.end, c.text, round(p, 4), id(c) in chosen, c.cross_lingual,
                            {k: round(v, 3) for k, v in feats.items()})
            for c, p, feats in reading.shortlist]


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
            for a, b in split_sentences(text, p.start, p.end):
                if text[a:b] in previous_answer:
                    out.add((source.article.id, a, b))
    return out
