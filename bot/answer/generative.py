"""The optional generative mode: an LLM (any OpenAI-compatible endpoint, or Ollama) writes the
answer from numbered passages, and every answer is checked before anyone sees it: each [n] must
name a passage that was given, each quote must occur verbatim in the passage it cites, each
sentence must cite. What fails is removed; when nothing valid is left, or the LLM fails or times
out, the extractive answer is used instead and the result says so."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from bot.answer.reader.compose import also_in
from bot.answer.types import Citation
from bot.messages import prompt, say
from index.retrieval import RetrievalResult
from index.sentences import split_sentences

log = logging.getLogger("kiosque.answer.llm")

_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_QUOTED = re.compile(r"«\s*(.+?)\s*»|“(.+?)”|\"(.+?)\"")


class LLMUnavailable(Exception):
    pass


@dataclass
class NumberedPassage:
    n: int
    article_id: str
    start: int
    end: int
    text: str
    source_index: int


@dataclass
class Checked:
    """The generated answer after checking: valid sentences and what was removed, and why."""

    sentences: list[tuple[str, list[int], list[str]]] = field(default_factory=list)  # text, passages, quotes
    removed: list[tuple[str, str]] = field(default_factory=list)  # (sentence, reason)
    refused: bool = False


def make_llm(provider: str, base_url: str, model: str, api_key: str | None, timeout_s: float,
             temperature: float, max_tokens: int):
    """A llama-index LLM for the configured provider; only that provider's package is imported."""
    if provider == "ollama":
        from llama_index.llms.ollama import Ollama

        return Ollama(model=model, base_url=base_url, request_timeout=timeout_s, temperature=temperature)
    from llama_index.llms.openai_like import OpenAILike

    return OpenAILike(
        model=model, api_base=base_url, api_key=api_key or "not-needed", is_chat_model=True, timeout=timeout_s,
        max_retries=0, temperature=temperature, max_tokens=max_tokens, context_window=8192,
    )


def number_passages(retrieval: RetrievalResult) -> list[NumberedPassage]:
    out = []
    for s_i, source in enumerate(retrieval.sources):
        for p in source.passages:
            out.append(NumberedPassage(len(out) + 1, source.article.id, p.start, p.end, p.text, s_i))
    return out


def build_prompt(question: str, lang: str, retrieval: RetrievalResult, passages: list[NumberedPassage],
                 max_sentences: int = 4) -> str:
    blocks = []
    for p in passages:
        a = retrieval.sources[p.source_index].article
        header = f"[{p.n}] {a.title} — {a.outlet or 'outlet unknown'}, {a.date or 'date unknown'}"
        blocks.append(f"{header}\n{p.text}")
    return prompt("generative_answer.md").format(
        refusal=say(lang, "answer.refusal"), language_name=say(lang, "generative.language_name"),
        max_sentences=max_sentences, passages="\n\n".join(blocks), question=question,
    )


def _norm(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return re.sub(r"\s+", " ", text).strip()


def check(answer: str, passages: list[NumberedPassage], lang: str, supports=None) -> Checked:
    """Keep only sentences whose citations exist, whose quotes are verbatim, and (with
    ``supports(sentence, cited_texts) -> reason | None``) whose claim the cited passages support."""
    result = Checked()
    by_n = {p.n: p for p in passages}
    refusal = _norm(say(lang, "answer.refusal")).lower()
    text = answer.strip()
    if _norm(text).lower().startswith(refusal[:40]) or not _MARKER.search(text) and _looks_like_refusal(text):
        result.refused = True
        return result
    for start, end in split_sentences(text):
        sentence = text[start:end]
        numbers = [int(x) for m in _MARKER.finditer(sentence) for x in re.split(r"\s*[,;]\s*", m.group(1))]
        if not numbers:
            # a marker may open the next line ("... [1]" split oddly) — a sentence must cite
            result.removed.append((sentence, "no citation"))
            continue
        unknown = [n for n in numbers if n not in by_n]
        if unknown:
            result.removed.append((sentence, f"cites passage(s) {unknown} that were not given"))
            continue
        quotes = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(sentence)]
        cited_text = " ".join(_norm(by_n[n].text) for n in numbers)
        bad = [q for q in quotes if _norm(q) not in cited_text]
        if bad:
            result.removed.append((sentence, f"quote not verbatim in the cited passage: {bad[0][:60]!r}"))
            continue
        unsupported = supports(sentence, [by_n[n].text for n in numbers]) if supports else None
        if unsupported:
            result.removed.append((sentence, unsupported))
            continue
        result.sentences.append((sentence, numbers, quotes))
    return result


