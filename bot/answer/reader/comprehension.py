"""The reading model: the built-in encoder fine-tuned to read a question and a sentence together
and point at the words that answer (start and end of a span, or none), as extractive QA models do.

The features of the rest of the reader see each sentence apart from the question (shared words,
cosines, token alignment); none of them sees that a sentence on topic misses by one relation. No
such model installs offline (no cross-encoder or QA weights on PyPI), so Kiosque ships its own: the
built-in e5-small's twelve layers fine-tuned on PIAF's tune questions
(``benchmarks/train_reading_model.py``), stored as int4 differences from the built-in weights
(``reading_model.safetensors``, ~12 MB) and applied to the embedder's own encoder when it runs that
model in this process (``Embedder.fine_tuned``). Elsewhere (an embedding server,
sentence-transformers, another model) the reader goes without it, on its own fitted weights.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODEL_FILE = "reading_model.safetensors"
#: a span is at most this many tokens long (PIAF's answers: 95 % under 12)
MAX_SPAN_TOKENS = 20


@dataclass(frozen=True)
class SentenceReading:
    """What the reading model makes of one sentence for one question."""

    #: how much likelier the best span is than "no answer here" (start + end logits, best span minus
    #: the no-answer position's)
    answer: float
    #: start and end logits of the sentence's tokens, and each token's character offsets in the sentence
    starts: np.ndarray
    ends: np.ndarray
    offsets: np.ndarray

    def span_score(self, start: int, end: int) -> float:
        """Start + end logits of the characters ``[start, end)`` of the sentence: the tokens they begin
        and end in; very low where the span lies beyond what the model read (a cut sentence)."""
        if not len(self.offsets):
            return -1e4
        first = int(np.searchsorted(self.offsets[:, 1], start, side="right"))
        last = int(np.searchsorted(self.offsets[:, 0], end, side="left")) - 1
        if first >= len(self.offsets) or last < first:
            return -1e4
        return float(self.starts[first] + self.ends[last])

    def best_span(self) -> tuple[int, int] | None:
        """The characters ``[start, end)`` of the sentence's best span (None: nothing was read)."""
        if not len(self.offsets):
            return None
        _, first, last = best_span(self.starts, self.ends)
        return int(self.offsets[first, 0]), int(self.offsets[last, 1])


def best_span(starts: np.ndarray, ends: np.ndarray, max_tokens: int = MAX_SPAN_TOKENS) -> tuple[float, int, int]:
    """(start + end, first token, last token) of the best span of at most ``max_tokens`` tokens."""
    if not len(starts):
        return -1e4, 0, 0
    grid = starts[:, None] + ends[None, :]
    n = len(starts)
    i, j = np.indices((n, n))
    grid[(j < i) | (j - i >= max_tokens)] = -np.inf
    first, last = np.unravel_index(int(np.argmax(grid)), grid.shape)
    return float(grid[first, last]), int(first), int(last)


#: what a model may read before each sentence (the ``context`` it was trained with): nothing, or the
#: title of the sentence's article
CONTEXTS = ("none", "title")


def passage_prefix(passage_prompt: str, title: str, context: str) -> str:
    """What the pair's second text holds before the sentence: the passage prompt, and for a model
    trained with ``context`` "title" the article's title ("Edward Dickinson Baker — Il meurt en
    1861.": whom "il" names). Shared with ``benchmarks/train_reading_model.py``."""
    return passage_prompt + (f"{title} — " if context == "title" and title.strip() else "")


class ReadingModel:
    """Reads (question, sentence) pairs with a fine-tuned encoder and a start/end head."""

    def __init__(self, encoder, head_weight: np.ndarray, head_bias: np.ndarray, *, query_prompt: str,
                 passage_prompt: str, max_tokens: int, provenance: dict, context: str = "none"):
        if context not in CONTEXTS:
            raise ValueError(f"reading model context {context!r}: expected one of {CONTEXTS}")
        self.encoder = encoder
        self.head_weight = head_weight.astype(np.float32)
        self.head_bias = head_bias.astype(np.float32)
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.max_tokens = max_tokens
        self.provenance = provenance
        self.context = context

    def read(self, question: str, sentences: list[str], titles: list[str] | None = None) -> list[SentenceReading | None]:
        """Each sentence's reading (``titles``: their articles' titles, read before them by a model
        trained so); None for one of which nothing was read (a question so long that it fills the
        ``max_tokens`` the model reads)."""
        prefixes = [passage_prefix(self.passage_prompt, t, self.context) for t in (titles or [""] * len(sentences))]
        pairs = [(self.query_prompt + question, p + s) for p, s in zip(prefixes, sentences, strict=True)]
        return [sentence_reading(states @ self.head_weight.T + self.head_bias, enc.sequence_ids, enc.offsets, len(p))
                for p, (states, enc) in zip(prefixes, self.encoder.read_pairs(pairs, max_tokens=self.max_tokens))]


