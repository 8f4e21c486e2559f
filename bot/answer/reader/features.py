"""Features of candidate sentences, the third step of the reader: numbers a fitted scorer weighs.

Two stages, because some evidence is cheap and some is not:
- *lexical* features for every candidate (the question's terms in the sentence, its names, where
  the passage ranked, whether the sentence holds the kind of thing asked for — a date, a figure, a
  name the question does not give);
- *shortlist* features for the few best of them (4): the embedding model's similarity of the sentence
  and the question (meaning, across paraphrase and language), and how well each word of the
  question finds its counterpart among the sentence's words in the model's contextual token states
  (a word-by-word alignment: "assassiné" ~ "l'assassinat", "dirigeant" ~ "président", which one
  pooled vector blurs).

Every feature is named; the weights that go with the names are fitted on PIAF (``weights.py``)."""

from __future__ import annotations

import math
import re
from functools import lru_cache

import numpy as np

from bot.answer.reader.candidates import Candidate
from bot.answer.reader.lexicon import CALENDAR, COMMON_STARTS, NOT_NAMES, WORD
from bot.answer.reader.matching import name_key, names_share, similar_keys, term_in, word_keys
from bot.answer.reader.question import QuestionAnalysis
from bot.answer.reader.values import find_values
from index.keyword import fold

LEXICAL = (
    "coverage", "coverage_soft", "focus_coverage", "context_coverage", "passage_coverage", "names_here",
    "names_article", "matched_terms", "density", "novelty", "length", "first_in_passage", "article_rank",
    "passage_rank", "passage_score", "keyword_rank", "dense_rank", "kind_present", "coverage_gap", "bigrams",
    "coverage_rank", "kind_present_date", "kind_present_number", "kind_present_name", "asks_reason",
    "rarest_missing",
)
#: the alignment of question and sentence tokens (absent, all zero, where the embedder gives no token states)
ALIGNMENT = ("align_mean", "align_min", "align_gap", "align_rank_here")
SHORTLIST = ("dense", "dense_gap", "dense_rank_here", "dense_excess", "head_term_here") + ALIGNMENT
FEATURES = LEXICAL + SHORTLIST
#: the features a question in another language than the sentence still has (no shared words)
CROSS_LINGUAL = ("names_here", "names_article", "length", "first_in_passage", "article_rank", "passage_rank",
                 "passage_score", "dense_rank", "kind_present", "kind_present_date", "kind_present_number",
                 "kind_present_name", "asks_reason", "dense_gap", "dense_rank_here", "dense_excess")

_CAPITALISED = re.compile(r"(?<![\w’'])[A-ZÀ-ÝŒ][\w’'\-]+")
_TOKEN = re.compile(r"[\w’'-]+")
#: spaCy labels that answer each type
ENTITY_LABELS = {"person": {"PER"}, "organisation": {"ORG", "MISC"}, "place": {"LOC"}}


