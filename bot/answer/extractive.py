"""The default answerer: no LLM. It picks the sentences of the retrieved passages that answer the
question and quotes them verbatim with [n] markers, in a frame in the question's language; or it
says the articles don't say, when no sentence carries the evidence."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import numpy as np

from bot.answer.evidence import (Evidence, answers_kind, coverage, focus, names_share, person_names, term_in,
                                 window, word_keys)
from bot.answer.frames import frame
from bot.answer.question import QuestionProfile, detect_language
from bot.answer.types import Citation
from index.articles import Article
from index.retrieval import RetrievalResult, Source
from index.sentences import split_sentences

#: a sentence that leans on the one before it
_ANAPHOR = re.compile(r"^(Cela|Ceci|Ce|Ces|Cet|Cette|Il|Elle|Ils|Elles|Lui|Celui-ci|Ce dernier|Cette dernière|"
                      r"This|These|It|They|He|She)\b")
#: "— Name (@handle) August 5, 2024": the signature of an embedded post
_SIGNATURE = re.compile(r"^[—–-]\s*.{1,80}\(@\w{1,30}\)")
#: how many sentences get an embedding (the expensive signal) per question
DENSE_SHORTLIST = 12
MIN_COVERAGE = 0.5
#: e5 cosine of an English question and a French sentence that answers it (calibrated on the seeds)
MIN_DENSE_CROSS_LINGUAL = 0.815
#: a sentence this close in meaning may paraphrase the question's focus (dirigera / directeur)
MIN_DENSE_PARAPHRASE = 0.86
#: the question's names and focus words found within this many words of each other (at least)
MAX_WINDOW = 15
#: a sentence this close to the question needs no proximity check
MIN_DENSE_SAME_MEANING = 0.9


@dataclass
class Candidate:
    source: Source
    start: int
    end: int
    text: str
    passage_rank: int
    evidence: Evidence
    score: float = 0.0
    sentences: int = 1
    #: the sentence is in another language than the question: words cannot match, meaning must
    cross_lingual: bool = False

    @property
    def article(self) -> Article:
        return self.source.article


@dataclass
class Extraction:
    chosen: list[Candidate]
    related: list[Candidate] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)
    #: the shortlist, best first, with the support decision (for --explain)
    weighed: list[tuple[Candidate, bool]] = field(default_factory=list)


class ExtractiveAnswerer:
    def __init__(self, analyzer, keyword_index, embedder, *, max_quotes: int = 3):
        self.analyzer = analyzer
        self.keyword_index = keyword_index  # a callable returning the current KeywordIndex
        self.embedder = embedder
        self.max_quotes = max_quotes
        self._article_keys: dict[tuple[str, str], set[str]] = {}

    def _keys_of(self, article: Article) -> set[str]:
        """Word keys of a whole article (cached: the same articles come back question after question)."""
        key = (article.id, article.content_hash)
        keys = self._article_keys.get(key)
        if keys is None:
            if len(self._article_keys) > 512:
                self._article_keys.clear()
            keys = self._article_keys[key] = word_keys(article.text) | word_keys(article.title)
        return keys

    # -- candidates -----------------------------------------------------------------------------
    def candidates(self, q: QuestionProfile, retrieval: RetrievalResult) -> list[Candidate]:
        idf = self.keyword_index().idf
        out: list[Candidate] = []
        rank_of = sorted(
            ((p.score, s_i, p_i) for s_i, s in enumerate(retrieval.sources) for p_i, p in enumerate(s.passages)),
            reverse=True,
        )
        passage_rank = {(s_i, p_i): r for r, (_, s_i, p_i) in enumerate(rank_of)}
        for s_i, source in enumerate(retrieval.sources):
            article = source.article
            article_keys = self._keys_of(article)
            seen: set[tuple[int, int]] = set()
            for p_i, passage in enumerate(source.passages):
                spans = split_sentences(article.text, passage.start, passage.end)
                units = [(a, b, 1) for a, b in spans]
                # two adjacent sentences (of one paragraph, or of two consecutive lines) answer what one
                # alone cannot: "L'ambassadeur a déclaré… / Selon Anatoly Viktorov, …"
                units += [(a, d, 2) for (a, b), (c, d) in zip(spans, spans[1:]) if "\n\n" not in article.text[b:c]]
                for start, end, n in units:
                    if (start, end) in seen or article.text[end - 1] == "?" or _SIGNATURE.match(article.text[start:end]):
                        continue  # a question (a sub-heading) or the signature of an embedded post never answers
                    seen.add((start, end))
                    text = article.text[start:end]
                    ev = self._evidence(q, text, article_keys, idf)
                    cross = q.language != detect_language(text)
                    out.append(Candidate(source, start, end, text, passage_rank[(s_i, p_i)], ev, sentences=n,
                                         cross_lingual=cross))
        return out

    def _evidence(self, q: QuestionProfile, text: str, article_keys: set[str], idf) -> Evidence:
        """The cheap evidence of one candidate (the kind of answer and proximity come later, for the
        shortlist only: they are the costly part)."""
        terms = set(self.analyzer.terms(text))
        asked_here = _asked_here(q, terms, text)
        # the kind of thing asked for, named by an instance ("quels dirigeants" / "Bashar al-Assad"),
        # is not a missing word
        satisfied = frozenset([q.asked]) if q.asked and asked_here else frozenset()
        verbs = frozenset(q.verbs)
        f_total, f_missing, f_weight = focus(list(q.focus), terms, idf, verbs | satisfied)
        verbs_here = sum(1 for v in verbs if term_in(v, terms)) / len(verbs) if verbs else 0.0
        return Evidence(
            coverage=coverage(list(q.terms), terms, idf, verbs),
            names_here=names_share(q.names, word_keys(text)),
            names_in_article=names_share(q.names, article_keys),
            kind_ok=True, focus_total=f_total, focus_missing=f_missing, focus_missing_weight=f_weight,
            asked_here=asked_here, verbs_here=verbs_here,
        )

    def _window(self, c: Candidate, q: QuestionProfile) -> int:
        """Proximity of the question's words in the candidate; for two sentences, the better one
        (the other may only carry a pronoun's referent)."""
        if c.sentences == 1:
            return window(c.text, q, self.analyzer)
        spans = split_sentences(c.article.text, c.start, c.end)
        return min(window(c.article.text[a:b], q, self.analyzer) for a, b in spans)

    def _prior(self, c: Candidate, n_passages: int) -> float:
        return 1.0 - c.passage_rank / max(1, n_passages)

    def _score(self, c: Candidate, q: QuestionProfile, n_passages: int) -> float:
        e = c.evidence
        cross_lingual = c.cross_lingual
        prior = self._prior(c, n_passages)
        dense = 0.0 if e.dense is None else max(0.0, min(1.0, (e.dense - 0.75) / 0.15))
        if cross_lingual:
            score = 0.45 * dense + 0.2 * e.names_here + 0.15 * e.kind_ok + 0.1 * prior + 0.1 * e.coverage
        else:
            score = (0.45 * e.coverage + 0.15 * e.names_here + 0.12 * e.kind_ok + 0.13 * prior + 0.15 * dense
                     + 0.08 * e.verbs_here + 0.05 * e.asked_here)
        if e.person:
            score += 0.08
        # a pair of sentences must earn its length, unless the second one continues the first
        # ("… des voix ont plaidé pour un soutien. Cela inclurait des systèmes de défense…")
        if c.sentences == 2:
            second = split_sentences(c.article.text, c.start, c.end)[-1]
            continued = _ANAPHOR.match(c.article.text[second[0] : second[1]])
            score += 0.02 if continued else -0.04
        return score

    def _add_dense(self, q: QuestionProfile, cands: list[Candidate], qvec: np.ndarray | None) -> None:
        if qvec is None or not cands:
            return
        vecs = self.embedder.embed_passages([c.text for c in cands])
        sims = vecs @ np.asarray(qvec, dtype=np.float32)
        for c, sim in zip(cands, sims):
            c.evidence = replace(c.evidence, dense=float(sim))

    def supported(self, c: Candidate, q: QuestionProfile, *, paraphrase: bool = False) -> bool:
        """The evidence check: would a careful reader accept this sentence as the answer? It names
        what the question names, holds the kind of thing asked for, and speaks of what the question
        asks about: its focus terms, or (``paraphrase``, tried only when no sentence passes without
        it) words so close in meaning that they say the same thing (dirigera / directeur)."""
        e = c.evidence
        dense = e.dense or 0.0
        # every name of the question in the sentence (two of three for questions naming three or more:
        # "United States" is "États-Unis" in the article)
        need = 0.66 if len(q.names) >= 3 else 1.0
        if e.names_in_article < need or e.names_here < need:
            return False
        if not e.kind_ok:
            return False
        # the words of the question close together (a long sentence matches anything far apart),
        # unless the sentence says the same thing as the question
        if e.window > max(MAX_WINDOW, 6 * (len(q.names) + len(set(q.focus)))) and dense < MIN_DENSE_SAME_MEANING:
            return False
        if c.cross_lingual:
            # English questions over French articles are the expected case; a French question
            # answered by an English quote inside a French story needs a closer match
            return dense >= (MIN_DENSE_CROSS_LINGUAL if q.language == "en" else MIN_DENSE_PARAPHRASE)
        if not e.asked_here:  # "À quel prix…": a sentence without any price does not answer
            return False
        if paraphrase:
            # one focus word said otherwise (a word the corpus never uses weighs the most, so the
            # coverage of the question cannot be asked for here)
            return e.focus_missing == 1 and dense >= MIN_DENSE_PARAPHRASE
        if e.coverage < MIN_COVERAGE:
            return False
        # all of the question's focus, or all but a light third of it for long questions
        return e.focus_missing == 0 or (
            e.focus_total >= 3 and e.focus_missing <= e.focus_total // 3 and e.focus_missing_weight <= 0.34)

    # -- selection ------------------------------------------------------------------------------
    def extract(self, q: QuestionProfile, retrieval: RetrievalResult, *,
                exclude: set[tuple[str, int, int]] = frozenset()) -> Extraction:
        import time

        t0 = time.perf_counter()
        cands = [c for c in self.candidates(q, retrieval) if (c.article.id, c.start, c.end) not in exclude]
        n_passages = sum(len(s.passages) for s in retrieval.sources)
        for c in cands:
            c.score = self._score(c, q, n_passages)
        cands.sort(key=lambda c: -c.score)
        t1 = time.perf_counter()
        shortlist = [c for c in cands if c.sentences == 1][:DENSE_SHORTLIST]
        shortlist += [c for c in cands if c.sentences == 2][: DENSE_SHORTLIST // 2]
        for c in shortlist:
            c.evidence = replace(c.evidence, kind_ok=answers_kind(c.text, q), window=self._window(c, q),
                                 person=q.kind == "who" and bool(person_names(c.text, q)))
        self._add_dense(q, shortlist, retrieval.query_vector)
        for c in shortlist:
            c.score = self._score(c, q, n_passages)
        pool = sorted(shortlist, key=lambda c: -c.score)
        t2 = time.perf_counter()
        # in the question's language first (strictly, then allowing a paraphrase); a sentence in
        # another language (an English quote in a French story) only when nothing else answers
        same = [c for c in pool if not c.cross_lingual]
        supported = [c for c in same if self.supported(c, q)]
        if not supported:
            supported = [c for c in same if self.supported(c, q, paraphrase=True)]
        if not supported:
            supported = [c for c in pool if c.cross_lingual and self.supported(c, q)]
        chosen = self._choose(supported, q)
        related = [] if chosen else self._related(pool)
        ok = {id(c) for c in supported}
        return Extraction(chosen, related, {"candidates_ms": (t1 - t0) * 1e3, "sentence_dense_ms": (t2 - t1) * 1e3},
                          [(c, id(c) in ok) for c in pool])

    def _choose(self, supported: list[Candidate], q: QuestionProfile) -> list[Candidate]:
        if not supported:
            return []
        best = supported[0]
        chosen = [best]
        for c in supported[1:]:
            if len(chosen) >= self.max_quotes:
                break
            # another article saying the same thing with other figures (an update, a correction):
            # both are shown, with their dates
            if any(_overlaps(c, o) for o in chosen):
                continue
            if any(_disagrees(c, o) for o in chosen) and not any(o.article.id == c.article.id for o in chosen):
                chosen.append(c)
                continue
            if c.score < 0.88 * best.score:
                continue
            if any(_overlaps(c, o) or _redundant(c, o) for o in chosen):
                continue
            # another article corroborates or dates the answer; a second quote of the same article
            # must be as good as the best one to be worth the reader's time
            if any(o.article.id == c.article.id for o in chosen) and c.score < 0.97 * best.score:
                continue
            chosen.append(c)
        # quote in the order of the story within one article, best article first
        order = {id(c): i for i, c in enumerate(chosen)}
        first_seen: dict[str, int] = {}
        for c in chosen:
            first_seen.setdefault(c.article.id, order[id(c)])
        return sorted(chosen, key=lambda c: (first_seen[c.article.id], c.start))

    def _related(self, pool: list[Candidate], n: int = 2) -> list[Candidate]:
        out: list[Candidate] = []
        for c in pool:
            if c.sentences == 1 and not any(o.article.id == c.article.id for o in out):
                out.append(c)
            if len(out) == n:
                break
        return out


def _asked_here(q: QuestionProfile, terms: set[str], text: str) -> bool:
    """The attribute asked for by name is there: its word, or (for kinds of things: "quels pays",
    "quel président") a name of such a thing ("la Chine", "Pezeshkian")."""
    from bot.answer.evidence import new_names

    if q.asked is None or term_in(q.asked, terms):
        return True
    return q.kind not in {"number", "when"} and bool(new_names(text, q))


def _overlaps(a: Candidate, b: Candidate) -> bool:
    return a.article.id == b.article.id and a.start < b.end and b.start < a.end


_FIGURE = re.compile(r"\d+(?:[.,\s]\d+)*|\b(?:un|une|deux|trois|quatre|cinq|six|sept|huit|neuf|dix|onze|douze|"
                     r"quinze|vingt|trente|cent|mille|million|milliards?)\b", re.IGNORECASE)


def _disagrees(a: Candidate, b: Candidate) -> bool:
    """Two articles, mostly the same words, different figures: "six fois" here, "huit fois" there."""
    if a.article.id == b.article.id or not _redundant(a, b):
        return False
    figures_a = sorted(m.group(0).lower() for m in _FIGURE.finditer(a.text))
    figures_b = sorted(m.group(0).lower() for m in _FIGURE.finditer(b.text))
    return figures_a != figures_b


def _redundant(a: Candidate, b: Candidate) -> bool:
    wa = set(re.findall(r"\w+", a.text.lower()))
    wb = set(re.findall(r"\w+", b.text.lower()))
    return len(wa & wb) / max(1, min(len(wa), len(wb))) > 0.7


def also_in(source: Source, lang: str) -> tuple[str, ...]:
    """"Outlet (date)" of each wire copy of a source: one story, every outlet that ran it."""
    from index.dates import format_date

    out = []
    for copy in source.copies:
        label = copy.outlet or copy.title
        out.append(f"{label} ({format_date(copy.date, lang)})" if copy.date else label)
    return tuple(dict.fromkeys(out))


def to_citation(n: int, c: Candidate, lang: str = "fr") -> Citation:
    a = c.article
    return Citation(n=n, article_id=a.id, title=a.title, outlet=a.outlet, date=a.date,
                    date_source=a.date_source, url=a.url, quote=c.text, start=c.start, end=c.end,
                    also_in=also_in(c.source, lang))


def compose(lang: str, citations: list[Citation]) -> tuple[str, list[str]]:
    """The answer text (quotes with [n] markers) and the notes about dates."""
    lines = []
    for i, c in enumerate(citations):
        quote = re.sub(r"\s*\n\s*", " ", c.quote)  # two lines quoted together read as one passage
        if i and citations[i - 1].article_id == c.article_id:  # attributed on the line before
            lines.append(frame(lang, "quote_same", n=c.n, quote=quote))
            continue
        date = c.date_label(lang)
        if c.outlet:
            attribution = frame(lang, "attribution_outlet", title=c.title, outlet=c.outlet, date=date)
        else:
            attribution = frame(lang, "attribution_title", title=c.title, date=date)
        lines.append(frame(lang, "quote", attribution=attribution, n=c.n, quote=quote))
    notes = date_notes(lang, citations)
    return "\n".join(lines + notes), notes


def date_notes(lang: str, citations: list[Citation]) -> list[str]:
    """When the cited articles differ in date, say which is newer (and which dates are unknown)."""
    by_article: dict[str, Citation] = {}
    for c in citations:
        by_article.setdefault(c.article_id, c)
    dated = sorted((c for c in by_article.values() if c.date), key=lambda c: c.date, reverse=True)
    undated = [c for c in by_article.values() if not c.date]
    if len({c.date for c in dated}) < 2:
        if dated and undated:
            refs = ", ".join(f"[{c.n}]" for c in undated)
            return [frame(lang, "undated", refs=refs)]
        return []
    if len(dated) == 2:
        newer, older = dated
        notes = [frame(lang, "newer_two", newer=newer.n, newer_date=newer.date_label(lang), older=older.n,
                       older_date=older.date_label(lang))]
    else:
        order = ", ".join(f"[{c.n}] ({c.date_label(lang)})" for c in dated)
        notes = [frame(lang, "newer_many", order=order)]
    if undated:
        notes.append(frame(lang, "undated", refs=", ".join(f"[{c.n}]" for c in undated)))
    return notes