class SupportCheck:
    """Is a generated sentence supported by the passages it cites? It must state no person,
    organisation, place, date or number that they lack (the reader's entities and normalised
    values, ``reader/claims.py``), and most of its content terms must occur in them (stemmed and
    accent-folded); a sentence in another language than the passages is compared by meaning instead."""

    def __init__(self, analyzer, embedder, nlp=None, *, min_overlap: float = 0.5, min_similarity: float = 0.8):
        from bot.answer.reader.claims import ClaimCheck

        self.analyzer = analyzer
        self.embedder = embedder
        self.claims = ClaimCheck(nlp, embedder) if nlp is not None else None
        self.min_overlap = min_overlap
        self.min_similarity = min_similarity

    def __call__(self, sentence: str, cited: list[str]) -> str | None:
        import numpy as np

        claim = _MARKER.sub(" ", sentence)
        cited_text = " ".join(cited)
        if self.claims is not None:
            missing = self.claims.missing(claim, cited)
            if missing:
                what = ", ".join(f"{f.text!r}" for f in missing[:3])
                return f"states {what}, which the cited passage does not contain"
        terms = set(self.analyzer.terms(claim))
        if not terms:
            return None
        cited_terms = set(self.analyzer.terms(cited_text))
        overlap = len(terms & cited_terms) / len(terms)
        if overlap >= self.min_overlap:
            return None
        vectors = self.embedder.embed_passages([claim, cited_text[:2000]])
        similarity = float(np.dot(vectors[0], vectors[1]))
        if similarity >= self.min_similarity and overlap > 0:
            return None
        return f"not supported by the cited passage (term overlap {overlap:.0%}, similarity {similarity:.2f})"


def _looks_like_refusal(text: str) -> bool:
    t = text.lower()
    return any(p in t for p in ("ne le disent pas", "ne disent pas", "don't say", "do not say", "no passage",
                                "aucun passage"))


def citations_from(checked: Checked, passages: list[NumberedPassage], retrieval: RetrievalResult,
                   lang: str = "fr") -> tuple[str, list[Citation]]:
    """Renumber the cited passages 1..m in order of appearance; each citation quotes verbatim the
    model's quote, or else the passage sentence closest to the answer sentence."""
    by_n = {p.n: p for p in passages}
    renumber: dict[int, int] = {}
    citations: list[Citation] = []
    out_sentences = []
    for sentence, numbers, quotes in checked.sentences:
        for n in numbers:
            if n in renumber:
                continue
            renumber[n] = len(renumber) + 1
            p = by_n[n]
            article = retrieval.sources[p.source_index].article
            start, end = _quote_span(article.text, p, sentence, quotes)
            citations.append(Citation(
                n=renumber[n], article_id=article.id, title=article.title, outlet=article.outlet, date=article.date,
                date_source=article.date_source, url=article.url, quote=article.text[start:end], start=start, end=end,
                also_in=also_in(retrieval.sources[p.source_index], lang),
            ))
        out_sentences.append(_MARKER.sub(
            lambda m: "".join(f"[{renumber[int(x)]}]" for x in re.split(r"\s*[,;]\s*", m.group(1))), sentence))
    return " ".join(out_sentences), citations


def _quote_span(article_text: str, p: NumberedPassage, sentence: str, quotes: list[str]) -> tuple[int, int]:
    for q in quotes:
        i = article_text.find(q, p.start, p.end)
        if i >= 0:
            return i, i + len(q)
    words = set(re.findall(r"\w+", sentence.lower()))
    best, best_span = -1.0, (p.start, p.end)
    for a, b in split_sentences(article_text, p.start, p.end):
        overlap = len(words & set(re.findall(r"\w+", article_text[a:b].lower())))
        if overlap > best:
            best, best_span = overlap, (a, b)
    return best_span


def generate(llm, question: str, lang: str, retrieval: RetrievalResult) -> tuple[str, list[NumberedPassage]]:
    from llama_index.core.llms import ChatMessage

    passages = number_passages(retrieval)
    text = build_prompt(question, lang, retrieval, passages)
    try:
        response = llm.chat([ChatMessage(role="user", content=text)])
    except Exception as exc:  # timeouts, refused connections, HTTP errors: all mean "no answer"
        raise LLMUnavailable(f"{type(exc).__name__}: {_redact(str(exc))[:200]}") from exc
    content = (response.message.content or "").strip()
    if not content:
        raise LLMUnavailable("empty response")
    return content, passages


def _redact(text: str) -> str:
    """Error texts from HTTP clients can echo headers: never let a key through."""
    return re.sub(r"(Bearer\s+|api[_-]?key[\"'=:\s]+)\S+", r"\1***", text, flags=re.IGNORECASE)
