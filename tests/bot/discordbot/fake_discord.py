"""A fake Discord for the tests: REST and gateway on 127.0.0.1, for the real discord.py client.

Discord itself cannot be reached from CI, and the test doubles that exist stop short (dpytest has no
interactions, threads or message references with discord.py 2.7). This server speaks just enough of
Discord's API v10 for the bot: login (``GET /users/@me``, ``/oauth2/applications/@me``), the gateway
(HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeats answered with op 11 and timed, op 8 answered with a
member chunk), messages (create, edit, fetch, history, replies), typing, reactions, threads started from
a message, interaction callbacks and webhook follow-ups, and command sync.

It runs in its own thread with its own event loop, so that its clock is not the bot's: a bot that blocks
its event loop shows up as late heartbeats here. Tests drive it from their loop with coroutines that
inject gateway events (`say`, `slash`, `click`) and await the REST calls the bot makes (`wait_for`).

Like Discord, it blanks the content of messages the bot is not addressed in unless the bot asked for the
Message Content intent, answers JSON with exactly ``Content-Type: application/json`` (discord.py parses
nothing else), and refuses a wrong token with 401 (REST) or close code 4004 (gateway).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from aiohttp import WSMsgType, web

DISCORD_EPOCH_MS = 1420070400000
MESSAGE_CONTENT_INTENT = 1 << 15
EPHEMERAL = 1 << 6
LOADING = 1 << 7


@dataclass
class Call:
    """One REST call the bot made."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    at: float
    status: int = 200

    def __repr__(self) -> str:
        return f"<{self.method} {self.path} {json.dumps(self.body, ensure_ascii=False)[:200] if self.body else ''}>"


CALL = web.RequestKey("call", Call)


@dataclass
class FakeInteraction:
    id: int
    token: str
    type: int
    channel_id: int
    user: dict
    dispatched_at: float
    original_id: int | None = None
    loading: bool = False
    ephemeral: bool = False
    responded_at: float | None = None


