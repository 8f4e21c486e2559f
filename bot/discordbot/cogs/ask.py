"""Questions: `/ask`, mentions, plain-message channels, and follow-ups (replies to an answer, messages in
the thread opened for it). Each handler is a straight line: decide (policy.py), then act."""

from __future__ import annotations

import logging

import discord
from discord import app_commands
from discord.ext import commands

from bot.dates import date_error_message
from bot.discordbot import history, policy
from bot.discordbot.cogs import who_is
from bot.discordbot.cogs.feedback import answer_view
from bot.discordbot.formatting import render_answer, render_timeline
from bot.discordbot.memory import AnswerRecord
from bot.discordbot.replies import InteractionReply, MessageReply, Reply, working
from bot.discordbot.texts import duration, language_of
from bot.messages import say
from index.dates import DateError
from index.retrieval import Filters

log = logging.getLogger("kiosque.discord")

#: the options' names in a bad-date message
OPTION_NAMES = {"as_of": "as_of"}
#: Discord's limit for a thread name
THREAD_NAME_LIMIT = 100


def thread_name(question: str) -> str:
    name = " ".join(question.split())
    return name if len(name) <= THREAD_NAME_LIMIT else name[: THREAD_NAME_LIMIT - 1].rstrip() + "…"


class AskCog(commands.Cog, name="Ask"):
    def __init__(self, bot):
        self.bot = bot

    # -- entry points ----------------------------------------------------------------------------
    @app_commands.command(name="ask", description="Ask a question about the news articles / Posez une question")
    @app_commands.describe(
        question="Your question, in French or English / Votre question",
        as_of="Answer as of this date, e.g. 2025-12-31 or 31 décembre 2025 / À la date du…",
        source="Only articles from this outlet / Seulement les articles de ce média",
    )
    async def ask(self, interaction: discord.Interaction, question: app_commands.Range[str, 1, 2000],
                  as_of: str | None = None, source: str | None = None) -> None:
        bot = self.bot
        admitted = await self.admit(interaction, question, as_of, source)
        if admitted is None:
            return
        lang, reply, filters = admitted
        turns = []
        if history.is_bot_thread(interaction.channel, bot.user.id):
            turns = await history.conversation_in_thread(interaction.channel, bot.user.id, bot.memory)
        await self.answer_and_send(question, turns, reply, key=interaction.id, channel=interaction.channel,
                                   guild=interaction.guild, lang=lang, filters=filters)

    @app_commands.command(name="timeline", description="The articles on a topic, in date order / Chronologie d'un sujet")
    @app_commands.describe(
        topic="What the timeline is about / Le sujet",
        as_of="Only articles up to this date, e.g. 2025-12-31 / Jusqu'à cette date",
        source="Only articles from this outlet / Seulement les articles de ce média",
    )
    async def timeline(self, interaction: discord.Interaction, topic: app_commands.Range[str, 1, 300],
                       as_of: str | None = None, source: str | None = None) -> None:
        admitted = await self.admit(interaction, topic, as_of, source)
        if admitted is None:
            return
        lang, reply, filters = admitted
        try:
            result = await self.bot.timeline(topic, filters)
        except Exception:
            log.exception("could not build the timeline of %r", topic[:200])
            await self.apologise(reply, lang)
            return
        for part in render_timeline(result, self.bot.message_limit):
            await reply.send(part)

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        bot = self.bot
        if bot.user is None or message.author.id == bot.user.id:
            return
        facts = self.facts(message)
        decision = policy.should_respond(facts, bot.rules)
        if not decision.respond:
            if decision.notice:
                lang = language_of(facts.text)
                await MessageReply(message).send(self.notice(lang, decision.notice, message.guild))
            log.debug("message %s ignored: %s", message.id, decision.reason)
            return
        if decision.kind == "command":
            await bot.get_cog("Admin").text_command(message, decision.command)
            return
        question = facts.text
        if question.lower().startswith(policy.TEXT_PREFIX):
            question = question[len(policy.TEXT_PREFIX):].strip()
        lang = language_of(question)
        reply = MessageReply(message)
        if not await self.within_rate(message.author.id, lang, reply):
            return
        if facts.reply_to_bot:
            turns = await history.conversation_for_reply(message, bot.user.id, bot.memory)
        elif facts.in_bot_thread:
            turns = await history.conversation_in_thread(message.channel, bot.user.id, bot.memory, before=message)
        else:
            turns = []
        await self.answer_and_send(question, turns, reply, key=message.id, channel=message.channel,
                                   guild=message.guild, lang=lang, typing=True)

    # -- steps -----------------------------------------------------------------------------------
    async def may_ask(self, interaction: discord.Interaction, lang: str, reply: Reply) -> bool:
        """Allow lists, then the rate limit; a refusal is said to the asker only."""
        who = who_is(interaction.user, interaction.channel, interaction.guild, interaction.channel_id)
        decision = policy.may_ask(who, self.bot.rules)
        if not decision.respond:
            await reply.send(self.notice(lang, decision.notice, interaction.guild), ephemeral=True)
            return False
        return await self.within_rate(who.user_id, lang, reply)

    async def admit(self, interaction: discord.Interaction, text: str, as_of: str | None,
                    source: str | None) -> tuple[str, Reply, Filters | None] | None:
        """The common start of /ask and /timeline: the language, the reply, the options as retrieval
        filters, the allow lists and the rate limit, then the deferral. None (after saying why to the
        asker only) for a bad date or a refusal."""
        lang = language_of(text, str(interaction.locale))
        reply = InteractionReply(interaction)
        try:
            filters = Filters.parse(as_of=as_of, outlets=[source] if source else (), names=OPTION_NAMES)
        except DateError as exc:
            await reply.send(date_error_message(exc, lang), ephemeral=True)
            return None
        if not await self.may_ask(interaction, lang, reply):
            return None
        await reply.defer()
        return lang, reply, filters if filters.active else None

    def facts(self, message: discord.Message) -> policy.MessageFacts:
        bot_id = self.bot.user.id
        ref = message.reference
        reply_to_bot = False
        if ref is not None and ref.message_id is not None:
            resolved = ref.resolved if isinstance(ref.resolved, discord.Message) else ref.cached_message
            reply_to_bot = (resolved is not None and resolved.author.id == bot_id) or \
                self.bot.memory.by_message(ref.message_id) is not None
        return policy.MessageFacts(
            who=who_is(message.author, message.channel, message.guild),
            author_is_bot=message.author.bot,
            text=history.strip_mention(message.content, bot_id),
            mentions_bot=any(u.id == bot_id for u in message.mentions),
            reply_to_bot=reply_to_bot,
            in_bot_thread=history.is_bot_thread(message.channel, bot_id),
            is_dm=message.guild is None,
        )

    def notice(self, lang: str, key: str, guild: discord.Guild | None) -> str:
        roles = []
        for r in sorted(self.bot.settings.allowed_roles):
            role = guild.get_role(int(r)) if guild and r.isdigit() else None
            roles.append(role.name if role else r)
        return say(lang, f"discord.{key}", roles=", ".join(roles))

    async def within_rate(self, user_id: int, lang: str, reply: Reply) -> bool:
        limiter = self.bot.rate_limiter
        result = limiter.check(user_id)
        if result.allowed:
            return True
        wait = max(1, round(result.retry_after + 0.49))
        await reply.send(say(lang, "discord.rate_limited", count=limiter.count, window=duration(limiter.seconds, lang),
                             wait=wait), ephemeral=True)
        return False

    async def answer_and_send(self, question: str, turns, reply: Reply, *, key: int, channel, guild, lang: str,
                              typing: bool = False, filters: Filters | None = None) -> None:
        """Answer in a worker thread (typing indicator meanwhile), send, remember, open a thread."""
        bot = self.bot
        try:
            if typing:
                async with working(channel):
                    answer = await bot.answer(question, turns, filters)
            else:
                answer = await bot.answer(question, turns, filters)
        except Exception:
            log.exception("could not answer %r", question[:200])
            await self.apologise(reply, lang)
            return
        log.info("answered %s (%s, %d citation(s), %.0f ms)", key, "refused" if answer.refused else "answer",
                 len(answer.citations), answer.timings_ms.get("total_ms", 0.0))
        record = AnswerRecord(key=key, question=question, answer=answer, history=list(turns), filters=filters,
                              channel_id=getattr(channel, "id", 0), guild_id=guild.id if guild else None)
        bot.memory.add(record)
        parts = render_answer(answer, bot.message_limit)
        first: discord.Message | None = None
        try:
            for i, part in enumerate(parts):
                last = i == len(parts) - 1
                sent = await reply.send(part, view=answer_view(key, answer.language) if last else None)
                if sent is not None:
                    bot.memory.attach_message(record, sent.id)
                    first = first or sent
        except discord.HTTPException:
            log.exception("could not send the answer to %s", key)
            return
        if bot.settings.open_threads and first is not None and isinstance(channel, discord.TextChannel):
            try:
                # through the channel: a follow-up (webhook) message carries no guild to start a thread from
                thread = await channel.create_thread(name=thread_name(question), message=discord.Object(first.id))
            except (discord.HTTPException, ValueError) as exc:
                log.warning("could not open a thread for the answer %s: %s", first.id, exc)
            else:
                record.thread_id = thread.id

    async def apologise(self, reply: Reply, lang: str) -> None:
        try:
            await reply.send(say(lang, "discord.error"), ephemeral=True)
        except discord.HTTPException:
            log.exception("could not even apologise")
