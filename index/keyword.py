"""The keyword side of hybrid retrieval: BM25 (bm25s) over chunks, with an analyser built for
French (stopwords, Snowball stemming, accent folding) and other languages by setting.

Each chunk's analysed terms are stored once, as ids, in the catalog; an ingest that changed
something builds the next BM25 generation from those ids (no re-tokenising), and one that
changed nothing touches nothing.

A generation also holds an article-level list (``articles/``): BM25 over whole articles, each
its title (repeated, titles say what the story is) and the terms of all its chunks. A question
that summarises a story matches the article as a whole better than any one passage
(docs/benchmarks.md: OrangeSum hit@10 +5 points). It is built in the same temporary directory
as the chunk index, so both appear at once or not at all.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_LANG_CODES = {
    "french": "fr", "english": "en", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt",
    "dutch": "nl", "russian": "ru", "swedish": "sv", "norwegian": "no", "danish": "da", "turkish": "tr",
}
#: elided articles and pronouns ("l'", "qu'", "d'") that stopword lists miss once split off
_ELISIONS = {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"}
#: function words the French stopword list lacks (it has "leur", "elle", "ou", "des", "la")
_FRENCH_FUNCTION_WORDS = {"où", "leurs", "elles", "dès", "là", "lorsque", "puisque", "jusque", "quoique", "uns",
                          "unes", "lès", "ès"}
#: The analyser's version, stored with the terms it produced: a store whose chunks another version
#: analysed re-analyses them at its next ingest (nothing is re-embedded). 2: a French word is
#: dropped only when it is itself a function word, no longer when its folded stem looks like one:
#: "tué" (stem "tu"), "né" ("ne"), "dû" ("du"), "sûr" ("sur"), "danse" ("dans") were invisible.
ANALYZER_VERSION = 2


def fold(text: str) -> str:
    """Lowercase and strip accents: 'Téhéran' -> 'teheran'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


class Analyzer:
    """text -> index terms. Lowercase, drop stopwords, stem with Snowball, fold accents."""

    def __init__(self, language: str = "french"):
        import Stemmer
        from bm25s.tokenization import _infer_stopwords

        self.language = language
        try:
            self._stemmer = Stemmer.Stemmer(language)
        except KeyError as exc:
            raise ValueError(f"no Snowball stemmer for language {language!r}") from exc
        try:
            stop = set(_infer_stopwords(_LANG_CODES.get(language, language)))
        except (ValueError, KeyError):
            stop = set()
        if language == "french":
            stop |= _ELISIONS | _FRENCH_FUNCTION_WORDS
        self.stopwords = frozenset(stop | {fold(w) for w in stop})
        #: French words are judged by themselves, its stems are too short to tell (see ANALYZER_VERSION);
        #: for the other languages a stem that is a stopword still drops the word
        self._stems_checked = language != "french"
        #: what ``terms`` depends on: stored with a store's terms
        self.fingerprint = f"{language}/{ANALYZER_VERSION}"
        self._stem = lru_cache(maxsize=200_000)(self._stem_uncached)

    def _stem_uncached(self, word: str) -> str:
        return fold(self._stemmer.stemWord(word))

    def stopword_share(self, text: str) -> float:
        """The share of a text's words that are stopwords of this analyser's language: a question
        in that language has many (the French seed questions: 0.29 to 0.67), one in another language
        few (the English ones: 0 to 0.20)."""
        words = [w for w in _WORD.findall(text.lower()) if not w.isdigit()]
        return sum(w in self.stopwords for w in words) / len(words) if words else 0.0

    def terms(self, text: str) -> list[str]:
        out = []
        for word in _WORD.findall(text.lower()):
            if word in self.stopwords or word.replace("_", "") == "":
                continue
            term = self._stem(word)
            if term and not (self._stems_checked and term in self.stopwords):
                out.append(term)
        return out


class KeywordIndex:
    """A loaded BM25 index: scores every indexed chunk (or, for the article-level list, every
    article: then ``chunk_ids`` are article ids) for a query."""

    def __init__(self, analyzer: Analyzer, retriever, chunk_ids: list[str], doc_freq: np.ndarray | None = None):
        self.analyzer = analyzer
        self._bm25 = retriever
        self.chunk_ids = chunk_ids
        self.row_of = {cid: i for i, cid in enumerate(chunk_ids)}
        self._df = doc_freq

    def idf(self, term: str) -> float:
        """BM25's idf of an analysed term over the chunks; a term no chunk contains gets the
        highest idf (a question word the corpus never uses is the most telling one)."""
        n = len(self.chunk_ids)
        df = 0
        if self._bm25 is not None and self._df is not None:
            tid = self._bm25.vocab_dict.get(term)
            if tid is not None and tid < len(self._df):
                df = int(self._df[tid])
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    def __len__(self) -> int:
        return len(self.chunk_ids)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (row order = ``chunk_ids``); zeros when no term matches."""
        if self._bm25 is None:
            return np.zeros(0, dtype=np.float32)
        terms = [t for t in self.analyzer.terms(query) if t in self._bm25.vocab_dict]
        if not terms:
            return np.zeros(len(self.chunk_ids), dtype=np.float32)
        return self._bm25.get_scores(terms)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top ``k`` (chunk id, score) with a positive score, among ``allowed`` rows if given."""
        return self.top(self.scores(query), k, allowed)

    def top(self, scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """The ``k`` best rows of ``scores`` (what ``scores`` returned) with a positive score."""
        if scores.size == 0 or k <= 0:
            return []
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]