@dataclass
class FakeUser:
    id: int
    name: str
    roles: tuple[int, ...] = ()
    bot: bool = False

    def user(self) -> dict:
        return {"id": str(self.id), "username": self.name, "discriminator": "0", "global_name": self.name,
                "avatar": None, "bot": self.bot, "public_flags": 0, "flags": 0}

    def member(self, *, with_user: bool = False, permissions: str | None = None) -> dict:
        m = {"roles": [str(r) for r in self.roles], "joined_at": _now_iso(), "deaf": False, "mute": False,
             "flags": 0, "nick": None, "avatar": None, "premium_since": None, "pending": False}
        if with_user:
            m["user"] = self.user()
        if permissions is not None:
            m["permissions"] = permissions
        return m


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class FakeDiscord:
    """One guild (``Kiosque Test``) with a few channels, roles and members, and the bot user."""

    def __init__(self, *, token: str = "fake.bot.token", heartbeat_ms: int = 41250, locale: str = "fr"):
        self.token = token
        self.heartbeat_ms = heartbeat_ms
        self.locale = locale
        self._ids = itertools.count(1)
        self.app_id = self.snowflake()
        self.guild_id = self.snowflake()
        self.role_readers = self.snowflake()
        self.role_admins = self.snowflake()
        self.roles = {self.guild_id: "@everyone", self.role_readers: "Lecteurs", self.role_admins: "Admins"}
        self.bot = FakeUser(self.app_id, "Kiosque", bot=True)
        self.alice = FakeUser(self.snowflake(), "alice", (self.role_readers,))
        self.bob = FakeUser(self.snowflake(), "bob", (self.role_readers, self.role_admins))
        self.carol = FakeUser(self.snowflake(), "carol")
        self.users = {u.id: u for u in (self.bot, self.alice, self.bob, self.carol)}
        self.general = self.snowflake()
        self.plain = self.snowflake()
        self.elsewhere = self.snowflake()
        self.channels: dict[int, dict] = {}
        for cid, name in ((self.general, "general"), (self.plain, "questions"), (self.elsewhere, "off-topic")):
            self.channels[cid] = {"id": str(cid), "type": 0, "name": name, "guild_id": str(self.guild_id),
                                  "position": len(self.channels), "permission_overwrites": [], "parent_id": None,
                                  "nsfw": False, "topic": None, "last_message_id": None, "rate_limit_per_user": 0,
                                  "flags": 0}
        # a thread someone else opened earlier: the bot must not treat its messages as follow-ups
        self.other_thread = self.snowflake()
        self.channels[self.other_thread] = self._thread_payload(self.other_thread, self.general, self.alice.id,
                                                               "discussion")
        # alice's direct messages with the bot (not part of the guild)
        self.dm = self.snowflake()
        self.channels[self.dm] = {"id": str(self.dm), "type": 1, "recipients": [self.alice.user()],
                                  "last_message_id": None, "flags": 0}
        self.messages: dict[int, dict[int, dict]] = {cid: {} for cid in self.channels}
        self.ephemeral: list[dict] = []
        self.calls: list[Call] = []
        self.heartbeats: list[float] = []
        self.identify: dict | None = None
        self.interactions: dict[int, FakeInteraction] = {}
        self.commands: dict[str, list[dict]] = {}
        self.gateway_connections = 0
        self._ws: web.WebSocketResponse | None = None
        self._seq = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- life ------------------------------------------------------------------------------------
    def snowflake(self) -> int:
        ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        return (ms << 22) | (next(self._ids) & 0x3FFFFF)

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    def start(self) -> FakeDiscord:
        started = threading.Event()

        def serve():
            loop = self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            loop.run_until_complete(self._start_site())
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name="fake-discord", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the fake Discord server did not start")
        return self

    def stop(self) -> None:
        if self._loop is not None:
            if self._ws is not None:
                asyncio.run_coroutine_threadsafe(self._ws.close(), self._loop)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    async def _start_site(self) -> None:
        app = web.Application(middlewares=[self._record])
        app.router.add_get("/gateway", self._gateway)
        r = app.router
        api = "/api/v10"
        r.add_get(api + "/users/@me", self._me)
        r.add_get(api + "/oauth2/applications/@me", self._application)
        r.add_get(api + "/gateway", self._gateway_info)
        r.add_get(api + "/gateway/bot", self._gateway_info)
        r.add_post(api + "/channels/{cid}/messages", self._create_message)
        r.add_get(api + "/channels/{cid}/messages", self._history)
        r.add_get(api + "/channels/{cid}/messages/{mid}", self._get_message)
        r.add_patch(api + "/channels/{cid}/messages/{mid}", self._edit_message)
        r.add_post(api + "/channels/{cid}/typing", self._no_content)
        r.add_put(api + "/channels/{cid}/messages/{mid}/reactions/{emoji}/@me", self._no_content)
        r.add_delete(api + "/channels/{cid}/messages/{mid}/reactions/{emoji}/@me", self._no_content)
        r.add_post(api + "/channels/{cid}/messages/{mid}/threads", self._start_thread)
        r.add_post(api + "/interactions/{iid}/{token}/callback", self._interaction_callback)
        r.add_post(api + "/webhooks/{app}/{token}", self._followup)
        r.add_get(api + "/webhooks/{app}/{token}/messages/{mid}", self._get_followup)
        r.add_patch(api + "/webhooks/{app}/{token}/messages/{mid}", self._edit_followup)
        r.add_put(api + "/applications/{app}/commands", self._sync_commands)
        r.add_put(api + "/applications/{app}/guilds/{gid}/commands", self._sync_commands)
        r.add_get(api + "/applications/{app}/commands", self._list_commands)
        r.add_route("*", api + "/{tail:.*}", self._unknown)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    def _on_server(self, coro):
        """Run a coroutine on the server's loop, awaitable from the test's loop."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    # -- what tests call ---------------------------------------------------------------------------
    async def say(self, content: str, *, user: FakeUser | None = None, channel: int | None = None,
                  mention_bot: bool = False, reply_to: dict | None = None, ping_reply: bool = True) -> dict:
        """A member posts a message (MESSAGE_CREATE). ``mention_bot`` prefixes ``<@bot>``; a reply pings
        its author by default, as Discord's client does."""
        return await self._on_server(self._user_message(
            content, user or self.alice, channel or self.general, mention_bot, reply_to, ping_reply))

    async def slash(self, name: str, *, user: FakeUser | None = None, channel: int | None = None,
                    **options) -> FakeInteraction:
        """A member runs a slash command (INTERACTION_CREATE, application command)."""
        data = {"id": str(self.snowflake()), "name": name, "type": 1, "guild_id": str(self.guild_id),
                "options": [{"name": k, "type": 3, "value": v} for k, v in options.items()]}
        return await self._on_server(self._interaction(2, data, user or self.alice, channel or self.general))

    async def click(self, custom_id: str, message: dict, *, user: FakeUser | None = None) -> FakeInteraction:
        """A member clicks a button under one of the bot's messages (INTERACTION_CREATE, component)."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._on_server(self._interaction(3, data, user or self.alice, int(message["channel_id"]),
                                                       message=message))

    async def dispatch(self, event: str, data: dict) -> None:
        await self._on_server(self._dispatch(event, data))

    async def wait_for(self, predicate, *, timeout: float = 30.0, after: int = 0, what: str = "") -> Call:
        """The first REST call (from index ``after``) matching ``predicate``."""
        deadline = time.monotonic() + timeout
        while True:
            for call in self.calls[after:]:
                if predicate(call):
                    return call
            if time.monotonic() > deadline:
                raise AssertionError(f"no REST call {what or predicate} within {timeout} s; calls: {self.calls[after:]}")
            await asyncio.sleep(0.01)

    async def wait_for_message(self, predicate=lambda m: True, *, channel: int | None = None,
                               timeout: float = 30.0, after: int = 0) -> dict:
        """The first message the bot created (channel message or interaction follow-up) matching ``predicate``."""
        call = await self.wait_for(
            lambda c: c.method == "POST" and c.status < 300 and isinstance(c.body, dict) and "content" in c.body
            and (re.fullmatch(r"/channels/\d+/messages", c.path) or c.path.startswith("/webhooks/"))
            and (channel is None or c.body.get("_channel_id") == channel) and predicate(c.body),
            timeout=timeout, after=after, what="creating a message")
        return call.body["_message"]

    def mark(self) -> int:
        """An index into `calls`: `wait_for(after=mark)` looks only at what the bot does next."""
        return len(self.calls)

    def bot_messages(self, channel: int | None = None) -> list[dict]:
        out = []
        for cid, msgs in self.messages.items():
            if channel is None or cid == channel:
                out.extend(m for m in msgs.values() if m["author"]["id"] == str(self.bot.id))
        return sorted(out, key=lambda m: int(m["id"]))

    def sends(self) -> list[Call]:
        """Every call that carries message content: what allowed_mentions must cover."""
        out = []
        for c in self.calls:
            body = c.body if isinstance(c.body, dict) else {}
            if c.path.endswith("/callback"):
                body = body.get("data") or {}
            if c.method in ("POST", "PATCH") and ("content" in body or "embeds" in body):
                out.append(c)
        return out

    # -- the gateway -----------------------------------------------------------------------------
    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self._ws, self._seq = ws, 0
        self.gateway_connections += 1
        await ws.send_str(json.dumps({"op": 10, "d": {"heartbeat_interval": self.heartbeat_ms}, "s": None, "t": None}))
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            payload = json.loads(msg.data)
            op = payload.get("op")
            if op == 1:
                self.heartbeats.append(time.monotonic())
                await ws.send_str(json.dumps({"op": 11, "d": None, "s": None, "t": None}))
            elif op == 2:
                if payload["d"].get("token") != self.token:
                    await ws.close(code=4004, message=b"Authentication failed.")
                    break
                self.identify = payload["d"]
                await self._dispatch("READY", self._ready())
                await self._dispatch("GUILD_CREATE", self._guild())
            elif op == 8:
                await self._dispatch("GUILD_MEMBERS_CHUNK", {
                    "guild_id": str(self.guild_id), "members": [u.member(with_user=True) for u in self.users.values()],
                    "chunk_index": 0, "chunk_count": 1, "nonce": payload["d"].get("nonce")})
            elif op == 6:  # resume: not supported, start a new session
                await ws.send_str(json.dumps({"op": 9, "d": False, "s": None, "t": None}))
        if self._ws is ws:
            self._ws = None
        return ws

    async def _dispatch(self, event: str, data: dict) -> None:
        if self._ws is None:
            raise AssertionError("the bot is not connected to the gateway")
        self._seq += 1
        await self._ws.send_str(json.dumps({"op": 0, "t": event, "s": self._seq, "d": data}))

    def _ready(self) -> dict:
        user = {**self.bot.user(), "verified": True, "mfa_enabled": False, "email": None}
        return {"v": 10, "user": user, "guilds": [{"id": str(self.guild_id), "unavailable": True}],
                "session_id": "fake-session", "resume_gateway_url": self.gateway_url, "shard": [0, 1],
                "application": {"id": str(self.app_id), "flags": 0}, "private_channels": [], "relationships": [],
                "presences": [], "geo_ordered_rtc_regions": [], "guild_join_requests": [], "user_settings": {}}

    def _guild(self) -> dict:
        return {
            "id": str(self.guild_id), "name": "Kiosque Test", "icon": None, "splash": None, "discovery_splash": None,
            "owner_id": str(self.carol.id), "afk_channel_id": None, "afk_timeout": 300, "verification_level": 0,
            "default_message_notifications": 0, "explicit_content_filter": 0, "mfa_level": 0, "features": [],
            "roles": [{"id": str(rid), "name": name, "permissions": "0", "position": i, "color": 0, "hoist": False,
                       "managed": False, "mentionable": False, "flags": 0, "icon": None, "unicode_emoji": None}
                      for i, (rid, name) in enumerate(self.roles.items())],
            "emojis": [], "stickers": [], "application_id": None, "system_channel_id": None, "system_channel_flags": 0,
            "rules_channel_id": None, "vanity_url_code": None, "description": None, "banner": None, "premium_tier": 0,
            "preferred_locale": self.locale, "public_updates_channel_id": None, "nsfw_level": 0,
            "premium_progress_bar_enabled": False, "joined_at": _now_iso(), "large": False, "unavailable": False,
            "member_count": len(self.users), "voice_states": [], "presences": [], "stage_instances": [],
            "guild_scheduled_events": [], "soundboard_sounds": [],
            "members": [{**u.member(with_user=True)} for u in self.users.values()],
            "channels": [{**c, "guild_id": str(self.guild_id)} for c in self.channels.values() if c["type"] == 0],
            "threads": [c for c in self.channels.values() if c["type"] == 11],
        }

    # -- building objects ------------------------------------------------------------------------
    def _thread_payload(self, tid: int, parent: int, owner: int, name: str) -> dict:
        return {"id": str(tid), "guild_id": str(self.guild_id), "parent_id": str(parent), "owner_id": str(owner),
                "name": name, "type": 11, "last_message_id": None, "message_count": 0, "member_count": 1,
                "rate_limit_per_user": 0, "flags": 0, "total_message_sent": 0, "applied_tags": [],
                "thread_metadata": {"archived": False, "auto_archive_duration": 1440,
                                    "archive_timestamp": _now_iso(), "locked": False}}

    def _message(self, channel_id: int, author: FakeUser, content: str, **extra) -> dict:
        mid = self.snowflake()
        msg = {"id": str(mid), "channel_id": str(channel_id), "guild_id": str(self.guild_id),
               "author": author.user(), "content": content, "timestamp": _now_iso(), "edited_timestamp": None,
               "tts": False, "mention_everyone": False, "mentions": [], "mention_roles": [], "attachments": [],
               "embeds": [], "pinned": False, "type": 0, "flags": 0, "components": []}
        if self.channels[channel_id]["type"] == 1:  # a DM: no guild, no member
            del msg["guild_id"]
        elif not author.bot or not extra.get("webhook_id"):
            msg["member"] = author.member()
        msg.update(extra)
        return msg

    def _store(self, msg: dict) -> dict:
        self.messages.setdefault(int(msg["channel_id"]), {})[int(msg["id"])] = msg
        return msg

    async def _user_message(self, content, user, channel, mention_bot, reply_to, ping_reply) -> dict:
        if mention_bot:
            content = f"<@{self.bot.id}> {content}"
        mentions = []
        if mention_bot or re.search(rf"<@!?{self.bot.id}>", content):
            mentions.append({**self.bot.user(), "member": self.bot.member()})
        extra: dict = {}
        if reply_to is not None:
            extra = {"type": 19, "referenced_message": reply_to,
                     "message_reference": {"type": 0, "message_id": reply_to["id"], "channel_id": reply_to["channel_id"],
                                           "guild_id": str(self.guild_id)}}
            author = self.users.get(int(reply_to["author"]["id"]))
            if ping_reply and author is not None and not any(m["id"] == str(author.id) for m in mentions):
                mentions.append({**author.user(), "member": author.member()})
        msg = self._store(self._message(channel, user, content, mentions=mentions, **extra))
        addressed = any(m["id"] == str(self.bot.id) for m in mentions) or self.channels[channel]["type"] == 1
        intents = int((self.identify or {}).get("intents", 0))
        delivered = dict(msg)
        if not addressed and not intents & MESSAGE_CONTENT_INTENT:
            delivered.update(content="", embeds=[], attachments=[], components=[])
        await self._dispatch("MESSAGE_CREATE", delivered)
        return msg

    async def _interaction(self, itype: int, data: dict, user: FakeUser, channel: int, message: dict | None = None):
        iid = self.snowflake()
        token = f"itoken-{iid}"
        ch = self.channels[channel]
        payload = {
            "id": str(iid), "application_id": str(self.app_id), "type": itype, "token": token, "version": 1,
            "guild_id": str(self.guild_id), "channel_id": str(channel), "channel": ch, "data": data,
            "member": user.member(with_user=True, permissions=str((1 << 41) - 1)),
            "app_permissions": str((1 << 41) - 1), "locale": self.locale, "guild_locale": self.locale,
            "entitlements": [], "authorizing_integration_owners": {"0": str(self.guild_id)}, "context": 0,
            "attachment_size_limit": 8 * 1024 * 1024,
        }
        if message is not None:
            payload["message"] = message
        interaction = FakeInteraction(iid, token, itype, channel, user.user(), time.monotonic())
        self.interactions[iid] = interaction
        await self._dispatch("INTERACTION_CREATE", payload)
        return interaction

    def _by_token(self, token: str) -> FakeInteraction:
        for i in self.interactions.values():
            if i.token == token:
                return i
        raise web.HTTPNotFound()

    # -- REST ------------------------------------------------------------------------------------
    @web.middleware
    async def _record(self, request: web.Request, handler):
        if request.path == "/gateway":
            return await handler(request)
        body: Any = None
        if request.can_read_body:
            if request.content_type == "application/json":
                body = await request.json()
            elif request.content_type.startswith("multipart/"):
                form = await request.post()
                body = json.loads(form.get("payload_json") or "{}")
                body["_files"] = [k for k in form if k != "payload_json"]
        call = Call(request.method, request.path[len("/api/v10"):], dict(request.query), body, time.monotonic())
        request[CALL] = call
        if request.headers.get("Authorization") != f"Bot {self.token}" and "/webhooks/" not in request.path \
                and "/interactions/" not in request.path:
            call.status = 401
            self.calls.append(call)
            return _json({"message": "401: Unauthorized", "code": 0}, 401)
        try:
            response = await handler(request)
        except web.HTTPNotFound:
            response = _json({"message": "Unknown", "code": 10008}, 404)
        call.status = response.status
        self.calls.append(call)
        return response

    async def _me(self, request):
        return _json({**self.bot.user(), "verified": True, "mfa_enabled": False})

    async def _application(self, request):
        return _json({"id": str(self.app_id), "name": "Kiosque", "icon": None, "description": "", "rpc_origins": [],
                      "bot_public": True, "bot_require_code_grant": False, "owner": self.carol.user(), "summary": "",
                      "verify_key": "0" * 64, "team": None, "flags": 0, "tags": [], "bot": self.bot.user()})

    async def _gateway_info(self, request):
        return _json({"url": self.gateway_url, "shards": 1,
                      "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})

    async def _no_content(self, request):
        return web.Response(status=204)

    async def _unknown(self, request):
        return _json({"message": f"not faked: {request.method} {request.path}", "code": 0}, 404)

    def _channel(self, request) -> int:
        cid = int(request.match_info["cid"])
        if cid not in self.channels:
            raise web.HTTPNotFound()
        return cid

    def _bot_message(self, channel: int, body: dict, **extra) -> dict:
        fields = {k: body[k] for k in ("content", "embeds", "components", "flags") if k in body}
        fields["components"] = [_copy_component(row) for row in fields.get("components", [])]
        return self._message(channel, self.bot, fields.pop("content", ""), **fields, **extra)

    async def _create_message(self, request):
        cid = self._channel(request)
        body = request[CALL].body
        extra = {}
        ref = body.get("message_reference")
        if ref:
            target = self.messages.get(int(ref.get("channel_id") or cid), {}).get(int(ref["message_id"]))
            if target is None and ref.get("fail_if_not_exists", True):
                return _json({"message": "Unknown message", "code": 50035}, 400)
            extra = {"type": 19, "message_reference": {**ref, "channel_id": str(ref.get("channel_id") or cid)},
                     "referenced_message": target}
        msg = self._store(self._bot_message(cid, body, **extra))
        body["_channel_id"], body["_message"] = cid, msg
        await self._dispatch("MESSAGE_CREATE", msg)
        return _json(msg)

    async def _history(self, request):
        cid = self._channel(request)
        limit = int(request.query.get("limit", 50))
        before = int(request.query.get("before", 1 << 63))
        after = int(request.query.get("after", 0))
        found = [m for mid, m in sorted(self.messages.get(cid, {}).items(), reverse=True) if after < mid < before]
        return _json(found[:limit])

    async def _get_message(self, request):
        cid = self._channel(request)
        msg = self.messages.get(cid, {}).get(int(request.match_info["mid"]))
        if msg is None:
            raise web.HTTPNotFound()
        return _json(msg)

    async def _edit_message(self, request):
        cid = self._channel(request)
        msg = self.messages.get(cid, {}).get(int(request.match_info["mid"]))
        if msg is None:
            raise web.HTTPNotFound()
        body = request[CALL].body
        msg.update({k: body[k] for k in ("content", "embeds", "components") if k in body})
        msg["edited_timestamp"] = _now_iso()
        await self._dispatch("MESSAGE_UPDATE", msg)
        return _json(msg)

    async def _start_thread(self, request):
        cid = self._channel(request)
        mid = int(request.match_info["mid"])
        if mid not in self.messages.get(cid, {}):
            raise web.HTTPNotFound()
        if mid in self.channels:
            return _json({"message": "A thread has already been created for this message", "code": 160004}, 400)
        body = request[CALL].body
        thread = self._thread_payload(mid, cid, self.bot.id, body["name"])
        self.channels[mid] = thread
        self.messages[mid] = {}
        self.messages[cid][mid]["thread"] = thread
        await self._dispatch("THREAD_CREATE", {**thread, "newly_created": True})
        return _json(thread, 201)

    async def _interaction_callback(self, request):
        interaction = self.interactions.get(int(request.match_info["iid"]))
        if interaction is None or interaction.token != request.match_info["token"]:
            raise web.HTTPNotFound()
        if interaction.responded_at is not None:
            return _json({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
        interaction.responded_at = time.monotonic()
        body = request[CALL].body
        rtype, data = body["type"], body.get("data") or {}
        eph = bool(int(data.get("flags") or 0) & EPHEMERAL)
        msg = None
        if rtype in (4, 5):
            flags = (EPHEMERAL if eph else 0) | (LOADING if rtype == 5 else 0)
            msg = self._bot_message(interaction.channel_id, {**data, "flags": flags}, webhook_id=str(self.app_id),
                                    application_id=str(self.app_id))
            interaction.original_id, interaction.loading, interaction.ephemeral = int(msg["id"]), rtype == 5, eph
            if eph:
                self.ephemeral.append(msg)
            else:
                self._store(msg)
                await self._dispatch("MESSAGE_CREATE", msg)
            if rtype == 4:
                body["_channel_id"], body["_message"] = interaction.channel_id, msg
        response = {"interaction": {"id": str(interaction.id), "type": interaction.type,
                                    "response_message_id": msg["id"] if msg else None,
                                    "response_message_loading": rtype == 5, "response_message_ephemeral": eph}}
        if msg is not None:
            response["resource"] = {"type": rtype, "message": msg}
        return _json(response)

    async def _followup(self, request):
        interaction = self._by_token(request.match_info["token"])
        body = request[CALL].body
        if interaction.responded_at is None:
            return _json({"message": "Unknown Webhook", "code": 10015}, 404)
        if interaction.loading:  # the first follow-up after a deferral replaces the "thinking…" message
            interaction.loading = False
            store = self.ephemeral if interaction.ephemeral else None
            msg = (next(m for m in store if m["id"] == str(interaction.original_id)) if store is not None
                   else self.messages[interaction.channel_id][interaction.original_id])
            fields = self._bot_message(interaction.channel_id, body)
            msg.update({k: fields[k] for k in ("content", "embeds", "components")})
            msg["flags"] = EPHEMERAL if interaction.ephemeral else 0
            if not interaction.ephemeral:
                await self._dispatch("MESSAGE_UPDATE", msg)
        else:
            eph = bool(int(body.get("flags") or 0) & EPHEMERAL)
            msg = self._bot_message(interaction.channel_id, body, webhook_id=str(self.app_id),
                                    application_id=str(self.app_id))
            if eph:
                self.ephemeral.append(msg)
            else:
                self._store(msg)
                await self._dispatch("MESSAGE_CREATE", msg)
        body["_channel_id"], body["_message"] = interaction.channel_id, msg
        return _json(msg)

    async def _get_followup(self, request):
        interaction = self._by_token(request.match_info["token"])
        mid = interaction.original_id if request.match_info["mid"] == "@original" else int(request.match_info["mid"])
        msg = self.messages.get(interaction.channel_id, {}).get(mid) or next(
            (m for m in self.ephemeral if m["id"] == str(mid)), None)
        if msg is None:
            raise web.HTTPNotFound()
        return _json(msg)

    async def _edit_followup(self, request):
        interaction = self._by_token(request.match_info["token"])
        mid = interaction.original_id if request.match_info["mid"] == "@original" else int(request.match_info["mid"])
        msg = self.messages.get(interaction.channel_id, {}).get(mid) or next(
            (m for m in self.ephemeral if m["id"] == str(mid)), None)
        if msg is None:
            raise web.HTTPNotFound()
        body = request[CALL].body
        msg.update({k: body[k] for k in ("content", "embeds", "components") if k in body})
        if mid == interaction.original_id:
            interaction.loading = False
        return _json(msg)

    async def _sync_commands(self, request):
        scope = request.match_info.get("gid", "global")
        body = request[CALL].body
        commands = [{"id": str(self.snowflake()), "application_id": str(self.app_id), "version": "1",
                     "type": c.get("type", 1), "name": c["name"], "description": c.get("description", ""),
                     "options": c.get("options", []), "default_member_permissions": None, "dm_permission": True,
                     "nsfw": False, **({"guild_id": scope} if scope != "global" else {})} for c in body]
        self.commands[scope] = commands
        return _json(commands)

    async def _list_commands(self, request):
        return _json(self.commands.get("global", []))


def _copy_component(component: dict) -> dict:
    return {**component, "components": [dict(c) for c in component.get("components", [])]} \
        if "components" in component else dict(component)


def _json(obj, status: int = 200) -> web.Response:
    # exactly "application/json": discord.py does not parse "application/json; charset=utf-8"
    return web.Response(body=json.dumps(obj).encode(), status=status, headers={"Content-Type": "application/json"})
