"""Embeddings from an embedding server: any OpenAI-compatible ``/v1/embeddings`` endpoint (Hugging Face
text-embeddings-inference, vLLM, Infinity, Ollama, OpenAI).

Texts go in requests of ``batch_size``; at most ``max_in_flight`` requests are in flight at once, from
every thread of the process together (an ingest with several workers, the bot answering several
questions). The `openai` client retries 429 and 5xx answers, timeouts and dropped connections with
exponential backoff (honouring ``Retry-After``); what still fails becomes an `EmbeddingServerError` that
names the endpoint. Every answer is checked: one vector per text, all of one dimension.

The server embeds the text it is given: e5-style prefixes ("query: ", "passage: ") are added here,
so set them to "" for models that use none (OpenAI's, for instance).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from index.embedders.base import EmbedderUnavailable, require_package

log = logging.getLogger("kiosque.embed")

#: a short text embedded once when the embedder is built: checks the endpoint and learns the dimension
PROBE_TEXT = "dimension"


class EmbeddingServerError(EmbedderUnavailable):
    """The embedding server could not be reached or gave an unusable answer."""


class OpenAIEmbedder:
    backend = "openai"

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        api_key: str | None = None,
        batch_size: int = 32,
        max_in_flight: int = 1,
        timeout_s: float = 60.0,
        max_retries: int = 4,
        query_prefix: str = "query: ",
        passage_prefix: str = "passage: ",
    ):
        openai = require_package("openai", "the embedding-server backend (KIOSQUE_EMBED_BACKEND=openai)",
                                 "'kiosque[openai]'")
        if not base_url:
            raise EmbeddingServerError("the embedding-server backend needs the server's address: "
                                       "set KIOSQUE_EMBED_BASE_URL (e.g. http://127.0.0.1:8080/v1)")
        self.base_url = base_url.rstrip("/")
        self.model_name = model
        #: the server's own precision is unknown here; its vectors are cached apart from local ones
        self.model_id = f"{model}@server"
        self.batch_size = max(1, batch_size)
        self.max_in_flight = max(1, max_in_flight)
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._query_prefix, self._passage_prefix = query_prefix, passage_prefix
        self._openai = openai
        # a key is never read from the environment here (the openai client would read OPENAI_API_KEY);
        # servers without authentication ignore the placeholder
        self._client = openai.OpenAI(base_url=self.base_url, api_key=api_key or "no-key", timeout=timeout_s,
                                     max_retries=max_retries)
        # every request goes through this pool: its size is the number of requests in flight
        self._pool = ThreadPoolExecutor(self.max_in_flight, thread_name_prefix="kiosque-embed")
        self.dim = 0
        self.dim = self._request([PROBE_TEXT]).shape[1]

    # -- one request --------------------------------------------------------------------------------
    def _request(self, texts: list[str]) -> np.ndarray:
        openai, where = self._openai, f"the embedding server at {self.base_url}"
        tries = f"{self.max_retries + 1} tries" if self.max_retries else "1 try"
        try:
            # the raw answer, parsed here: the client's own models walk every float (~5 ms a vector)
            raw = self._client.embeddings.with_raw_response.create(model=self.model_name, input=texts,
                                                                    encoding_format="float")
            body = json.loads(raw.http_response.content)
        except openai.APITimeoutError as exc:
            raise EmbeddingServerError(f"{where} did not answer within {self.timeout_s:g} s ({tries})") from exc
        except openai.APIConnectionError as exc:
            cause = exc.__cause__ or exc
            raise EmbeddingServerError(f"cannot reach {where} ({type(cause).__name__}: {cause}; {tries}): is it "
                                       "running, and is KIOSQUE_EMBED_BASE_URL right?") from exc
        except openai.AuthenticationError as exc:
            raise EmbeddingServerError(f"{where} refused the API key (HTTP 401): check KIOSQUE_EMBED_API_KEY") from exc
        except openai.APIStatusError as exc:
            retried = f" ({tries})" if exc.status_code == 429 or exc.status_code >= 500 else ""
            raise EmbeddingServerError(f"{where} answered HTTP {exc.status_code}{retried}: "
                                       f"{_server_message(exc)}") from exc
        except Exception as exc:  # a body that is not the JSON of an embeddings answer (truncated, HTML...)
            raise EmbeddingServerError(f"{where} sent an answer that is not an embeddings response "
                                       f"({type(exc).__name__}: {str(exc)[:200]})") from exc
        return self._vectors(body, len(texts), where)

    def _vectors(self, body, expected: int, where: str) -> np.ndarray:
        try:
            rows = sorted(body["data"], key=lambda d: d["index"])
            vectors = np.asarray([row["embedding"] for row in rows], dtype=np.float32)
        except (KeyError, AttributeError, TypeError, ValueError) as exc:
            raise EmbeddingServerError(f"{where} sent an answer that is not an embeddings response ({exc})") from exc
        if vectors.ndim != 2 or vectors.shape[0] != expected:
            raise EmbeddingServerError(f"{where} returned {len(rows)} vectors for {expected} texts")
        if self.dim and vectors.shape[1] != self.dim:
            raise EmbeddingServerError(f"{where} returned vectors of dimension {vectors.shape[1]} for model "
                                       f"{self.model_name!r}, which gave {self.dim} before")
        if not np.isfinite(vectors).all():
            raise EmbeddingServerError(f"{where} returned vectors with NaN or infinite values")
        # servers differ on normalising; the store's cosine space assumes unit vectors
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    # -- the Embedder protocol ----------------------------------------------------------------------
    def _embed(self, texts: Sequence[str], prefix: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [prefix + t for t in texts]
        batches = [texts[i : i + self.batch_size] for i in range(0, len(texts), self.batch_size)]
        return np.vstack(list(self._pool.map(self._request, batches)))

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self._passage_prefix)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._embed(texts, self._query_prefix)

    def embed_query_with_tokens(self, text: str, *, layer: int | None = None) -> None:
        return None

    def token_states(self, queries: Sequence[str], passages: Sequence[str], *, layer: int | None = None) -> None:
        """An embeddings endpoint returns one pooled vector per text, never token states."""
        return None

    def fine_tuned(self, model_id: str, deltas: dict) -> None:
        return None

    def describe(self) -> dict:
        return {
            "model": self.model_name, "backend": "openai-compatible server", "endpoint": self.base_url,
            "device": "server", "precision": "server", "batch_size": self.batch_size,
            "in_flight": self.max_in_flight, "dim": self.dim,
        }


def _server_message(exc) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        message = error.get("message") if isinstance(error, dict) else error
        if message:
            return str(message)[:300]
    return str(getattr(exc, "message", exc))[:300]
