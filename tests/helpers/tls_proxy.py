"""A TLS reverse proxy on 127.0.0.1 that requires a token, in front of a local `chroma run`: how a
deployed Chroma 1.x is secured (its server has no authentication of its own, and no TLS).

Requests without ``Authorization: Bearer <token>`` (or ``X-Chroma-Token: <token>``) get a 401 like
Chroma's own token auth gives; the others are forwarded as they are. The certificate in ``tls/`` is a
self-signed one for 127.0.0.1 made for these tests only (``cert.pem`` is also its own CA).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from pathlib import Path

from aiohttp import ClientSession, web

TLS = Path(__file__).resolve().parent / "tls"
CERT, KEY = TLS / "cert.pem", TLS / "key.pem"
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "content-encoding"}


class TokenTlsProxy:
    def __init__(self, upstream_port: int, token: str):
        self.upstream = f"http://127.0.0.1:{upstream_port}"
        self.token = token
        self.refused = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    def _authorised(self, request: web.Request) -> bool:
        return (request.headers.get("Authorization") == f"Bearer {self.token}"
                or request.headers.get("X-Chroma-Token") == self.token)

    async def _forward(self, request: web.Request) -> web.Response:
        if not self._authorised(request):
            self.refused += 1
            return web.json_response({"error": "Unauthorized", "message": "missing or wrong token"}, status=401)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP | {"authorization"}}
        async with self._session.request(request.method, self.upstream + request.path_qs, headers=headers,
                                         data=await request.read()) as answer:
            body = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP}
            return web.Response(status=answer.status, body=body, headers=kept)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def start():
            self._session = ClientSession()
            app = web.Application(client_max_size=256 * 2**20)
            app.router.add_route("*", "/{tail:.*}", self._forward)
            self._runner = web.AppRunner(app, access_log=None)
            await self._runner.setup()
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(CERT, KEY)
            site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]

        self._loop.run_until_complete(start())
        self._ready.set()
        self._loop.run_forever()

    def __enter__(self) -> TokenTlsProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc) -> None:
        async def stop():
            await self._session.close()
            await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
