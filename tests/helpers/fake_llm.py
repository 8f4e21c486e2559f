"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions API, standing in for an
LLM endpoint (vLLM, llama.cpp server, LM Studio...). Tests give it a ``responder``: a function from
the prompt to the reply text; it may also sleep (timeouts) or fail with a status code."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from tests.helpers.local_http import LocalHttpServer, send_json


class FakeLLM(LocalHttpServer):
    def __init__(self, responder: Callable[[str], str] | None = None):
        self.responder = responder or (lambda prompt: "")
        self.requests: list[dict] = []
        self.status = 200
        self.delay_s = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if server.delay_s:
                    time.sleep(server.delay_s)
                if server.status != 200:
                    self._send(server.status, {"error": {"message": "fake failure", "type": "server_error"}})
                    return
                prompt = "\n".join(m.get("content", "") for m in body.get("messages", []))
                content = server.responder(prompt)
                self._send(200, {
                    "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
                    "model": body.get("model", "fake"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                                 "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": len(prompt) // 4, "completion_tokens": len(content) // 4,
                              "total_tokens": (len(prompt) + len(content)) // 4},
                })

            def _send(self, status, payload):
                send_json(self, status, payload)

        super().__init__(Handler)


def passages_of(prompt: str) -> dict[int, str]:
    """The numbered passages Kiosque put in the prompt: {n: text}."""
    out = {}
    for m in re.finditer(r"^\[(\d+)\] [^\n]*\n(.*?)(?=\n\n\[\d+\] |\n\nQuestion:)", prompt, re.S | re.M):
        out[int(m.group(1))] = m.group(2).strip()
    return out


def first_sentence(text: str) -> str:
    return re.split(r"(?<=[.!?»])\s", text, maxsplit=1)[0]