def sentence_reading(logits: np.ndarray, sequence_ids: list, offsets: list, prompt_chars: int) -> SentenceReading | None:
    """A pair's reading from the head's start/end ``logits`` over the tokens read (``[read, 2]``), the
    tokenizer's sequence ids and character offsets of the pair (possibly longer than what was read),
    and the length of what precedes the sentence in its text (``passage_prefix``). None where none
    of the sentence was read.
    (Shared with ``benchmarks/train_reading_model.py read``, whose readings the weights are fitted on.)"""
    null = float(logits[0, 0] + logits[0, 1])
    # the sentence's own tokens: second text, past its prompt, within what was read
    keep = [k for k, (sid, (a, b)) in enumerate(zip(sequence_ids, offsets))
            if sid == 1 and k < len(logits) - 1 and b > prompt_chars]
    if not keep:
        return None
    starts, ends = logits[keep, 0], logits[keep, 1]
    spans = np.array([(max(offsets[k][0] - prompt_chars, 0), offsets[k][1] - prompt_chars) for k in keep],
                     dtype=np.int64).reshape(-1, 2)
    return SentenceReading(best_span(starts, ends)[0] - null, starts, ends, spans)


def differences(tensors: dict, group: int) -> dict:
    """The fine-tuned weights' differences from the built-in ones, in fp32: ``delta.NAME`` as stored;
    ``q8.NAME`` / ``q4.NAME`` (int8, or int4 two to a byte, low nibble first) times ``scale.NAME``,
    one scale per ``group`` values of a row (0: one per row)."""
    import torch

    out = {}
    for key, value in tensors.items():
        kind, _, name = key.partition(".")
        if kind == "delta":
            if not value.is_floating_point():  # quantized values without their scales: not a format this reads
                raise ValueError(f"reading model file: {key} is {value.dtype}, expected floats (re-export the model)")
            out[name] = value.to(torch.float32)
        elif kind in ("q4", "q8"):
            if kind == "q4":
                nibbles = torch.stack([value & 0xF, value >> 4], dim=-1).reshape(value.shape[0], -1).to(torch.int8)
                value = torch.where(nibbles > 7, nibbles - 16, nibbles)
            scale = tensors[f"scale.{name}"].to(torch.float32)
            rows, cols = value.shape
            out[name] = (value.to(torch.float32).reshape(rows, -1, group or cols) * scale.reshape(rows, -1, 1)).reshape(rows, cols)
    return out


def load_reading_model(embedder, path: Path | None = None) -> ReadingModel | None:
    """The shipped reading model on ``embedder``'s encoder, or None where the embedder cannot run it
    (not the built-in model in this process) or the file is absent."""
    from safetensors import safe_open

    source = path or resources.files("bot.answer.reader").joinpath(MODEL_FILE)
    if not Path(str(source)).exists():
        return None
    fine_tune = getattr(embedder, "fine_tuned", None)
    if fine_tune is None:
        return None
    try:
        with safe_open(str(source), framework="pt") as f:
            meta = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
        deltas = differences(tensors, int(meta.get("group", 0)))
    except Exception as e:  # safetensors' own error type is not importable by a stable name
        # a damaged install: answer with the reader's other models rather than fail every question
        log.warning("the reading model file %s cannot be read (%s): the reader goes without it", source, e)
        return None
    context = meta.get("context", "none")
    if context not in CONTEXTS:  # a model from another version of Kiosque: it would read what it was not trained on
        log.warning("the reading model file %s reads a context this version does not know (%r): the reader goes "
                    "without it", source, context)
        return None
    encoder = fine_tune(meta.get("base_model", ""), deltas)
    if encoder is None:
        log.info("the reading model needs the built-in embedding model in this process: the reader goes without it")
        return None
    return ReadingModel(encoder, tensors["head.weight"].numpy(), tensors["head.bias"].numpy(),
                        query_prompt=meta.get("query_prompt", "query: "), passage_prompt=meta.get("passage_prompt", "passage: "),
                        max_tokens=int(meta.get("max_tokens", 128)), provenance=json.loads(meta.get("provenance", "{}")),
                        context=context)