class Featurizer:
    def __init__(self, analyzer, idf):
        self.analyzer = analyzer
        self.idf = idf  # term -> idf over the indexed chunks
        self._terms_cache: dict[str, frozenset[str]] = {}

    def terms(self, text: str) -> frozenset[str]:
        cached = self._terms_cache.get(text)
        if cached is None:
            if len(self._terms_cache) > 50_000:
                self._terms_cache.clear()
            cached = self._terms_cache[text] = frozenset(self.analyzer.terms(text))
        return cached

    # -- lexical --------------------------------------------------------------------------------
    def lexical(self, q: QuestionAnalysis, cands: list[Candidate]) -> np.ndarray:
        m = np.zeros((len(cands), len(FEATURES)), dtype=np.float32)
        if not cands:
            return m
        col = {name: i for i, name in enumerate(FEATURES)}
        q_terms = list(dict.fromkeys(q.terms))
        weights = {t: max(self.idf(t), 0.05) for t in q_terms}
        total = sum(weights.values()) or 1.0
        focus = [t for t in dict.fromkeys(q.focus)]
        focus_total = sum(weights.get(t, 0.0) for t in focus) or 1.0
        max_score = max((c.passage.score for c in cands), default=1.0) or 1.0
        q_bigrams = set(zip(q_terms, q_terms[1:])) if len(q_terms) > 1 else set()
        rarest = max(q_terms, key=lambda t: weights[t]) if q_terms else None
        kind_column = {"date": "kind_present_date", "number": "kind_present_number", "person": "kind_present_name",
                       "organisation": "kind_present_name", "place": "kind_present_name"}.get(q.answer_type)
        q_set = frozenset(q_terms)
        # what each text holds of the question, computed once per text (passages and sentences recur:
        # a passage for each of its sentences, a sentence as the one before the next)
        hits_of: dict[str, frozenset[str]] = {}

        def hits(text: str) -> frozenset[str]:
            found = hits_of.get(text)
            if found is None:
                terms = self.terms(text)
                found = hits_of[text] = frozenset(t for t in q_terms if term_in(t, terms))
            return found

        names_in_article: dict[str, float] = {}
        for i, c in enumerate(cands):
            terms = self.terms(c.text)
            exact = sum(w for t, w in weights.items() if t in terms) / total
            soft_hit = hits(c.text)
            soft = sum(weights[t] for t in soft_hit) / total
            context_hit = soft_hit | hits(c.previous) if c.previous else soft_hit
            context = sum(weights[t] for t in context_hit) / total
            passage_cov = sum(weights[t] for t in hits(c.passage.text)) / total
            keys = word_keys(c.text)
            aid = c.article.id
            if aid not in names_in_article:
                names_in_article[aid] = names_share(q.names, article_keys(c.article.text, c.article.title))
            own = [t for t in terms if t not in q_set and not term_in(t, q_set)]
            row = m[i]
            row[col["coverage"]] = exact
            row[col["coverage_soft"]] = soft
            row[col["focus_coverage"]] = (sum(weights[t] for t in focus if t in soft_hit) / focus_total) if focus else 1.0
            row[col["context_coverage"]] = max(0.0, context - soft)
            row[col["passage_coverage"]] = passage_cov
            row[col["names_here"]] = names_share(q.names, keys)
            row[col["names_article"]] = names_in_article[aid]
            row[col["matched_terms"]] = math.log1p(len(soft_hit))
            row[col["density"]] = self._density(c.text, soft_hit)
            row[col["novelty"]] = len(own) / max(1, len(terms))
            row[col["length"]] = math.log1p(len(c.text)) / 6.0
            row[col["first_in_passage"]] = float(c.position == 0)
            row[col["article_rank"]] = 1.0 / (1 + c.article_rank)
            row[col["passage_rank"]] = 1.0 / (1 + c.passage_rank)
            row[col["passage_score"]] = c.passage.score / max_score
            row[col["keyword_rank"]] = 1.0 / c.passage.keyword_rank if c.passage.keyword_rank else 0.0
            row[col["dense_rank"]] = 1.0 / c.passage.dense_rank if c.passage.dense_rank else 0.0
            row[col["kind_present"]] = float(kind_present(c.text, q))
            if kind_column:
                row[col[kind_column]] = row[col["kind_present"]]
            row[col["asks_reason"]] = float(q.answer_type in ("reason", "manner"))
            row[col["rarest_missing"]] = float(rarest is not None and rarest not in context_hit)
            if q_bigrams:
                ordered = self.analyzer.terms(c.text)
                row[col["bigrams"]] = len(q_bigrams & set(zip(ordered, ordered[1:]))) / len(q_bigrams)
        cov = m[:, col["coverage_soft"]]
        m[:, col["coverage_gap"]] = cov - cov.max()
        m[:, col["coverage_rank"]] = 1.0 / (1.0 + np.argsort(np.argsort(-cov, kind="stable"), kind="stable"))
        return m

    def _density(self, text: str, matched: set[str]) -> float:
        """Matched question terms per word of the shortest stretch holding all of them."""
        if len(matched) < 2:
            return 1.0 if matched else 0.0
        words = _TOKEN.findall(text)
        positions: dict[str, list[int]] = {}
        for i, w in enumerate(words):
            for t in self.analyzer.terms(w):
                for qt in matched:
                    if t == qt or term_in(qt, {t}):
                        positions.setdefault(qt, []).append(i)
        if len(positions) < 2:
            return 1.0
        events = sorted((p, item) for item, ps in positions.items() for p in ps)
        need, count, best, left = len(positions), {}, len(words), 0
        for pos, item in events:
            count[item] = count.get(item, 0) + 1
            while len(count) == need:
                best = min(best, pos - events[left][0] + 1)
                li = events[left][1]
                count[li] -= 1
                if not count[li]:
                    del count[li]
                left += 1
        return need / max(best, need)

    # -- shortlist ------------------------------------------------------------------------------
    def shortlist(self, q: QuestionAnalysis, cands: list[Candidate], rows: list[int], matrix: np.ndarray,
                  sims: np.ndarray, alignments: np.ndarray | None = None) -> None:
        """Fill the shortlist features of ``rows`` in place; ``sims`` are the question-sentence cosines,
        ``alignments`` the rows' ``alignment()`` (None: the embedder gives no token states)."""
        if not len(rows):
            return
        col = {name: i for i, name in enumerate(FEATURES)}
        for row, sim in zip(rows, sims):
            matrix[row, col["dense"]] = sim
            matrix[row, col["head_term_here"]] = float(q.head_term is not None
                                                       and term_in(q.head_term, self.terms(cands[row].text)))
        if alignments is not None:
            matrix[rows, col["align_mean"]] = alignments[:, 0]
            matrix[rows, col["align_min"]] = alignments[:, 1]
        matrix[rows] = relative_to_shortlist(matrix[rows], aligned=alignments is not None)


