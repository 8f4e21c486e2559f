"""The reader: question analysis → candidate sentences → features → fitted scorer → answer span.
It reads what retrieval found and says which sentences answer and which words of them are the
answer, or that none does. Composing the words around them is ``compose.py``'s job."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import numpy as np

from bot.answer.reader.candidates import Candidate, candidates
from bot.answer.reader.comprehension import ReadingModel, SentenceReading
from bot.answer.reader.features import FEATURES, LEXICAL, Featurizer, alignment, meaning, mentioned_in_question
from bot.answer.reader.lexicon import CALENDAR, CALENDAR_ALSO_NAMES, FACTOID_TYPES, NUMBER_WORDS, TIME_UNITS, WORD
from bot.answer.reader.matching import names_share, term_in, word_keys
from bot.answer.reader.nlp import FrenchNLP
from bot.answer.reader.question import QuestionAnalysis
from bot.answer.reader.spans import (SPAN_FEATURES, SpanCandidate, asked_governor, descriptions, span_candidates,
                                     span_features, trim, with_amount_prefix, with_time_prefix)
from bot.answer.reader.weights import LinearModel, ReaderWeights
from index.embedders.runtime import side_by_side
from index.keyword import fold
from index.retrieval import RetrievalResult

#: the question-level features the answerability model reads (of the best sentence, and of all)
ANSWERABILITY = (
    "best_probability", "second_probability", "best_coverage", "best_dense", "best_dense_excess", "best_kind",
    "best_context", "best_rarest_missing", "max_coverage", "max_dense", "max_passage_coverage", "question_terms",
    "question_names", "names_article", "span_probability", "missing_number", "missing_date", "missing_name",
    "focus_complete", "names_complete", "complete", "best_names_article", "best_names_here",
)
#: the reading model's features of a shortlisted sentence (``comprehension.py``): how likelier its best
#: span is than no answer, that over the shortlist's best, and whether it is that best
READING = ("read_answer", "read_gap", "read_top")
#: ... and of the sentence the answerability model judges, against the shortlist's best
READ_ANSWERABILITY = ("read_answer", "read_max", "read_gap")
#: how many of the most probable sentences get their answer span located before the reader picks the
#: one it is surest answers (see ``Reader._surest``). PIAF's tune half, 2 against 1: answers holding
#: the gold 55.4 % against 55.3 %, refusals unchanged: neutral. Kept because it puts the asked-for
#: thing first where the best-scored sentence lacks it, for one more spaCy parse an answer (+7 ms p50
#: at 108,890 chunks). Locating the second only when the first lacks the kind saves the parse but
#: misses the case it is for (the first sentence's quote reaches into the next one, "les deux pays")
LOCATED = 2
#: what the answerability model learns from the located answer (``Reader._found``), each in [0, 1]
FOUND = ("span_probability", "missing_number", "missing_date", "missing_name", "focus_complete", "names_complete",
         "complete")
#: answer types whose answer is a named thing or a value that spaCy or our value finder can see
TYPED = {"person": ("PER",), "organisation": ("ORG", "MISC"), "place": ("LOC",), "date": ("value:date",),
         "number": ("value:number",)}


@dataclass
class Finding:
    """A sentence that answers, and the words of it that are the answer (None: the whole sentence)."""

    candidate: Candidate
    probability: float
    #: offsets in the sentence
    span: SpanCandidate | None = None


@dataclass
class Features:
    """What the reader knows of the candidate sentences before deciding."""

    cands: list[Candidate]
    #: one row per candidate, ``FEATURES`` order
    matrix: np.ndarray
    #: the first stage's probabilities
    first: np.ndarray
    #: the shortlisted rows (with the second stage's features), best first
    rows: list[int]
    #: whether the shortlist has the token alignment (the embedder gave token states)
    aligned: bool
    #: the reading model's reading of each shortlisted sentence (by shortlist index; None where it
    #: did not read: no reading model, or a sentence in another language than the question)
    readings: list[SentenceReading | None] = field(default_factory=list)

    def reading(self, i: int) -> SentenceReading | None:
        return self.readings[i] if self.readings else None

    def reading_rows(self) -> np.ndarray:
        """``READING`` per shortlisted sentence (zeros where it was not read)."""
        out = np.zeros((len(self.rows), len(READING)), dtype=np.float32)
        read = [i for i, r in enumerate(self.readings) if r is not None]
        if read:
            best = max(self.readings[i].answer for i in read)
            for i in read:
                a = self.readings[i].answer
                out[i] = (a, a - best, float(a == best))
        return out


class Judgement(NamedTuple):
    """What the answerability model says of a located sentence, and what that is held to."""

    probability: float
    refusal_threshold: float
    further_quote_threshold: float
    features: dict[str, float]


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
    #: why the reader refused (None when it answers)
    refusal_reason: str | None = None

    @property
    def refused(self) -> bool:
        return not self.findings


class Reader:
    def __init__(self, analyzer, keyword_index, embedder, nlp: FrenchNLP, weights: ReaderWeights,
                 reading: ReadingModel | Callable[[], ReadingModel | None] | None = None):
        """``reading``: the reading model, or what loads it on first use (None: the reader without it)."""
        self.analyzer = analyzer
        self.keyword_index = keyword_index  # a callable returning the current KeywordIndex
        self.embedder = embedder
        self.nlp = nlp
        self.weights = weights
        self._reading = reading
        self._reading_lock = threading.Lock()

    @property
    def reading(self) -> ReadingModel | None:
        """The reading model, where the weights were fitted with one (loaded once, on first use)."""
        if self.weights.reading is None or self._reading is None:
            return None
        if callable(self._reading) and not isinstance(self._reading, ReadingModel):
            with self._reading_lock:
                if callable(self._reading) and not isinstance(self._reading, ReadingModel):
                    self._reading = self._reading()
        return self._reading

    # -- features -------------------------------------------------------------------------------
    def featurize(self, q: QuestionAnalysis, retrieval: RetrievalResult, *, exclude=frozenset(),
                  shortlist: int | None = None) -> Features:
        """Candidates and their features, the shortlisted ones with the embedding model's reading
        (``shortlist=0``: every row gets the second stage's features, as when fitting)."""
        featurizer = Featurizer(self.analyzer, self.keyword_index().idf)
        cands = candidates(retrieval, q.language, exclude)
        matrix = featurizer.lexical(q, cands)
        first = self.weights.lexical.probabilities(matrix, FEATURES) if cands else np.zeros(0)
        k = self.weights.shortlist if shortlist is None else shortlist
        if shortlist is None and across_languages(cands):
            k = self.weights.shortlist_cross_lingual
        elif shortlist is None and retrieval.query_vector is not None and self.reading is not None:
            k = self.weights.reading.shortlist  # what the models fitted with the reading model weigh
        rows = [int(i) for i in np.argsort(-first, kind="stable")[: k or len(cands)]]
        aligned = False
        readings: list[SentenceReading | None] = []
        if rows and retrieval.query_vector is not None:
            texts = [cands[i].text for i in rows]
            layer = self.weights.reading_layer
            # the retrieval's pass may have read this question at this layer already
            known = retrieval.query_tokens if retrieval.query_tokens_of == (q.text, layer) else None

            def token_states():
                return self.embedder.token_states([] if known is not None else [q.text], texts, layer=layer)

            reading = self.reading
            same = [i for i, r in enumerate(rows) if not cands[r].cross_lingual]  # fine-tuned on French questions
            if reading is not None and same:  # the two passes are independent: both at once
                read, by_model = side_by_side(token_states, lambda: reading.read(
                    q.text, [texts[i] for i in same], [cands[rows[i]].article.title for i in same]))
            else:
                read, by_model = token_states(), []
            readings = [None] * len(rows) if reading is not None else []
            for i, r in zip(same, by_model):
                readings[i] = r
            if read is None:  # pooled vectors only (a server): the second stage without the alignment
                vectors = np.asarray(self.embedder.embed_passages(texts), dtype=np.float32)
                sims, aligned_rows = vectors @ np.asarray(retrieval.query_vector, dtype=np.float32), None
            else:
                asked, sentence_tokens = read
                question_tokens = known if known is not None else asked[0]
                sims = np.array([meaning(question_tokens, t) for t in sentence_tokens], dtype=np.float32)
                aligned_rows = np.array([alignment(question_tokens, t) for t in sentence_tokens], dtype=np.float32)
                aligned = True
            featurizer.shortlist(q, cands, rows, matrix, sims, aligned_rows)
        return Features(cands, matrix, first, rows, aligned, readings if aligned else [])

    def sentence_probabilities(self, f: Features) -> np.ndarray:
        w = self.weights
        same_model = w.sentence if f.aligned else w.sentence_without_tokens
        same = same_model.probabilities(f.matrix[f.rows], FEATURES)
        if any(r is not None for r in f.readings):
            read = w.reading.sentence.probabilities(np.hstack([f.matrix[f.rows], f.reading_rows()]), FEATURES + READING)
            same = np.where([r is not None for r in f.readings], read, same)
        cross = w.sentence_cross_lingual.probabilities(f.matrix[f.rows], FEATURES)
        return np.array([c if f.cands[r].cross_lingual else s for r, s, c in zip(f.rows, same, cross)])

    def answerability(self, q: QuestionAnalysis, f: Features, probs: np.ndarray, found: dict[str, float],
                      best: int | None = None) -> Judgement:
        """How probable it is that the best sentence — or the shortlisted one ``best`` — answers, and
        the thresholds that probability is held to."""
        b = int(np.argmax(probs)) if best is None else best
        values = {**answerability_features(q, f.matrix, f.rows, probs, b), **reading_features(f, b), **found}
        model, refusal, further = self._judged_by(f, b)
        return Judgement(model.probability(values), refusal, further, values)

    def _judged_by(self, f: Features, i: int) -> tuple[LinearModel, float, float]:
        """The answerability model for shortlisted sentence ``i`` and its refusal and further-quote
        thresholds: one for a sentence in another language than the question (no shared words); one
        for a sentence read through pooled vectors only (an embedding server: its cosines sit at
        other levels than the token states' of the reading layer); one for a sentence the reading
        model read; one for the rest."""
        w = self.weights
        sentence, aligned = f.cands[f.rows[i]], f.aligned
        if f.reading(i) is not None:
            return w.reading.answerable, w.reading.refusal_threshold, w.reading.further_quote_threshold
        if sentence.cross_lingual:
            return (w.answerable_cross_lingual, w.refusal_threshold_cross_lingual,
                    w.further_quote_threshold_cross_lingual)
        if not aligned:
            return (w.answerable_without_tokens, w.refusal_threshold_without_tokens,
                    w.further_quote_threshold_without_tokens)
        return w.answerable, w.refusal_threshold, w.further_quote_threshold

    # -- the answer span ------------------------------------------------------------------------
    def locate(self, q: QuestionAnalysis, best: Candidate, reading: SentenceReading | None = None
               ) -> tuple[Candidate, SpanCandidate | None, dict[str, float]]:
        """Where the answer is, once spaCy has read the best sentence: the quote (the sentence, or the
        sentence and the next one when only the next holds the kind of thing asked for: "Il a dépêché
        son ministre à Moscou. Ce dernier, Abbas Araghchi, …"), its answer span (None for why/how, and
        for "how many" when neither holds a figure), and what the answerability model learns from them.
        ``reading``: the reading model's reading of the sentence, which the span's score then weighs in."""
        if q.answer_type not in FACTOID_TYPES:
            return best, None, self._found(q, best, True, 0.0)
        span, prob, typed = self._best_span(q, best.text, reading)
        if not typed and q.answer_type in TYPED:
            following = _next_sentence(best)
            if following is not None:
                span2, prob2, typed2 = self._best_span(q, following[2])
                if typed2 and span2 is not None:
                    a, b, text = following
                    joined = replace(best, end=b, text=best.article.text[best.start : b])
                    offset = a - best.start
                    shifted = SpanCandidate(span2.start + offset, span2.end + offset, span2.text, span2.kind)
                    return joined, shifted, self._found(q, joined, True, prob2)
        return best, span, self._found(q, best, typed, prob)

    def _found(self, q: QuestionAnalysis, quote: Candidate, typed: bool, span_probability: float) -> dict[str, float]:
        """What the answerability model learns from the located answer: the span's probability, which
        kind of asked-for thing is missing (a "how many" with no figure is rarely answered), and
        whether the quote (with the sentence before it) holds every name and every focus word of the
        question ("Qui a *remplacé* Viktorov ?" is not answered by a sentence about Viktorov)."""
        missing = not typed and q.answer_type in TYPED
        context = f"{quote.previous} {quote.text}"
        terms = frozenset(self.analyzer.terms(context))
        focus_complete = all(term_in(t, terms) for t in q.focus)
        names_complete = names_share(q.names, word_keys(context)) == 1.0
        return {"span_probability": span_probability,
                "missing_number": float(missing and q.answer_type == "number"),
                "missing_date": float(missing and q.answer_type == "date"),
                "missing_name": float(missing and q.answer_type in ("person", "organisation", "place")),
                "focus_complete": float(focus_complete), "names_complete": float(names_complete),
                "complete": float(focus_complete and names_complete and not missing)}

    def span(self, q: QuestionAnalysis, sentence: str) -> SpanCandidate | None:
        """The answer within ``sentence`` for a factoid question; None for why/how questions."""
        if q.answer_type not in FACTOID_TYPES:
            return None
        return self._best_span(q, sentence)[0]

    def _best_span(self, q: QuestionAnalysis, sentence: str, reading: SentenceReading | None = None
                   ) -> tuple[SpanCandidate | None, float, bool]:
        """(best span, its probability, whether the sentence holds an answer of the asked-for type).
        A span made only of the question's own words never answers it, and a phrase never answers
        "how many": the sentence's best figure does — for "how long", its best figure of time —, or
        no span (the scorer's own choice keeps its probability, which the answerability model reads).

        Only figures are held to their kind: "qui" and "quand" questions are often answered by a
        group or an event (PIAF: "Qui apporte une aide financière à Poutrincourt ?" "Jésuites"),
        and holding them to a person or a date cost span F1 on PIAF's tune half. The other types
        are only kept from a kind that contradicts them (``CONTRADICTING``: no date for "qui").

        With the reading model's ``reading`` of the sentence, a span's score is the span scorer's
        log-probability plus ``span_weight`` times the reading model's (PIAF's tune half, out-of-fold
        readings: the answer span in the gold sentence matches the gold with F1 48.1 without them,
        56.5 with them at weight 0.5; docs/benchmarks.md, "Stop 32"), and the model's own best span is
        one more candidate (60.6; "Stop 35")."""
        doc = self.nlp.parse(sentence)
        spans, design = self.span_rows(q, doc, reading.best_span() if reading is not None else None)
        if not spans:
            return None, 0.0, False
        wanted = TYPED.get(q.answer_type, ())
        of_kind = [k for k, (_, _, kind) in enumerate(spans) if _of_kind(kind, wanted)]
        if q.asks_duration:  # "how long": a figure of time ("vingt ans"), else a bare one, not "les deux pays"
            units = {k: _unit(doc, spans[k][0], spans[k][1]) for k in of_kind}
            of_kind = ([k for k in of_kind if units[k][0] in TIME_UNITS]
                       or [k for k in of_kind if units[k] == (None, None)])
        scores = self.weights.span.logits(design, SPAN_DESIGN)
        if reading is not None and self.weights.reading is not None:
            read = np.array([reading.span_score(doc[i].idx, doc[j - 1].idx + len(doc[j - 1].text)) for i, j, _ in spans])
            scores = _log_softmax(scores) + self.weights.reading.span_weight * _log_softmax(read)
        best = int(np.argmax(scores))
        probs = np.exp(scores - scores.max())
        probability = float(probs[best] / probs.sum())
        if q.answer_type == "number" and best not in of_kind:  # a figure is asked for: a figure in bold, or nothing
            if not of_kind:
                return None, probability, False
            best = max(of_kind, key=lambda k: scores[k])
        if q.identity_of:  # "Qui est Roman Gofman ?": what the sentence says he is, never a name; else no span
            described = descriptions(doc, q.identity_of)
            if not described:
                return None, probability, False
            i, j = max(described, key=lambda ij: ij[1] - ij[0])  # the fullest ("le président du Parlement iranien")
            s = doc[i:j]
            return SpanCandidate(s.start_char, s.end_char, sentence[s.start_char : s.end_char], "chunk"), probability, True
        contradicting = CONTRADICTING.get(q.answer_type, ())
        if contradicting and _contradicts(doc, spans[best], spans, contradicting):  # no date for "qui", no person for "où"
            allowed = [k for k, span in enumerate(spans) if not _contradicts(doc, span, spans, contradicting)]
            if not allowed:
                return None, probability, bool(of_kind)
            best = max(allowed, key=lambda k: scores[k])
        i, j, kind = spans[best]
        s = doc[i:j]
        start = s.start_char  # a date or a figure with what qualifies it: "vers 1100", "plus de 50 %"
        if q.answer_type == "date" and kind == "value:date":
            start = with_time_prefix(sentence, start, q.text)
        elif q.answer_type == "number" and kind == "value:number":
            start = with_amount_prefix(sentence, start, q.text)
        return SpanCandidate(start, s.end_char, sentence[start : s.end_char], kind), probability, bool(of_kind)

    def span_rows(self, q: QuestionAnalysis, doc, read: tuple[int, int] | None = None
                  ) -> tuple[list[tuple[int, int, str]], np.ndarray]:
        """The span candidates of a parsed sentence (none made only of the question's own words), the
        reading model's best span ``read`` among them, and the rows the span scorer reads
        (``SPAN_DESIGN``); ``benchmarks/fit_reader.py`` fits on these."""
        spans = [sp for sp in span_candidates(doc, read) if not mentioned_in_question(doc[sp[0] : sp[1]].text, q)]
        if not spans:
            return [], np.zeros((0, len(SPAN_DESIGN)), dtype=np.float32)
        asked = asked_governor(self.nlp.parse(q.text), self._terms)  # the question's parse is cached
        return spans, span_design(span_features(doc, spans, q, self._terms, asked), q)

    def _terms(self, word: str) -> tuple[str, ...]:
        return tuple(self.analyzer.terms(word))

    # -- the whole path -------------------------------------------------------------------------
    def read(self, q: QuestionAnalysis, retrieval: RetrievalResult, *, exclude=frozenset()) -> Reading:
        t0 = time.perf_counter()
        features = self.featurize(q, retrieval, exclude=exclude)
        cands, matrix, rows = features.cands, features.matrix, features.rows
        t1 = time.perf_counter()
        if not rows:
            return Reading(q, [], 0.0, timings_ms={"reader_features_ms": (t1 - t0) * 1e3})
        probs = self.sentence_probabilities(features)
        order = np.argsort(-probs, kind="stable")
        order, seen = self._surest(q, features, probs, order)
        (quote, span, found), judged = seen[int(order[0])]
        answerable, threshold = judged.probability, judged.refusal_threshold
        read = features.reading_rows()
        shortlist = [(cands[rows[i]], float(probs[i]), {**{n: float(matrix[rows[i], k]) for k, n in enumerate(FEATURES)},
                                                        **({n: float(read[i, k]) for k, n in enumerate(READING)}
                                                           if features.reading(int(i)) else {})})
                     for i in order]
        reading = Reading(q, [], answerable, shortlist=shortlist)
        if answerable < threshold or _no_figure(q, found):
            reading.related = self._related(shortlist)
            reading.refusal_reason = ("below the fitted threshold" if answerable < threshold
                                      else "a figure is asked for and the sentence that answers best holds none")
        else:
            best = Finding(quote, float(probs[order[0]]), span)
            reading.findings = [best] + self._more(q, best, features, probs, order, seen)
            if q.is_list:
                reading.items = self._items(q, reading.findings)
        t2 = time.perf_counter()
        reading.timings_ms = {"reader_features_ms": (t1 - t0) * 1e3, "reader_decision_ms": (t2 - t1) * 1e3}
        return reading

    def _surest(self, q: QuestionAnalysis, f: Features, probs: np.ndarray, order: np.ndarray):
        """Of the ``LOCATED`` most probable sentences, the one the answerability model is surest
        answers, once its answer span is located: the sentence scorer reads features of the sentence
        alone, the answerability model also whether the asked-for kind of thing was found in it ("how
        long" answered by "les deux pays" or by "une durée de vingt ans"). The new order (the chosen
        sentence first) and, by shortlist row, each located sentence's (quote, span, what was found) and
        its ``Judgement``, which ``_more`` does not compute again.

        The question and those sentences go to spaCy as one batch: three short texts parse in ~10 ms
        together, ~16 ms one by one (600 PIAF questions, two cores), which is what the question's own
        parse (``asked_governor``) had added to every answer."""
        seen: dict[int, tuple] = {}
        if q.answer_type in FACTOID_TYPES:  # the question and the sentences located below, parsed in one batch
            self.nlp.parse_many([q.text] + [f.cands[f.rows[i]].text for i in order[:LOCATED]])
        for i in order[:LOCATED]:
            located = self.locate(q, f.cands[f.rows[i]], f.reading(int(i)))
            seen[int(i)] = (located, self.answerability(q, f, probs, located[2], best=int(i)))
        # ties: the more probable (dicts keep order); "Qui est Roman Gofman ?": first one that answers and
        # says what he is
        chosen = max(seen, key=lambda i: (q.identity_of is not None and seen[i][0][1] is not None
                                          and seen[i][1].probability >= seen[i][1].refusal_threshold,
                                          seen[i][1].probability))
        return np.concatenate([[chosen], order[order != chosen]]), seen

    def _more(self, q: QuestionAnalysis, best: Finding, f: Features, probs: np.ndarray, order: np.ndarray,
              seen: dict[int, tuple]) -> list[Finding]:
        """A further sentence, only when it adds what the first lacks — another item of a list, or
        another article that gives the asked-for fact otherwise (an update, a correction) — and only
        when the reader would have answered with it on its own (its answerability over
        ``further_quote_threshold``, the fitted refusal threshold: one set by hand moves refusals only)."""
        out: list[Finding] = []
        for i in order[1:]:
            if len(out) >= (2 if q.is_list else 1):
                break
            cand = f.cands[f.rows[i]]
            if _same_sentence_or_copy(cand, best.candidate) or (not q.is_list and cand.article.id == best.candidate.article.id):
                continue  # (outside lists, only another article can state the fact otherwise)
            located, judged = seen.get(int(i), (None, None))
            if located is None and not self._could_quote(q, f, probs, int(i)):
                continue  # not even the best the located answer could bring would take it over the threshold
            quote, span, found = located or self.locate(q, cand, f.reading(int(i)))
            if span is None:
                continue
            if q.is_list:  # a new item: its answer span, or a name listed beside it ("M. Pezeshkian, [...] Mohammad Bagheri")
                known = [k.span.text for k in self._items(q, [best] + out)]
                brings = [span, *self._coordinated(q, quote.text, span, listed=True)]
                adds = any(not _covers(best, b) and not any(_same_item(b.text, k) for k in known) for b in brings)
            else:
                # another article's answer must be about what the question names: "l'ambassadeur russe
                # à l'ONU, Vassily Nebenzia" does not answer who is Russia's ambassador *in Israel*
                adds = (best.span is not None and cand.article.id != best.candidate.article.id
                        and _norm(span.text) != _norm(best.span.text) and not _covers(best, span)
                        and found["names_complete"] == 1.0)
            if not adds:
                continue
            if judged is None:
                judged = self.answerability(q, f, probs, found, best=int(i))
            if judged.probability >= judged.further_quote_threshold:
                out.append(Finding(quote, float(probs[i]), span))
        return out

    def _could_quote(self, q: QuestionAnalysis, f: Features, probs: np.ndarray, i: int) -> bool:
        """Could shortlisted sentence ``i`` reach the further-quote threshold, whatever its located
        answer brings? A sentence that could not is skipped without the spaCy parse and span scoring
        ``locate`` costs: the answers are the same."""
        _, _, further = self._judged_by(f, i)
        return self.answerability_bound(q, f, probs, i) >= further

    def answerability_bound(self, q: QuestionAnalysis, f: Features, probs: np.ndarray, i: int) -> float:
        """The most that ``answerability`` can give shortlisted sentence ``i`` once located: each of
        ``FOUND`` (all in [0, 1]) at the end its weight favours — the model is monotone in each."""
        model, _, _ = self._judged_by(f, i)
        coef = dict(zip(model.features, model.coef))
        most = {n: float(coef.get(n, 0.0) > 0) for n in FOUND}
        return model.probability({**answerability_features(q, f.matrix, f.rows, probs, i), **reading_features(f, i), **most})

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
                if key and not any(_same_item(key, k) for k in seen):
                    seen.add(key)
                    items.append(Finding(f.candidate, f.probability, s))
        return items

    def _coordinated(self, q: QuestionAnalysis, sentence: str, span: SpanCandidate | None, *, listed: bool = False):
        """Entities of the answer span's kind beside it in its sentence. ``listed``: only those with no
        verb between them and the span, as in an enumeration — not the name another clause brings
        ("M. Pezeshkian a déclaré que l'assassinat d'Ismail Haniyeh …")."""
        if span is None or not span.kind.startswith("entity:"):
            return
        doc = self.nlp.parse(sentence)
        label = span.kind.split(":", 1)[1]
        for e in doc.ents:
            kept = trim(doc, e.start, e.end)  # the rules of every answer span: no "n’", no "qu’Israël"
            if e.label_ != label or kept is None:
                continue
            e = doc[kept[0] : kept[1]]
            if e.start_char == span.start or any(w in q.words for w in _norm(e.text).split()):
                continue
            if listed and _verb_between(doc, span, e.start_char, e.end_char):
                continue
            if not mentioned_in_question(e.text, q):  # "Vladimir Poutine" when the question asks what Putin said
                yield SpanCandidate(e.start_char, e.end_char, e.text, span.kind)

    def _related(self, shortlist, n: int = 2) -> list[Candidate]:
        out: list[Candidate] = []
        for cand, _, _ in shortlist:
            if not any(o.article.id == cand.article.id for o in out):
                out.append(cand)
            if len(out) == n:
                break
        return out


def _no_figure(q: QuestionAnalysis, found: dict[str, float]) -> bool:
    """A "how many" or "how much" whose chosen sentence holds no figure is refused, whatever the
    answerability model says: quoting "un grand nombre de missiles" does not say how many. On PIAF's
    tune half, the best sentence of 15 of the 170 answerable number questions has no figure (5 of
    them hold the gold), against 45 of the same 170 asked over a store without their
    paragraph; the fitted model sees the case too rarely to weigh it much."""
    return q.answer_type == "number" and bool(found["missing_number"])


#: kinds of span that cannot answer a question of each type, whatever the span scorer says: a date or
#: a figure never names a person, an organisation or a place, a person is no place, a person or a
#: place no date. (Holding every typed question to its own kind was measured and not kept: PIAF
#: answers "qui" with groups and "quand" with events; these kinds contradict the question.)
CONTRADICTING = {"person": ("value:date", "value:number"), "organisation": ("value:date", "value:number"),
                 "place": ("value:date", "value:number", "PER"), "date": ("PER", "LOC")}


def _contradicts(doc, span: tuple[int, int, str], spans: list[tuple[int, int, str]],
                 contradicting: tuple[str, ...]) -> bool:
    """Is this span of a kind that cannot answer (``CONTRADICTING``), or such a span behind a
    preposition or a determiner ("par Israel Valley" when spaCy tags "Israel Valley" PER)? A month
    or a weekday alone ("février") is a date, whatever kind of span it came as (not one that is also
    a name: "Mars")."""
    i, j, kind = span
    if _of_kind(kind, contradicting):
        return True
    k = i
    while k < j - 1 and doc[k].pos_ in ("ADP", "DET"):
        k += 1
    if k > i and any(a == k and b == j and _of_kind(other, contradicting) for a, b, other in spans):
        return True
    words = WORD.findall(fold(doc[i:j].text))
    return ("value:date" in contradicting and bool(words) and all(w in CALENDAR or w.isdigit() for w in words)
            and not set(words) <= CALENDAR_ALSO_NAMES)


def _unit(doc, i: int, j: int) -> tuple[str | None, str | None]:
    """(the unit the figure ``doc[i:j]`` ends with, the unit after it), folded: ("ans", None) for
    "vingt ans", (None, "pays") for "deux" in "les deux pays ont…" — the same figure, in bold with
    its unit —, (None, None) for a figure that counts nothing named ("29,27")."""
    words = WORD.findall(fold(doc[i:j].text))
    if words and not any(ch.isdigit() for ch in words[-1]) and words[-1] not in NUMBER_WORDS:
        return words[-1], None
    after = [t for t in doc[j : j + 3] if t.lower_ not in ("de", "d'", "d’")]
    if after and (after[0].pos_ in ("NOUN", "SYM") or fold(after[0].text) in TIME_UNITS):
        return None, fold(after[0].text)
    return None, None


def _of_kind(kind: str, wanted: tuple[str, ...]) -> bool:
    """Is a span of this kind ("entity:PER", "value:date", "chunk"…) of one of the ``wanted`` kinds?"""
    return kind.split(":", 1)[-1] in wanted or kind in wanted


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


def across_languages(cands: list[Candidate]) -> bool:
    """Most candidate sentences are in another language than the question: words cannot rank them."""
    return 2 * sum(c.cross_lingual for c in cands) > len(cands)


def answerability_features(q: QuestionAnalysis, matrix: np.ndarray, rows: list[int], probs: np.ndarray,
                           b: int | None = None) -> dict[str, float]:
    """Question-level features of the shortlist, seen from its sentence ``b`` (default: the best)."""
    col = {n: i for i, n in enumerate(FEATURES)}
    sub = matrix[rows]
    b = int(np.argmax(probs)) if b is None else b
    others = np.delete(probs, b)
    return {
        "best_probability": float(probs[b]),
        "second_probability": float(others.max()) if len(others) else 0.0,
        "best_coverage": float(sub[b, col["coverage_soft"]]),
        "best_dense": float(sub[b, col["dense"]]),
        "best_dense_excess": float(sub[b, col["dense_excess"]]),
        # every name the question gives, in the best sentence's article (a question about France is not
        # answered by an article that never names France) and in the sentence itself
        "best_names_article": float(sub[b, col["names_article"]] == 1.0),
        "best_names_here": float(sub[b, col["names_here"]]),
        "best_rarest_missing": float(sub[b, col["rarest_missing"]]),
        "best_kind": float(sub[b, col["kind_present"]]),
        "best_context": float(sub[b, col["coverage_soft"]] + sub[b, col["context_coverage"]]),
        "max_coverage": float(matrix[:, col["coverage_soft"]].max()),
        "max_dense": float(sub[:, col["dense"]].max()),
        "max_passage_coverage": float(matrix[:, col["passage_coverage"]].max()),
        "question_terms": float(np.log1p(len(set(q.terms)))),
        "question_names": float(np.log1p(len(q.names))),
        "names_article": float(matrix[:, col["names_article"]].max()),
    }


def reading_features(f: Features, b: int) -> dict[str, float]:
    """``READ_ANSWERABILITY`` of shortlisted sentence ``b`` (none where the reading model did not read it)."""
    here = f.reading(b)
    if here is None:
        return {}
    best = max(r.answer for r in f.readings if r is not None)
    return {"read_answer": here.answer, "read_max": best, "read_gap": here.answer - best}


def _log_softmax(x: np.ndarray) -> np.ndarray:
    x = x - x.max()
    return x - np.log(np.exp(x).sum())


def _next_sentence(c: Candidate) -> tuple[int, int, str] | None:
    """The sentence after ``c`` in the same paragraph of its article, or None."""
    from index.sentences import split_sentences

    text = c.article.text
    spans = split_sentences(text, c.end, min(len(text), c.end + 800))
    if not spans or "\n\n" in text[c.end : spans[0][0]]:
        return None
    a, b = spans[0]
    return a, b, text[a:b]


def _norm(text: str) -> str:
    from index.keyword import fold

    return " ".join(fold(text).replace("’", "'").split())


def _same_item(a: str, b: str) -> bool:
    """One item of a list: "M. Pezeshkian" and "Massed Pezeshkian" are one person."""
    a, b = _norm(a), _norm(b)
    return bool(a and b) and (a in b or b in a or a.split()[-1] == b.split()[-1])


def _verb_between(doc, span: SpanCandidate, start: int, end: int) -> bool:
    """Whether a verb (or auxiliary) stands between ``span`` and the characters ``[start, end)``."""
    a, b = (span.end, start) if span.end <= start else (end, span.start)
    return any(a <= t.idx < b and t.pos_ in ("VERB", "AUX") for t in doc)


def _covers(best: Finding, span: SpanCandidate) -> bool:
    return _norm(span.text) in _norm(best.candidate.text)


def _same_sentence_or_copy(a: Candidate, b: Candidate) -> bool:
    if a.article.id == b.article.id and a.start < b.end and b.start < a.end:
        return True
    return _norm(a.text) == _norm(b.text)


__all__ = ["ANSWERABILITY", "FOUND", "Features", "Finding", "LEXICAL", "Reader", "Reading", "SPAN_DESIGN", "TYPED", "answerability_features"]
