"""A real HTTP server on 127.0.0.1 that speaks OpenAI's ``/v1/embeddings`` API, standing in for an
embedding server (text-embeddings-inference, vLLM, Infinity, Ollama, OpenAI).

It embeds with ``vectors(texts) -> array`` (tests give it the built-in model, so retrieval through it
is real; the throughput benchmark gives it a cheap deterministic function) and can misbehave on
demand: ``latency_s`` before each answer, ``statuses`` (answers to give first, e.g. ``[429, 500]``, then
normal ones), ``dim`` (cut vectors to another dimension), ``truncate`` (send half of the JSON body),
``api_key`` (then requests without ``Authorization: Bearer <key>`` get a 401). It counts requests and
the most it ever had in flight at once.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler

import numpy as np

from tests.helpers.local_http import LocalHttpServer, send_json

Vectors = Callable[[Sequence[str]], np.ndarray]


def hashed_vectors(dim: int = 384) -> Vectors:
    """Deterministic unit vectors from each text's hash: costs nothing, for throughput benchmarks."""
    def vectors(texts: Sequence[str]) -> np.ndarray:
        rows = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(t.encode("utf-8")).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
            rows.append(v / np.linalg.norm(v))
        return np.asarray(rows, dtype=np.float32)
    return vectors


class FakeEmbeddingServer(LocalHttpServer):
    def __init__(self, vectors: Vectors, *, model: str = "test-embedder"):
        self.vectors = vectors
        self.model = model
        self.latency_s = 0.0
        self.statuses: list[int] = []
        self.retry_after_ms: int | None = 20
        self.dim: int | None = None
        self.truncate = False
        self.api_key: str | None = None
        self.requests: list[dict] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()  # the model behind it computes one batch at a time
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def do_GET(self):  # noqa: N802
                """/stats: requests served and the most in flight at once (``?reset`` restarts the latter)."""
                if not self.path.startswith("/stats"):
                    return send_json(self, 404, {"error": {"message": f"no route {self.path}"}})
                with server._lock:
                    stats = {"requests": len(server.requests), "max_in_flight": server.max_in_flight}
                    if "reset" in self.path:
                        server.max_in_flight = 0
                send_json(self, 200, stats)

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                with server._lock:
                    server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    status = server.statuses.pop(0) if server.statuses else 200
                try:
                    server._answer(self, body, status)
                finally:
                    with server._lock:
                        server.in_flight -= 1

        super().__init__(Handler)

    def _answer(self, handler, body: dict, status: int) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)
        if handler.path != "/v1/embeddings":
            return send_json(handler, 404, {"error": {"message": f"no route {handler.path}"}})
        if self.api_key and handler.headers.get("Authorization") != f"Bearer {self.api_key}":
            return send_json(handler, 401, {"error": {"message": "invalid api key", "type": "invalid_request_error"}})
        if status != 200:
            headers = {"retry-after-ms": str(self.retry_after_ms)} if self.retry_after_ms is not None else {}
            return send_json(handler, status, {"error": {"message": f"fake failure {status}", "type": "server_error"}},
                         headers)
        if body.get("model") != self.model:
            return send_json(handler, 404, {"error": {"message": f"model {body.get('model')!r} not found"}})
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        with self._model_lock:
            vectors = np.asarray(self.vectors(texts), dtype=np.float32)
        if self.dim:
            vectors = vectors[:, : self.dim]
        payload = {
            "object": "list", "model": self.model,
            "data": [{"object": "embedding", "index": i, "embedding": v.tolist()} for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": sum(len(t) // 4 for t in texts), "total_tokens": sum(len(t) // 4 for t in texts)},
        }
        send_json(handler, 200, payload, truncate=self.truncate)

def main() -> None:
    """Serve hashed vectors from a process of its own (as a real server would run), e.g. for
    benchmarks/embed_server.py: prints ``port N`` once listening, serves until killed."""
    import argparse

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    ap.add_argument("--dim", type=int, default=384)
    ap.add_argument("--model", default="test-embedder")
    args = ap.parse_args()
    server = FakeEmbeddingServer(hashed_vectors(args.dim), model=args.model)
    server.latency_s = args.latency
    print(f"port {server.port}", flush=True)
    server._httpd.serve_forever()


if __name__ == "__main__":
    main()
