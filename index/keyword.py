"""The keyword side of hybrid retrieval: BM25 (bm25s) over chunks, with an analyser built for
French (stopwords, Snowball stemming, accent folding) and other languages by setting.

Each chunk's analysed terms are stored once, as ids, in the catalog; an ingest that changed
something builds the next BM25 generation from those ids (no re-tokenising), and one that
changed nothing touches nothing.
"""

from __future__ import annotations

import json
import re
import shutil
import unicodedata
from collections.abc import Iterable, Sequence
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
            stop |= _ELISIONS
        self.stopwords = frozenset(stop | {fold(w) for w in stop})
        self._stem = lru_cache(maxsize=200_000)(self._stem_uncached)

    def _stem_uncached(self, word: str) -> str:
        return fold(self._stemmer.stemWord(word))

    def terms(self, text: str) -> list[str]:
        out = []
        for word in _WORD.findall(text.lower()):
            if word in self.stopwords or word.replace("_", "") == "":
                continue
            term = self._stem(word)
            if term and term not in self.stopwords:
                out.append(term)
        return out


class KeywordIndex:
    """A loaded BM25 generation: scores every indexed chunk for a query."""

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
        scores = self.scores(query)
        if scores.size == 0:
            return []
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, scores.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self.chunk_ids[i], float(scores[i])) for i in top if scores[i] > 0]


def build_generation(
    directory: Path,
    chunk_ids: Sequence[str],
    token_ids: Iterable[np.ndarray],
    vocab: dict[str, int],
    *,
    k1: float,
    b: float,
) -> None:
    """Write one BM25 generation to ``directory`` from per-chunk term-id arrays (global ids)."""
    import bm25s

    directory = Path(directory)
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    arrays = list(token_ids)
    (tmp / "chunk_ids.json").write_text(json.dumps(list(chunk_ids)))
    if arrays and sum(a.size for a in arrays) > 0:
        # compact the global term ids to 0..V-1 over the terms that still occur
        flat = np.concatenate([a.astype(np.int64) for a in arrays]) if arrays else np.zeros(0, np.int64)
        used, inverse = np.unique(flat, return_inverse=True)
        bounds = np.cumsum([0] + [a.size for a in arrays])
        docs = [inverse[bounds[i] : bounds[i + 1]].tolist() for i in range(len(arrays))]
        by_id = {gid: term for term, gid in vocab.items()}
        compact_vocab = {by_id[int(gid)]: i for i, gid in enumerate(used)}
        retriever = bm25s.BM25(k1=k1, b=b)
        retriever.index(bm25s.tokenization.Tokenized(ids=docs, vocab=compact_vocab), show_progress=False)
        retriever.save(str(tmp))
        # document frequency of each compact term id (for idf weights outside BM25 scoring)
        doc_of = np.repeat(np.arange(len(arrays)), [a.size for a in arrays])
        pairs = np.unique(doc_of.astype(np.int64) * len(used) + inverse)
        np.save(tmp / "doc_freq.npy", np.bincount(pairs % len(used), minlength=len(used)).astype(np.int32))
    if directory.exists():
        shutil.rmtree(directory)
    tmp.rename(directory)


def load_generation(directory: Path, analyzer: Analyzer) -> KeywordIndex:
    import bm25s

    directory = Path(directory)
    chunk_ids = json.loads((directory / "chunk_ids.json").read_text())
    retriever = None
    doc_freq = None
    if (directory / "params.index.json").exists():
        retriever = bm25s.BM25.load(str(directory), mmap=False)
        if (directory / "doc_freq.npy").exists():
            doc_freq = np.load(directory / "doc_freq.npy")
    return KeywordIndex(analyzer, retriever, chunk_ids, doc_freq)