def relative_to_shortlist(sub: np.ndarray, *, aligned: bool = True) -> np.ndarray:
    """``sub`` (the shortlist's rows, ``dense`` and ``align_mean`` filled) with each sentence's place
    among the shortlist: gap to the best, rank, excess over the mean — comparable across questions and
    languages, where cosines sit at other levels. One function for the reader and for the fit, so
    that the weights read what they were fitted on. Without token states the alignment stays zero."""
    col = FEATURES.index
    for value, gap, rank, excess in (("dense", "dense_gap", "dense_rank_here", "dense_excess"),
                                     ("align_mean", "align_gap", "align_rank_here", None)):
        if value == "align_mean" and not aligned:
            continue
        v = sub[:, col(value)]
        sub[:, col(gap)] = v - v.max()
        sub[:, col(rank)] = 1.0 / (1.0 + np.argsort(np.argsort(-v, kind="stable"), kind="stable"))
        if excess:
            sub[:, col(excess)] = v - v.mean()
    return sub


def alignment(question_tokens: np.ndarray, sentence_tokens: np.ndarray) -> tuple[float, float]:
    """(mean, least) over the question's token states of the best cosine with any of the sentence's:
    how well, and how completely, the sentence restates the question word by word."""
    if not len(question_tokens) or not len(sentence_tokens):
        return 0.0, 0.0
    # einsum, not @: a product this small is not worth BLAS's threads, which then spin on the cores
    # the encoder needs (measured: +11 s of CPU over 144 questions on 2 cores, +20 ms an answer)
    best = np.einsum("id,jd->ij", question_tokens, sentence_tokens).max(axis=1)
    return float(best.mean()), float(best.min())


def meaning(question_tokens: np.ndarray, sentence_tokens: np.ndarray) -> float:
    """The cosine of question and sentence as wholes: the means of their (unit) token states at the
    reader's layer (``ReaderWeights.reading_layer``), not pooled vectors."""
    if not len(question_tokens) or not len(sentence_tokens):
        return 0.0
    a, b = question_tokens.mean(axis=0), sentence_tokens.mean(axis=0)
    return float(np.einsum("d,d->", a, b) / max(float(np.sqrt(np.einsum("d,d->", a, a) * np.einsum("d,d->", b, b))), 1e-12))


@lru_cache(maxsize=256)
def article_keys(text: str, title: str) -> frozenset[str]:
    """The name keys of an article's text and title, for every question that retrieves it (~30 KB
    an article of 2,000 characters: the most recent 256)."""
    return frozenset(name_key(w) for w in WORD.findall(f"{title} {text}"))


def mentioned_in_question(text: str, q: QuestionAnalysis) -> bool:
    """``text`` only repeats the question: each of its words is (a spelling of) a question word, or
    it is a name whose last word the question gives ("Ali Khamenei" when it asks about Khamenei)."""
    keys = [name_key(w) for w in _TOKEN.findall(text)]
    if not keys:
        return False
    qkeys = {name_key(w) for w in q.words}
    if all(any(similar_keys(k, qk) for qk in qkeys) for k in keys):
        return True
    last = _TOKEN.findall(text)[-1]
    return last[:1].isupper() and any(similar_keys(keys[-1], name_key(n.split()[-1])) for n in q.names)


def new_values(text: str, q: QuestionAnalysis, kind: str):
    """Dates or numbers of ``text`` that the question does not state."""
    stated = {v.norm for v in find_values(q.text)}
    return [v for v in find_values(text) if v.kind == kind and v.norm not in stated]


def new_names(text: str, q: QuestionAnalysis) -> list[str]:
    """Capitalised words the question does not contain (a cheap stand-in for entities)."""
    out = []
    qkeys = {name_key(w) for w in q.words}
    for m in _CAPITALISED.finditer(text):
        word = m.group(0)
        folded = re.sub(r"^(l|d|qu)['’]", "", fold(word).strip("'’"))
        at_start = m.start() == 0 or text[: m.start()].strip() in {"«", '"', "“", "-", "—"}
        if folded in NOT_NAMES or folded in CALENDAR or (at_start and folded in COMMON_STARTS):
            continue
        if any(similar_keys(name_key(word), k) for k in qkeys):
            continue
        out.append(word)
    return out


def kind_present(text: str, q: QuestionAnalysis) -> bool:
    """The cheap test: does the sentence hold the kind of thing asked for?"""
    t = q.answer_type
    if t == "date":
        return bool(new_values(text, q, "date"))
    if t == "number":
        return bool(new_values(text, q, "number"))
    if t in ("person", "organisation", "place"):
        return bool(new_names(text, q))
    return True
