"""Decide, then act: who gets an answer, who may rebuild the index, how often one may ask.

Pure functions over small frozen facts (no discord objects), so every rule is unit-tested without
Discord; the cogs extract the facts, call these, and follow the decision with early returns.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.settings import DiscordSettings

#: text commands (after a mention of the bot, or `!kiosque ` with the Message Content intent)
TEXT_COMMANDS = ("reindex", "status")
TEXT_PREFIX = "!kiosque"
_COMMAND = re.compile(rf"^(?:{re.escape(TEXT_PREFIX)}\s+)?({'|'.join(TEXT_COMMANDS)})\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rules:
    """The allow lists, as sets of strings (ids; role names compared case-insensitively)."""

    guilds: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    plain_channels: frozenset[str] = frozenset()
    allowed_roles: frozenset[str] = frozenset()
    admin_roles: frozenset[str] = frozenset()
    admin_users: frozenset[str] = frozenset()

    @classmethod
    def from_settings(cls, s: DiscordSettings) -> Rules:
        def norm(values):
            return frozenset(v.strip().casefold() for v in values if v and v.strip())

        return cls(norm(s.guilds), norm(s.channels), norm(s.plain_channels), norm(s.allowed_roles),
                   norm(s.admin_roles), norm(s.admin_users))


@dataclass(frozen=True)
class Who:
    """The person asking, and where."""

    user_id: int
    guild_id: int | None = None
    channel_id: int = 0
    #: the parent channel when the message is in a thread
    parent_id: int | None = None
    role_ids: tuple[int, ...] = ()
    role_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class MessageFacts:
    """What the bot needs to know about a message to decide whether it is a question for it."""

    who: Who
    author_is_bot: bool = False
    #: the text with the bot's mention removed
    text: str = ""
    mentions_bot: bool = False
    #: a reply to one of the bot's messages
    reply_to_bot: bool = False
    #: in a thread the bot opened for an answer
    in_bot_thread: bool = False
    #: a direct message to the bot (every DM is addressed to it)
    is_dm: bool = False


@dataclass(frozen=True)
class Decision:
    respond: bool
    #: why (for logs and tests): "mention", "reply", "thread", "plain", "command", or why not
    reason: str
    #: "question" or "command" when responding
    kind: str | None = None
    command: str | None = None
    #: key of the sentence (texts.py) to tell the user when refusing; None means stay silent
    notice: str | None = None


def _match(rules_set: frozenset[str], ids, names=()) -> bool:
    return any(str(i) in rules_set for i in ids) or any(n.casefold() in rules_set for n in names)


def place_allowed(who: Who, rules: Rules) -> bool:
    """Allowed guild, and allowed channel (a thread counts as its parent channel)."""
    if rules.guilds and (who.guild_id is None or str(who.guild_id) not in rules.guilds):
        return False
    allowed_channels = rules.channels | rules.plain_channels if rules.channels else frozenset()
    if allowed_channels and not _match(allowed_channels, [c for c in (who.channel_id, who.parent_id) if c]):
        return False
    return True


def role_allowed(who: Who, rules: Rules) -> bool:
    return not rules.allowed_roles or _match(rules.allowed_roles, who.role_ids, who.role_names)


def is_admin(who: Who, rules: Rules) -> bool:
    """Configured admin users and roles only: with none configured, nobody may rebuild the index."""
    return str(who.user_id) in rules.admin_users or _match(rules.admin_roles, who.role_ids, who.role_names)


def in_plain_channel(who: Who, rules: Rules) -> bool:
    return _match(rules.plain_channels, [c for c in (who.channel_id, who.parent_id) if c])


def text_command(text: str) -> str | None:
    m = _COMMAND.match(text.strip())
    return m.group(1).lower() if m else None


def should_respond(facts: MessageFacts, rules: Rules) -> Decision:
    """Is this message a question (or a text command) for the bot, and may its author ask here?"""
    if facts.author_is_bot:
        return Decision(False, "author is a bot")
    text = facts.text.strip()
    prefixed = text.lower().startswith(TEXT_PREFIX + " ") or text.lower() == TEXT_PREFIX
    if facts.mentions_bot:
        how = "mention"
    elif facts.reply_to_bot:
        how = "reply"
    elif prefixed:
        how = "prefix"
    elif facts.in_bot_thread:
        how = "thread"
    elif facts.is_dm:
        how = "dm"
    elif in_plain_channel(facts.who, rules):
        how = "plain"
    else:
        return Decision(False, "not addressed to the bot")
    if not place_allowed(facts.who, rules):
        return Decision(False, "channel or guild not allowed")
    command = text_command(text) if how in ("mention", "prefix", "dm") else None
    if command:
        return Decision(True, how, kind="command", command=command)
    if not role_allowed(facts.who, rules):
        return Decision(False, "role not allowed", notice="role_refused")
    if prefixed:
        text = text[len(TEXT_PREFIX):].strip()
    if not re.search(r"\w", text):
        # an empty mention deserves a hint; an empty message in a thread or plain channel (an image,
        # or no Message Content intent) does not
        return Decision(False, "empty question", notice="empty_question" if how in ("mention", "dm") else None)
    return Decision(True, how, kind="question")


def may_ask(who: Who, rules: Rules) -> Decision:
    """For slash commands and buttons: the same allow lists, always with a notice (the user acted)."""
    if not place_allowed(who, rules):
        return Decision(False, "channel or guild not allowed", notice="place_refused")
    if not role_allowed(who, rules):
        return Decision(False, "role not allowed", notice="role_refused")
    return Decision(True, "allowed", kind="question")


@dataclass(frozen=True)
class RateResult:
    allowed: bool
    #: seconds until the next question is allowed (0 when allowed)
    retry_after: float = 0.0


@dataclass
class RateLimiter:
    """At most ``count`` questions per user in any window of ``seconds`` (sliding window)."""

    count: int
    seconds: float
    clock: Callable[[], float] = time.monotonic
    _hits: dict[int, deque] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def check(self, user_id: int) -> RateResult:
        """Counts the question when it is allowed; a refused one does not use up the allowance."""
        if self.count <= 0:
            return RateResult(True)
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(user_id, deque())
            while hits and hits[0] <= now - self.seconds:
                hits.popleft()
            if len(hits) >= self.count:
                return RateResult(False, max(0.0, hits[0] + self.seconds - now))
            hits.append(now)
            if len(self._hits) > 10_000:  # forget people who stopped asking
                for uid in [u for u, h in self._hits.items() if not h or h[-1] <= now - self.seconds]:
                    del self._hits[uid]
            return RateResult(True)