#: the article-level list lives in this sub-directory of a generation
ARTICLES_DIR = "articles"
#: bumped when the article-level documents change meaning: older generations are rebuilt once
ARTICLE_FORMAT = 1


@dataclass(frozen=True)
class ArticleDocuments:
    """The article-level list's documents: one per article, its title's term ids repeated
    ``title_weight`` times followed by its chunks' term ids (global ids, like the chunks')."""

    ids: Sequence[str]
    token_ids: Sequence[np.ndarray]
    k1: float
    b: float
    title_weight: int

    @property
    def params(self) -> dict:
        return {"format": ARTICLE_FORMAT, "k1": self.k1, "b": self.b, "title_weight": self.title_weight}


def build_generation(
    directory: Path,
    chunk_ids: Sequence[str],
    token_ids: Iterable[np.ndarray],
    vocab: dict[str, int],
    *,
    k1: float,
    b: float,
    articles: ArticleDocuments | None = None,
) -> None:
    """Write one BM25 generation to ``directory`` from per-chunk term-id arrays (global ids), and
    the article-level list when ``articles`` is given. Written aside, then renamed."""
    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    by_id = {gid: term for term, gid in vocab.items()}
    _write_bm25(tmp, "chunk_ids.json", chunk_ids, list(token_ids), by_id, k1=k1, b=b, doc_freq=True)
    if articles is not None:
        sub = tmp / ARTICLES_DIR
        sub.mkdir()
        _write_bm25(sub, "article_ids.json", articles.ids, list(articles.token_ids), by_id,
                    k1=articles.k1, b=articles.b, doc_freq=False)
        (sub / "kiosque.json").write_text(json.dumps(articles.params))
    if directory.exists():
        shutil.rmtree(directory)
    tmp.rename(directory)


def _write_bm25(directory: Path, ids_file: str, ids: Sequence[str], arrays: list[np.ndarray],
                term_of: dict[int, str], *, k1: float, b: float, doc_freq: bool) -> None:
    import bm25s

    (directory / ids_file).write_text(json.dumps(list(ids)))
    if not arrays or sum(a.size for a in arrays) == 0:
        return
    # compact the global term ids to 0..V-1 over the terms that still occur
    flat = np.concatenate([a.astype(np.int64) for a in arrays])
    used, inverse = np.unique(flat, return_inverse=True)
    bounds = np.cumsum([0] + [a.size for a in arrays])
    docs = [inverse[bounds[i] : bounds[i + 1]].tolist() for i in range(len(arrays))]
    compact_vocab = {term_of[int(gid)]: i for i, gid in enumerate(used)}
    retriever = bm25s.BM25(k1=k1, b=b)
    retriever.index(bm25s.tokenization.Tokenized(ids=docs, vocab=compact_vocab), show_progress=False)
    retriever.save(str(directory))
    if doc_freq:  # document frequency of each compact term id (for idf weights outside BM25 scoring)
        doc_of = np.repeat(np.arange(len(arrays)), [a.size for a in arrays])
        pairs = np.unique(doc_of.astype(np.int64) * len(used) + inverse)
        np.save(directory / "doc_freq.npy", np.bincount(pairs % len(used), minlength=len(used)).astype(np.int32))


def _load_bm25(directory: Path, ids_file: str, analyzer: Analyzer) -> KeywordIndex:
    import bm25s

    ids = json.loads((directory / ids_file).read_text())
    retriever = None
    doc_freq = None
    if (directory / "params.index.json").exists():
        retriever = bm25s.BM25.load(str(directory), mmap=False)
        if (directory / "doc_freq.npy").exists():
            doc_freq = np.load(directory / "doc_freq.npy")
    return KeywordIndex(analyzer, retriever, ids, doc_freq)


def load_generation(directory: Path, analyzer: Analyzer) -> KeywordIndex:
    """The chunk index of a generation."""
    return _load_bm25(Path(directory), "chunk_ids.json", analyzer)


def load_article_index(directory: Path, analyzer: Analyzer) -> KeywordIndex | None:
    """The article-level list of a generation; None for a generation built before it existed."""
    sub = Path(directory) / ARTICLES_DIR
    if not (sub / "kiosque.json").exists():
        return None
    return _load_bm25(sub, "article_ids.json", analyzer)


def article_params(directory: Path) -> dict | None:
    """What a generation's article-level list was built with (None: it has none)."""
    try:
        return json.loads((Path(directory) / ARTICLES_DIR / "kiosque.json").read_text())
    except (OSError, ValueError):
        return None
