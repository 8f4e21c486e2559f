"""The reader: question analysis → candidate sentences → features → fitted scorer → answer span.
It reads what retrieval found and says which sentences answer and which words of them are the
answer, or that none does. Composing the words around them is ``compose.py``'s job."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bot.answer.reader.candidates import Candidate, candidates
from bot.answer.reader.features import FEATURES, LEXICAL, Featurizer
from bot.answer.reader.lexicon import FACTOID_TYPES
from bot.answer.reader.nlp import FrenchNLP
from bot.answer.reader.question import QuestionAnalysis
from bot.answer.reader.spans import SPAN_FEATURES, SpanCandidate, span_candidates, span_features
from bot.answer.reader.weights import ReaderWeights
from index.retrieval import RetrievalResult

#: the question-level features the answerability model reads (of the best sentence, and of all)
ANSWERABILITY = (
    "best_probability", "second_probability", "best_coverage", "best_dense", "best_kind", "best_context",
    "max_coverage", "max_dense", "max_passage_coverage", "question_terms", "question_names", "names_article",
)


@dataclass
class Finding:
    """A sentence that answers, and the words of it that are the answer (None: the whole sentence)."""

    candidate: Candidate
    probability: float
    #: offsets in the sentence
    span: SpanCandidate | None = None


@dataclass
class Reading:
    question: QuestionAnalysis
    #: the sentences to quote, best first; empty when the articles don't answer
    findings: list[Finding]
    #: the probability that the best sentence answers the question
    answerable: float
    #: for a list question: every item found (each with the sentence it comes from)
    items: list[Finding] = field(default_factory=list)
    #: on refusal: the closest sentences, one per article ("related, but not an answer")
    related: list[Candidate] = field(default_factory=list)
    #: every shortlisted sentence with its probability, best first (for --explain)
    shortlist: list[tuple[Candidate, float, dict[str, float]]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    @property
    def refused(self) -> bool:
        return not self.findings


class Reader:
    def __init__(self, analyzer, keyword_index, embedder, nlp: FrenchNLP, weights: ReaderWeights):
        self.analyzer = analyzer
        self.keyword_index = keyword_index  # a callable returning the current KeywordIndex
        self.embedder = embedder
        self.nlp = nlp
        self.weights = weights

    # -- features -------------------------------------------------------------------------------
    def featurize(self, q: QuestionAnalysis, retrieval: RetrievalResult, *, exclude=frozenset(),
                  shortlist: int | None = None) -> tuple[list[Candidate], np.ndarray, np.ndarray, list[int]]:
        """Candidates, their feature matrix, first-stage probabilities and the shortlisted rows
        (``shortlist=0``: every row gets the second stage's features, as when fitting)."""
        featurizer = Featurizer(self.analyzer, self.keyword_index().idf)
        cands = candidates(retrieval, q.language, exclude)
        matrix = featurizer.lexical(q, cands)
        first = self.weights.lexical.probabilities(matrix, FEATURES) if cands else np.zeros(0)
        k = self.weights.shortlist if shortlist is None else shortlist
        rows = [int(i) for i in np.argsort(-first, kind="stable")[: k or len(cands)]]
        if rows and retrieval.query_vector is not None:
            vectors = self.embedder.embed_passages([cands[i].text for i in rows])
            sims = np.asarray(vectors, dtype=np.float32) @ np.asarray(retrieval.query_vector, dtype=np.float32)
            featurizer.shortlist(q, cands, rows, matrix, sims)
        return cands, matrix, first, rows

    def sentence_probabilities(self, cands: list[Candidate], matrix: np.ndarray, rows: list[int]) -> np.ndarray:
        w = self.weights
        same = w.sentence.probabilities(matrix[rows], FEATURES)
        cross = w.sentence_cross_lingual.probabilities(matrix[rows], FEATURES)
        return np.array([c if cands[r].cross_lingual else s for r, s, c in zip(rows, same, cross)])

    def answerability(self, q: QuestionAnalysis, cands: list[Candidate], matrix: np.ndarray, rows: list[int],
                      probs: np.ndarray) -> tuple[float, bool, dict[str, float]]:
        """(probability that the best sentence answers, cross-lingual?, the features)."""
        values = answerability_features(q, matrix, rows, probs)
        best = cands[rows[int(np.argmax(probs))]]
        model = self.weights.answerable_cross_lingual if best.cross_lingual else self.weights.answerable
        return model.probability(values), best.cross_lingual, values

    # -- the answer span ------------------------------------------------------------------------
    def span(self, q: QuestionAnalysis, sentence: str) -> SpanCandidate | None:
        """The answer within ``sentence`` for a factoid question; None for why/how questions."""
        if q.answer_type not in FACTOID_TYPES:
            return None
        doc = self.nlp.parse(sentence)
        spans = span_candidates(doc)
        if not spans:
            return None
        rows = span_features(doc, spans, q, self._terms)
        scores = self.weights.span.logits(span_design(rows, q), SPAN_DESIGN)
        best = int(np.argmax(scores))
        i, j, kind = spans[best]
        s = doc[i:j]
        return SpanCandidate(s.start_char, s.end_char, sentence[s.start_char : s.end_char], kind)

    def _terms(self, word: str) -> tuple[str, ...]:
        return tuple(self.analyzer.terms(word))

    # -- the whole path -------------------------------------------------------------------------
    def read(self, q: QuestionAnalysis, retrieval: RetrievalResult, *, exclude=frozenset()) -> Reading:
        t0 = time.perf_counter()
        cands, matrix, first, rows = self.featurize(q, retrieval, exclude=exclude)
        t1 = time.perf_counter()
        if not rows:
            return Reading(q, [], 0.0, timings_ms={"reader_features_ms": (t1 - t0) * 1e3})
        probs = self.sentence_probabilities(cands, matrix, rows)
        order = np.argsort(-probs, kind="stable")
        answerable, cross, values = self.answerability(q, cands, matrix, rows, probs)
        threshold = self.weights.refusal_threshold_cross_lingual if cross else self.weights.refusal_threshold
        shortlist = [(cands[rows[i]], float(probs[i]), {n: float(matrix[rows[i], k]) for k, n in enumerate(FEATURES)})
                     for i in order]
        reading = Reading(q, [], answerable, shortlist=shortlist)
        if answerable < threshold:
            reading.related = self._related(shortlist)
        else:
            best = Finding(cands[rows[order[0]]], float(probs[order[0]]))
            best.span = self.span(q, best.candidate.text)
            reading.findings = [best] + self._more(q, best, [(cands[rows[i]], float(probs[i])) for i in order[1:]])
            if q.is_list:
                reading.items = self._items(q, reading.findings)
        t2 = time.perf_counter()
        reading.timings_ms = {"reader_features_ms": (t1 - t0) * 1e3, "reader_decision_ms": (t2 - t1) * 1e3}
        return reading

    def _more(self, q: QuestionAnalysis, best: Finding, rest: list[tuple[Candidate, float]]) -> list[Finding]:
        """A second sentence, only when it adds what the first lacks: another item of a list, or
        another article that gives the asked-for fact differently (an update, a correction)."""
        out: list[Finding] = []
        for cand, prob in rest:
            if prob < self.weights.second_quote_ratio * best.probability or len(out) >= (2 if q.is_list else 1):
                break
            if _same_sentence_or_copy(cand, best.candidate):
                continue
            span = self.span(q, cand.text)
            if q.is_list:
                if span is not None and not _covers(best, span):
                    out.append(Finding(cand, prob, span))
                continue
            if (span is not None and best.span is not None and cand.article.id != best.candidate.article.id
                    and _norm(span.text) != _norm(best.span.text) and _norm(span.text) not in _norm(best.candidate.text)):
                out.append(Finding(cand, prob, span))
        return out

    def _items(self, q: QuestionAnalysis, findings: list[Finding]) -> list[Finding]:
        """A list question's items: the answer span of each quoted sentence, and the entities of the
        asked-for kind beside it in the same sentence ("Pezeshkian, Bagheri et Ahmadian")."""
        items: list[Finding] = []
        seen: set[str] = set()
        for f in findings:
            spans = [f.span] if f.span else []
            spans += list(self._coordinated(q, f.candidate.text, f.span))
            for s in spans:
                key = _norm(s.text)
                if key and key not in seen and not any(key in k or k in key for k in seen):
                    seen.add(key)
                    items.append(Finding(f.candidate, f.probability, s))
        return items

    def _coordinated(self, q: QuestionAnalysis, sentence: str, span: SpanCandidate | None):
        """Entities coordinated with the answer span (same label, joined by commas or "et")."""
        if span is None or not span.kind.startswith("entity:"):
            return
        doc = self.nlp.parse(sentence)
        label = span.kind.split(":", 1)[1]
        for e in doc.ents:
            if e.label_ == label and e.start_char != span.start and not any(w in q.words for w in _norm(e.text).split()):
                yield SpanCandidate(e.start_char, e.end_char, e.text, span.kind)

    def _related(self, shortlist, n: int = 2) -> list[Candidate]:
        out: list[Candidate] = []
        for cand, _, _ in shortlist:
            if not any(o.article.id == cand.article.id for o in out):
                out.append(cand)
            if len(out) == n:
                break
        return out


#: span features as the fitted model reads them: shared, and once more per answer type
SPAN_DESIGN = SPAN_FEATURES + tuple(f"{t}:{f}" for t in ("person", "organisation", "place", "date", "number", "other")
                                    for f in SPAN_FEATURES)


def span_design(rows: np.ndarray, q: QuestionAnalysis) -> np.ndarray:
    """The span rows with a copy in the question's answer-type block (the others zero)."""
    blocks = [np.zeros_like(rows) for _ in range(6)]
    types = ("person", "organisation", "place", "date", "number", "other")
    if q.answer_type in types:
        blocks[types.index(q.answer_type)] = rows
    return np.hstack([rows, *blocks])


def answerability_features(q: QuestionAnalysis, matrix: np.ndarray, rows: list[int], probs: np.ndarray) -> dict[str, float]:
    col = {n: i for i, n in enumerate(FEATURES)}
    sub = matrix[rows]
    b = int(np.argmax(probs))
    ordered = np.sort(probs)
    return {
        "best_probability": float(probs[b]),
        "second_probability": float(ordered[-2]) if len(ordered) > 1 else 0.0,
        "best_coverage": float(sub[b, col["coverage_soft"]]),
        "best_dense": float(sub[b, col["dense"]]),
        "best_kind": float(sub[b, col["kind_present"]]),
        "best_context": float(sub[b, col["coverage_soft"]] + sub[b, col["context_coverage"]]),
        "max_coverage": float(matrix[:, col["coverage_soft"]].max()),
        "max_dense": float(sub[:, col["dense"]].max()),
        "max_passage_coverage": float(matrix[:, col["passage_coverage"]].max()),
        "question_terms": float(np.log1p(len(set(q.terms)))),
        "question_names": float(np.log1p(len(q.names))),
        "names_article": float(matrix[:, col["names_article"]].max()),
    }


def _norm(text: str) -> str:
    from index.keyword import fold

    return " ".join(fold(text).replace("’", "'").split())


def _covers(best: Finding, span: SpanCandidate) -> bool:
    return _norm(span.text) in _norm(best.candidate.text)


def _same_sentence_or_copy(a: Candidate, b: Candidate) -> bool:
    if a.article.id == b.article.id and a.start < b.end and b.start < a.end:
        return True
    return _norm(a.text) == _norm(b.text)


__all__ = ["ANSWERABILITY", "Finding", "LEXICAL", "Reader", "Reading", "SPAN_DESIGN", "answerability_features"]
