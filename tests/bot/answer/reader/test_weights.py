"""The fitted weights that ship: they load, name only features the reader computes, and say where
they come from (PIAF, never the seed questions)."""

from __future__ import annotations

import json

import pytest

from bot.answer.reader.features import CROSS_LINGUAL, FEATURES, LEXICAL
from bot.answer.reader.pipeline import ANSWERABILITY, SPAN_DESIGN
from bot.answer.reader.weights import LinearModel, ReaderWeights, default_weights


def test_the_shipped_weights_name_known_features_and_their_provenance():
    w = default_weights()
    assert set(w.lexical.features) <= set(LEXICAL)
    assert set(w.sentence.features) <= set(FEATURES)
    assert set(w.sentence_cross_lingual.features) <= set(CROSS_LINGUAL)
    assert set(w.answerable.features) <= set(ANSWERABILITY)
    assert set(w.answerable_cross_lingual.features) <= set(ANSWERABILITY)
    assert set(w.span.features) <= set(SPAN_DESIGN)
    assert set(w.answerable_without_tokens.features) <= set(ANSWERABILITY)
    assert 0 < w.refusal_threshold < 1 and 0 < w.refusal_threshold_cross_lingual < 1 and w.shortlist >= 2
    assert 0 < w.further_quote_threshold < 1 and 0 < w.further_quote_threshold_cross_lingual < 1
    assert 0 < w.refusal_threshold_without_tokens < 1 and 0 < w.further_quote_threshold_without_tokens < 1
    assert 1 <= w.reading_layer <= 12
    assert "PIAF" in w.provenance["data"] and "seeds" not in w.provenance["command"]


def test_round_trip_and_a_malformed_model_is_refused():
    w = default_weights()
    assert ReaderWeights.from_dict(json.loads(w.to_json())) == w
    with pytest.raises(ValueError, match="coefficients"):
        LinearModel(("a", "b"), (1.0,), 0.0)


def test_a_linear_model_reads_features_by_name():
    m = LinearModel(("b", "a"), (2.0, -1.0), 0.5)
    import numpy as np

    logits = m.logits(np.array([[1.0, 3.0, 7.0]]), ("a", "b", "unknown"))
    assert logits.tolist() == [-1.0 + 6.0 + 0.5]
    assert m.probability({"a": 0.0, "b": 0.0}) == pytest.approx(1 / (1 + np.exp(-0.5)))
