"""Every number the reader decides with, in one typed object, fitted on PIAF's questions (never on
our own eval questions) by ``benchmarks/fit_reader.py`` and stored next to this module as
``weights.json``. Nothing in the reader's code is a hand-set weight or threshold."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np

WEIGHTS_FILE = "weights.json"


@dataclass(frozen=True)
class LinearModel:
    """A logistic model over named features: ``sigmoid(Σ coef[name] · x[name] + intercept)``.
    Features it does not name weigh nothing; names it has that a caller lacks count as 0."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float = 0.0

    def __post_init__(self) -> None:
        if len(self.features) != len(self.coef):
            raise ValueError(f"{len(self.features)} features but {len(self.coef)} coefficients")

    def vector(self, names: tuple[str, ...]) -> np.ndarray:
        """The coefficients aligned to a caller's column order."""
        by_name = dict(zip(self.features, self.coef))
        return np.array([by_name.get(n, 0.0) for n in names], dtype=np.float32)

    def logits(self, matrix: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        return matrix @ self.vector(names) + self.intercept

    def probabilities(self, matrix: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logits(matrix, names), -500.0, 500.0)))

    def probability(self, values: dict[str, float]) -> float:
        z = self.intercept + sum(c * values.get(n, 0.0) for n, c in zip(self.features, self.coef))
        return 1.0 / (1.0 + math.exp(-min(max(z, -500.0), 500.0)))


@dataclass(frozen=True)
class ReadingWeights:
    """The models the reader uses where its reading model runs (``comprehension.py``): fitted on
    readings of tune questions by a model that did not train on them."""

    #: the shortlist, second stage: ``FEATURES`` and the reading model's (``READING``)
    sentence: LinearModel
    #: does the located sentence answer? ``ANSWERABILITY`` and the reading model's (``READ_ANSWERABILITY``)
    answerable: LinearModel
    #: a span's score: the span scorer's log-probability plus this times the reading model's
    span_weight: float
    refusal_threshold: float
    further_quote_threshold: float
    #: how many first-stage candidates it reads, and the second stage weighs, in place of
    #: ``ReaderWeights.shortlist`` (its pass costs about as much as the shortlist's own reading)
    shortlist: int = 4


@dataclass(frozen=True)
class ReaderWeights:
    #: candidate sentences, first stage: lexical features only (all candidates)
    lexical: LinearModel
    #: the shortlist, second stage: lexical + meaning + the token alignment, a sentence in the question's language
    sentence: LinearModel
    #: the same without the token alignment, for an embedder that returns pooled vectors only (a server)
    sentence_without_tokens: LinearModel
    #: the same for a sentence in another language than the question (no shared words to count)
    sentence_cross_lingual: LinearModel
    #: does the located sentence answer the question? (question-level features, seen from that sentence)
    answerable: LinearModel
    answerable_cross_lingual: LinearModel
    #: the same over pooled vectors only (a server): its cosines are not the reading layer's
    answerable_without_tokens: LinearModel
    #: the answer span within the chosen sentence
    span: LinearModel
    #: below this answerability the reader says the articles don't say
    refusal_threshold: float
    refusal_threshold_cross_lingual: float
    refusal_threshold_without_tokens: float
    #: a further sentence is quoted only when its answerability is at least this (fitted as the refusal
    #: threshold is; kept apart so that a refusal threshold set by hand moves refusals only)
    further_quote_threshold: float
    further_quote_threshold_cross_lingual: float
    further_quote_threshold_without_tokens: float
    #: how many first-stage candidates get the second stage's features (the embedding model's reading:
    #: a compute budget, ~10 ms a sentence in bf16, ~20-30 ms in fp32 on two cores)
    shortlist: int
    #: the same for a question asked in another language than most of its candidate sentences: the
    #: first stage ranks by shared words, which such a question has none of, so the meaning model
    #: reads more of them (a budget, not fitted: docs/benchmarks.md, "Stop 29")
    shortlist_cross_lingual: int
    #: the encoder layer whose token states the reader reads question and shortlist with (its pass stops
    #: there): the weights are fitted on that layer's cosines. e5-small's last, 12: reading 9 would save
    #: a quarter of the pass for 1.3 points of answers (docs/benchmarks.md, "Stop 30")
    reading_layer: int
    #: where the numbers come from: data, split, command, date, and the figures they reached
    provenance: dict = field(default_factory=dict)
    #: the models for a reader with its reading model (None: fitted without one)
    reading: ReadingWeights | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=1)

    @classmethod
    def from_dict(cls, data: dict) -> ReaderWeights:
        models = _models(data)
        rest = {k: v for k, v in data.items() if k not in models and k != "reading"}
        reading = data.get("reading")
        if reading is not None:
            reading_models = _models(reading)
            reading = ReadingWeights(**reading_models, **{k: v for k, v in reading.items() if k not in reading_models})
        return cls(**models, **rest, reading=reading)


def _models(data: dict) -> dict[str, LinearModel]:
    return {k: LinearModel(tuple(v["features"]), tuple(v["coef"]), v["intercept"])
            for k, v in data.items() if isinstance(v, dict) and "coef" in v}


@lru_cache(maxsize=1)
def default_weights() -> ReaderWeights:
    text = resources.files("bot.answer.reader").joinpath(WEIGHTS_FILE).read_text(encoding="utf-8")
    return ReaderWeights.from_dict(json.loads(text))
