"""The conversation a follow-up belongs to, as `list[Turn]` for the answerer.

A follow-up is a reply to one of the bot's answers, or a message in the thread the bot opened for an
answer. The bot's memory of recent answers gives the exact turns (with the resolved questions and the
cited articles); after a restart, the turns are read back from the messages themselves: the reply
chain, or the thread's messages.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import discord

from bot.answer.types import Turn
from bot.discordbot.memory import AnswerMemory
from bot.messages import in_every_language

log = logging.getLogger("kiosque.discord")

#: turns of conversation given to the answerer (the latest ones)
MAX_TURNS = 6
#: messages read back from a thread when the memory does not have them
THREAD_READ_LIMIT = 50

_SECTION_HEADERS = tuple(f"**{text}**" for key in ("answer.sources", "answer.related")
                         for text in in_every_language(key))


@dataclass(frozen=True)
class Said:
    """One message of a conversation, reduced to what makes a turn."""

    by_bot: bool
    text: str


def strip_mention(content: str, bot_id: int | None) -> str:
    """The question without the bot's mention (``<@id>`` or ``<@!id>``)."""
    if bot_id is not None:
        content = re.sub(rf"<@!?{bot_id}>", " ", content)
    return re.sub(r"\s+", " ", content).strip()


def answer_part(content: str) -> str:
    """The answer text of one of the bot's messages: without the sources list that follows it."""
    cut = len(content)
    for header in _SECTION_HEADERS:
        i = content.find(header)
        if i != -1:
            cut = min(cut, i)
    return content[:cut].strip()


def pair_turns(messages: list[Said], max_turns: int = MAX_TURNS) -> list[Turn]:
    """Questions followed by the bot's answers (consecutive bot messages are one split answer)."""
    turns: list[Turn] = []
    question: str | None = None
    answer_parts: list[str] = []

    def close():
        nonlocal question, answer_parts
        if question is not None and answer_parts:
            turns.append(Turn(question=question, answer="\n".join(p for p in answer_parts if p)))
            question, answer_parts = None, []

    for said in messages:
        if said.by_bot:
            if question is not None:
                answer_parts.append(answer_part(said.text))
        else:
            close()
            question, answer_parts = said.text, []
    close()
    return turns[-max_turns:]


def is_bot_thread(channel, bot_id: int | None) -> bool:
    """A thread the bot opened (for an answer)."""
    return isinstance(channel, discord.Thread) and bot_id is not None and channel.owner_id == bot_id


async def conversation_for_reply(message: discord.Message, bot_id: int, memory: AnswerMemory,
                                 max_turns: int = MAX_TURNS) -> list[Turn]:
    """History for a reply to one of the bot's answers: the chain of replies above it."""
    ref = message.reference
    if ref is None or ref.message_id is None:
        return []
    record = memory.by_message(ref.message_id)
    if record is not None:
        return record.conversation(max_turns)
    said: list[Said] = []
    current: discord.Message | None = message
    while current is not None and current.reference is not None and len(said) < 2 * max_turns:
        parent = await _referenced(current)
        if parent is None:
            break
        record = memory.by_message(parent.id)
        if record is not None:  # the rest of the chain is known exactly
            known = record.conversation(max_turns)
            return (known + pair_turns(list(reversed(said)), max_turns))[-max_turns:]
        said.append(Said(parent.author.id == bot_id, strip_mention(parent.content, bot_id)))
        current = parent
    return pair_turns(list(reversed(said)), max_turns)


async def conversation_in_thread(thread: discord.Thread, bot_id: int, memory: AnswerMemory,
                                 before: discord.abc.Snowflake | None = None,
                                 max_turns: int = MAX_TURNS) -> list[Turn]:
    """History for a message in a thread the bot opened: the answer it was opened for, then the thread."""
    record = memory.latest_in(thread.id)
    if record is not None:
        return record.conversation(max_turns)
    head: list[Said] = []
    try:  # the thread was started from the bot's answer, whose id is the thread's; it replied to the question
        starter = await thread.parent.fetch_message(thread.id) if thread.parent else None
    except discord.HTTPException:
        starter = None
    if starter is not None:
        question = await _referenced(starter)
        if question is not None:
            head.append(Said(False, strip_mention(question.content, bot_id)))
        head.append(Said(True, starter.content))
    recent: list[Said] = []  # newest first
    try:
        async for m in thread.history(limit=THREAD_READ_LIMIT, before=before):
            by_bot = m.author.id == bot_id
            recent.append(Said(by_bot, m.content if by_bot else strip_mention(m.content, bot_id)))
    except discord.HTTPException as exc:
        log.warning("could not read the thread %s: %s", thread.id, exc)
    return pair_turns(head + list(reversed(recent)), max_turns)


async def _referenced(message: discord.Message) -> discord.Message | None:
    ref = message.reference
    if ref is None or ref.message_id is None:
        return None
    if isinstance(ref.resolved, discord.Message):
        return ref.resolved
    if isinstance(ref.cached_message, discord.Message):
        return ref.cached_message
    channel = message.channel
    if ref.channel_id != channel.id and message.guild is not None:
        channel = message.guild.get_channel_or_thread(ref.channel_id) or channel
    try:
        return await channel.fetch_message(ref.message_id)
    except (discord.HTTPException, AttributeError):
        return None
