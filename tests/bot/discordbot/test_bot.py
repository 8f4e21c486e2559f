"""The bot end to end: the real discord.py client against the fake Discord, answering over the seeds.

Each test drives the fake server with real gateway events (messages, slash commands, button clicks) and
checks the REST calls the bot makes in return. Answers come from the real answerer, embedder and store.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
import time

import pytest

from bot.discordbot.engine import KiosqueEngine
from bot.discordbot.formatting import MESSAGE_LIMIT, ZWSP, discord_len, render_answer
from bot.discordbot.memory import AnswerMemory
from tests.bot.discordbot.conftest import HEARTBEAT_MS, make_kiosque
from tests.conftest import article_of

SHOIGU = "Qui a rencontré Shoigu à Téhéran ?"
SHOIGU_ARTICLE = "003_747d8f32a30fbfc0"
LETTER = "Qui a remis la lettre de Khamenei à Poutine ?"
LETTER_ARTICLE = "002_c0b1337957862e59"
MARKER = re.compile(r"\[\d+\]")


def ref_id(body: dict) -> str | None:
    ref = body.get("message_reference") or {}
    return str(ref["message_id"]) if ref.get("message_id") else None


def replying_to(question: dict):
    return lambda body: ref_id(body) == question["id"]


def buttons(message: dict) -> list[str]:
    return [c["custom_id"] for row in message.get("components", []) for c in row.get("components", [])]


def cited_titles(kiosque, *article_ids) -> list[str]:
    return [article_of(kiosque.store, a).title for a in article_ids]


def shown(text: str) -> str:
    return re.sub(r"\\([\\_*~|`>#\-\[.+])", r"\1", text).replace(ZWSP, "")


async def ask_by_mention(fake, question: str, **kw) -> tuple[dict, dict]:
    """Post a question mentioning the bot; return it and the bot's reply to it."""
    mark = fake.mark()
    q = await fake.say(question, mention_bot=True, **kw)
    answer = await fake.wait_for_message(replying_to(q), after=mark)
    return q, answer


async def only_the_sentinel_was_answered(fake, mark: int, channel: int, **kw) -> None:
    """After messages the bot must ignore (in channels other than ``channel``), ask there one it must
    answer and wait for that answer; then every call since ``mark`` must be about this sentinel. The bot
    reads events in order and starts typing as soon as it takes a question, so had it taken one of the
    ignored messages, that call would be here: a slow bot cannot pass by not having got to them yet, as
    with a sleep then "nothing was sent"."""
    q, answer = await ask_by_mention(fake, LETTER, channel=channel, **kw)
    where = f"/channels/{channel}"
    about_it = {f"{where}/typing", f"{where}/messages/{answer['id']}/threads"}
    stray = [c for c in fake.calls[mark:] if c.method == "POST" and c.path not in about_it
             and not (c.path == f"{where}/messages" and ref_id(c.body) == q["id"])]
    assert not stray, [(c.path, (c.body or {}).get("content", "")[:80]) for c in stray]


# -- connecting -------------------------------------------------------------------------------------
async def test_connects_with_minimal_intents_and_never_syncs_on_start(fake, start_bot):
    bot = await start_bot()
    assert bot.user.id == fake.bot.id and [g.id for g in bot.guilds] == [fake.guild_id]
    intents = int(fake.identify["intents"])
    assert not intents & (1 << 15)  # no privileged Message Content without plain channels
    assert not intents & (1 << 1) and not intents & (1 << 8)  # nor members, nor presences
    assert [c.path for c in fake.calls[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    assert not [c for c in fake.calls if "/commands" in c.path]
    await asyncio.sleep(HEARTBEAT_MS / 1000 * 2.5)
    assert len(fake.heartbeats) >= 2  # the real client heartbeats, the fake acknowledges


async def test_sync_commands_when_asked_globally_or_per_guild(fake, start_bot):
    await start_bot(sync_commands=True)
    [call] = [c for c in fake.calls if c.method == "PUT"]
    assert call.path == f"/applications/{fake.app_id}/commands"
    assert {c["name"] for c in call.body} == {"ask", "timeline", "reindex", "status", "sources", "feeds"}
    ask = next(c for c in call.body if c["name"] == "ask")
    assert ask["options"][0]["name"] == "question" and ask["options"][0]["required"] is True
    assert {o["name"]: o.get("required", False) for o in ask["options"][1:]} == {"as_of": False, "source": False}


async def test_sync_commands_to_configured_guilds(fake, start_bot):
    await start_bot(sync_commands=True, guilds=[str(fake.guild_id)])
    [call] = [c for c in fake.calls if c.method == "PUT"]
    assert call.path == f"/applications/{fake.app_id}/guilds/{fake.guild_id}/commands"
    assert len(call.body) == 6


# -- asking ---------------------------------------------------------------------------------------
async def test_slash_ask_is_deferred_then_answered_by_follow_up(fake, start_bot, kiosque):
    await start_bot()
    mark = fake.mark()
    interaction = await fake.slash("ask", question=SHOIGU)
    defer = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert defer.body == {"type": 5}  # "Kiosque is thinking…", visible to the channel
    assert defer.at - interaction.dispatched_at < 3.0  # within Discord's 3 seconds
    follow = await fake.wait_for(lambda c: c.path == f"/webhooks/{fake.app_id}/{interaction.token}", after=mark)
    assert follow.at > defer.at and follow.query.get("wait") in ("1", "true")
    content = follow.body["content"]
    [title] = cited_titles(kiosque, SHOIGU_ARTICLE)
    assert MARKER.search(content) and "**Sources**" in content and title in shown(content)
    msg = follow.body["_message"]
    assert msg["id"] == str(interaction.original_id)  # the first follow-up replaced the "thinking" message
    assert buttons(msg) == [f"kiosque:passages:{interaction.id}", f"kiosque:vote:up:{interaction.id}",
                            f"kiosque:vote:down:{interaction.id}"]
    thread = await fake.wait_for(lambda c: c.path.endswith(f"/messages/{msg['id']}/threads"), after=mark)
    assert thread.body["name"] == SHOIGU


async def test_mention_is_answered_as_a_reply_with_typing_and_a_thread(fake, start_bot, kiosque):
    await start_bot()
    mark = fake.mark()
    q, answer = await ask_by_mention(fake, LETTER)
    calls = fake.calls[mark:]
    typing = next(i for i, c in enumerate(calls) if c.path == f"/channels/{fake.general}/typing")
    reply = next(i for i, c in enumerate(calls) if c.body and ref_id(c.body) == q["id"])
    assert typing < reply  # the typing indicator shows while it thinks
    body = calls[reply].body
    assert str(body["message_reference"]["channel_id"]) == str(fake.general)
    assert body["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert answer["type"] == 19 and answer["referenced_message"]["id"] == q["id"]
    [title] = cited_titles(kiosque, LETTER_ARTICLE)
    assert title in shown(answer["content"]) and "**Sources**" in answer["content"]
    await fake.wait_for(lambda c: c.path == f"/channels/{fake.general}/messages/{answer['id']}/threads", after=mark)
    assert int(answer["id"]) in fake.channels  # the thread exists, named after the question


async def test_an_english_question_gets_english_words_around_the_quotes(fake, start_bot):
    await start_bot(rate_limit_count=1)
    q, answer = await ask_by_mention(fake, "Who met Shoigu in Tehran?")
    # English around the quotes: curly English quotation marks, English dates ("around 5 August 2024")
    assert "“" in answer["content"] and "**Sources**" in answer["content"]
    assert "August" in answer["content"] and "août" not in answer["content"].split("**Sources**")[0]
    mark = fake.mark()
    await fake.click(buttons(answer)[0], answer)
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert call.body["data"]["content"].startswith("Cited passages")
    q, refusal = await ask_by_mention(fake, "Who else?")
    assert refusal["content"].startswith("Easy there: you asked 1 question(s)")


async def test_messages_not_for_the_bot_are_ignored_and_plain_channels_need_the_intent(fake, start_bot):
    await start_bot()
    mark = fake.mark()
    await fake.say(SHOIGU)  # no mention, no plain channel: not a question
    await fake.say(SHOIGU, channel=fake.other_thread)  # somebody else's thread
    await fake.say(SHOIGU, user=fake.bot)  # the bot's own words
    await only_the_sentinel_was_answered(fake, mark, channel=fake.elsewhere)


async def test_direct_messages_are_questions(fake, start_bot, kiosque):
    await start_bot()
    mark = fake.mark()
    q = await fake.say(LETTER, channel=fake.dm)  # no mention needed in a DM
    answer = await fake.wait_for_message(replying_to(q), after=mark)
    assert cited_titles(kiosque, LETTER_ARTICLE)[0] in shown(answer["content"])
    assert not [c for c in fake.calls[mark:] if c.path.endswith("/threads")]  # no threads in DMs


async def test_plain_channel_questions(fake, start_bot, kiosque):
    await start_bot(plain_channels=[str(fake.plain)])
    assert int(fake.identify["intents"]) & (1 << 15)  # Message Content requested: plain messages need it
    mark = fake.mark()
    q = await fake.say(LETTER, channel=fake.plain)
    answer = await fake.wait_for_message(replying_to(q), after=mark)
    assert cited_titles(kiosque, LETTER_ARTICLE)[0] in shown(answer["content"])
    await fake.wait_for(lambda c: c.path.endswith(f"/messages/{answer['id']}/threads"), after=mark)
    mark = fake.mark()
    await fake.say(LETTER, channel=fake.general)  # elsewhere, plain messages are still not questions
    await only_the_sentinel_was_answered(fake, mark, channel=fake.plain)


async def test_long_answer_is_split_at_boundaries_and_keeps_its_sources_whole(fake, start_bot, kiosque):
    """Real answers over five short seeds fit in Discord's 2,000 characters, so this bot's limit is lowered
    to 350: the same splitting, on a real answer (formatting is unit-tested at 2,000 too)."""
    limit = 350
    bot = await start_bot(message_limit=limit)
    mark = fake.mark()
    q = await fake.say(SHOIGU, mention_bot=True)
    first = await fake.wait_for_message(replying_to(q), after=mark)
    await fake.wait_for(lambda c: c.path.endswith(f"/messages/{first['id']}/threads"), after=mark)
    record = bot.memory.get(int(q["id"]))
    parts = [c.body for c in fake.calls[mark:] if c.method == "POST"
             and re.fullmatch(rf"/channels/{fake.general}/messages", c.path)]
    assert len(parts) >= 2, [discord_len(p["content"]) for p in parts]
    assert all(discord_len(p["content"]) <= limit for p in parts)
    assert ref_id(parts[0]) == q["id"] and not any(ref_id(p) for p in parts[1:])  # only the first replies
    assert all(not p.get("components") for p in parts[:-1]) and buttons(parts[-1]["_message"])  # buttons last
    for p in parts:  # a message starts with a marker only when it starts with a source line
        first_line = shown(p["content"]).splitlines()[0]
        assert not MARKER.match(first_line) or re.match(r"\[\d+\] .+ — .+", first_line), first_line
    lines = [shown(line) for p in parts for line in p["content"].splitlines()]
    for numbers, c in record.answer.sources():  # every numbered source is one whole line
        assert lines.count(c.source_line("fr", numbers)) == 1, c.source_line("fr", numbers)
    for line in shown(record.answer.text).splitlines():  # a quote line that fits in a message is never cut
        assert discord_len(line) > limit or line in lines
    whole = render_answer(record.answer, MESSAGE_LIMIT * 100)[0]  # nothing lost or added but whitespace
    assert re.sub(r"\s+", "", "".join(p["content"] for p in parts)) == re.sub(r"\s+", "", whole)
    assert len(bot.memory.get(int(q["id"])).message_ids) == len(parts)  # a reply to any part is a follow-up


# -- passages and feedback -----------------------------------------------------------------------
async def test_passages_button_and_sources_command_show_verbatim_quotes(fake, start_bot, kiosque):
    await start_bot()
    q, answer = await ask_by_mention(fake, LETTER)
    mark = fake.mark()
    await fake.click(buttons(answer)[0], answer, user=fake.carol)
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert call.body["type"] == 4 and call.body["data"]["flags"] & 64  # ephemeral: only the clicker sees it
    content = call.body["data"]["content"]
    quotes = [shown(line[2:]) for line in content.splitlines() if line.startswith("> ")]
    assert quotes
    article_texts = [article_of(kiosque.store, a).text for a in (LETTER_ARTICLE,)]
    catalog = kiosque.store.catalog
    texts = catalog.article_texts([aid for aid, _, _ in catalog.article_meta()])
    assert all(any(quote in t for t in texts.values()) for quote in quotes)  # verbatim
    assert any(quote in article_texts[0] for quote in quotes)

    mark = fake.mark()
    await fake.slash("sources", channel=fake.general)
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert call.body["data"]["content"] == content and call.body["data"]["flags"] & 64


async def test_thumbs_down_appends_one_eval_candidate(fake, start_bot, kiosque):
    bot = await start_bot()
    q, answer = await ask_by_mention(fake, SHOIGU)
    up, down = buttons(answer)[1:]
    mark = fake.mark()
    await fake.click(up, answer)
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert "Merci" in call.body["data"]["content"] and not bot.settings.feedback_file.exists()
    for user in (fake.alice, fake.alice, fake.carol):
        mark = fake.mark()
        await fake.click(down, answer, user=user)
        await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    [line] = bot.settings.feedback_file.read_text(encoding="utf-8").splitlines()
    record = json.loads(line)
    assert record["question"] == SHOIGU and record["lang"] == "fr" and record["answerable"] is True
    assert SHOIGU_ARTICLE in record["relevant_articles"] and record["expected_facts"] == []
    assert record["category"] == "feedback" and record["source"] == "discord-feedback"
    assert shown(answer["content"]).startswith(record["answer_given"].splitlines()[0][:40])
    assert record["citations"] and record["discord"]["message_id"] == answer["id"]
    replies = [c.body["data"]["content"] for c in fake.calls[mark - 6:] if c.path.endswith("/callback")]
    assert "déjà noté" in replies[-1]


async def test_buttons_still_answer_after_a_restart(fake, start_bot):
    bot = await start_bot()
    q, answer = await ask_by_mention(fake, SHOIGU)
    bot.memory = AnswerMemory()  # what a restart forgets
    mark = fake.mark()
    await fake.click(buttons(answer)[0], answer)
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert "reposez la question" in call.body["data"]["content"] and call.body["data"]["flags"] & 64


# -- follow-ups -----------------------------------------------------------------------------------
async def test_thread_follow_up_uses_the_conversation(fake, start_bot, kiosque):
    bot = await start_bot()
    q, answer = await ask_by_mention(fake, SHOIGU)
    thread = int(answer["id"])
    await fake.wait_for(lambda c: c.path.endswith(f"/messages/{thread}/threads"))
    mark = fake.mark()
    follow = await fake.say("Et quand ?", channel=thread, mention_bot=True)
    reply = await fake.wait_for_message(replying_to(follow), after=mark)
    record = bot.memory.get(int(follow["id"]))
    assert [t.question for t in record.history] == [SHOIGU]
    assert "Shoigu" in record.answer.resolved_question
    assert SHOIGU_ARTICLE in [c.article_id for c in record.answer.citations]
    assert cited_titles(kiosque, SHOIGU_ARTICLE)[0] in shown(reply["content"])
    # the same words without the conversation are another question
    mark = fake.mark()
    alone = await fake.say("Et quand ?", mention_bot=True)
    await fake.wait_for_message(replying_to(alone), after=mark)
    assert bot.memory.get(int(alone["id"])).answer.resolved_question == "Et quand ?"
    assert not bot.memory.get(int(alone["id"])).history


async def test_reply_follow_up_uses_the_reply_chain(fake, start_bot):
    bot = await start_bot()
    q, answer = await ask_by_mention(fake, SHOIGU)
    mark = fake.mark()
    follow = await fake.say("Et quand ?", reply_to=answer)  # a reply pings the bot: no mention needed
    await fake.wait_for_message(replying_to(follow), after=mark)
    record = bot.memory.get(int(follow["id"]))
    assert [t.question for t in record.history] == [SHOIGU] and "Shoigu" in record.answer.resolved_question


async def test_follow_ups_after_a_restart_read_the_messages_back(fake, start_bot):
    bot = await start_bot(message_content=True)
    q, answer = await ask_by_mention(fake, SHOIGU)
    thread = int(answer["id"])
    await fake.wait_for(lambda c: c.path.endswith(f"/messages/{thread}/threads"))
    bot.memory = AnswerMemory()  # what a restart forgets
    mark = fake.mark()
    follow = await fake.say("Et quand ?", channel=thread)  # no mention: the Message Content intent is on
    await fake.wait_for_message(replying_to(follow), after=mark)
    paths = [c.path for c in fake.calls[mark:] if c.method == "GET"]
    assert f"/channels/{fake.general}/messages/{thread}" in paths and f"/channels/{thread}/messages" in paths
    record = bot.memory.get(int(follow["id"]))
    assert [t.question for t in record.history] == [SHOIGU] and "Shoigu" in record.answer.resolved_question

    bot.memory = AnswerMemory()
    mark = fake.mark()
    follow2 = await fake.say("Et quand ?", reply_to=answer)
    await fake.wait_for_message(replying_to(follow2), after=mark)
    assert [t.question for t in bot.memory.get(int(follow2["id"])).history] == [SHOIGU]


# -- who may ask, how often ------------------------------------------------------------------------
async def test_rate_limit_answers_politely(fake, start_bot):
    await start_bot(rate_limit_count=2, rate_limit_seconds=600)
    for _ in range(2):
        await ask_by_mention(fake, LETTER)
    q, refusal = await ask_by_mention(fake, LETTER)
    assert "Doucement" in refusal["content"] and "2 question(s)" in refusal["content"]
    assert "**Sources**" not in refusal["content"]
    mark = fake.mark()
    await fake.slash("ask", question=LETTER)
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert call.body["type"] == 4 and call.body["data"]["flags"] & 64 and "Doucement" in call.body["data"]["content"]
    q, answer = await ask_by_mention(fake, LETTER, user=fake.bob)  # someone else is not limited
    assert "**Sources**" in answer["content"]


async def test_allow_lists_for_channels_and_roles(fake, start_bot):
    await start_bot(channels=[str(fake.general)], allowed_roles=["Lecteurs"])
    mark = fake.mark()
    await fake.say(SHOIGU, mention_bot=True, channel=fake.elsewhere)  # not an allowed channel: silence
    await only_the_sentinel_was_answered(fake, mark, channel=fake.general, user=fake.alice)
    q, refusal = await ask_by_mention(fake, SHOIGU, user=fake.carol)  # no allowed role: a polite word
    assert "Lecteurs" in refusal["content"] and "**Sources**" not in refusal["content"]
    mark = fake.mark()
    await fake.slash("ask", question=SHOIGU, channel=fake.elsewhere)
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert call.body["data"]["flags"] & 64 and "ici" in call.body["data"]["content"]
    q, answer = await ask_by_mention(fake, SHOIGU, user=fake.alice)
    assert "**Sources**" in answer["content"]


async def test_an_error_is_a_short_apology_and_a_logged_traceback(fake, start_bot, kiosque, caplog):
    class Broken(KiosqueEngine):
        def answer(self, question, history=None, filters=None):
            raise RuntimeError("the store exploded")

    await start_bot(Broken(kiosque))
    with caplog.at_level(logging.ERROR, logger="kiosque"):
        q, reply = await ask_by_mention(fake, SHOIGU)
    assert reply["content"].startswith("Désolé") and "exploded" not in reply["content"]
    assert any("the store exploded" in (r.exc_text or "") or r.exc_info and "exploded" in str(r.exc_info[1])
               for r in caplog.records)


# -- rebuilding the index ---------------------------------------------------------------------------
@pytest.fixture
def own_kiosque(tmp_path, embedder, cache_dir):
    """A Kiosque whose corpus and store this test may change."""
    k = make_kiosque(tmp_path / "k", embedder, cache_dir)
    yield k
    k.close()


NEW_ARTICLE = """Le pont Lumière de Vrennes inauguré par la ministre Odile Marchetti

Publié le 3 mars 2026

La ministre des Transports Odile Marchetti a inauguré mardi le pont Lumière de Vrennes, saluant sur les réseaux \
« @everyone à Vrennes » ainsi que <@123456789012345678> et <@&987654321>, un ouvrage de 840 mètres sur la Sarve.

Selon la ministre, le pont Lumière a coûté 212 millions d'euros et accueillera 30 000 véhicules par jour.
"""
BRIDGE = "Qui a inauguré le pont Lumière de Vrennes ?"


async def test_reindex_is_for_admins_only(fake, start_bot, own_kiosque):
    await start_bot(KiosqueEngine(own_kiosque), admin_users=[str(fake.carol.id)])
    before = own_kiosque.store.status().last_ingest
    mark = fake.mark()
    await fake.slash("reindex", user=fake.alice)
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert call.body["type"] == 4 and call.body["data"]["flags"] & 64
    assert "réservé aux administrateurs" in call.body["data"]["content"]
    q, refusal = await ask_by_mention(fake, "reindex", user=fake.alice)
    assert "réservé aux administrateurs" in refusal["content"]
    assert own_kiosque.store.status().last_ingest == before  # nothing ran

    mark = fake.mark()
    interaction = await fake.slash("reindex", user=fake.bob)  # by role
    defer = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert defer.body["type"] == 5
    report = await fake.wait_for(lambda c: c.path == f"/webhooks/{fake.app_id}/{interaction.token}", after=mark)
    assert "Index reconstruit" in report.body["content"] and "5 inchangé(s)" in report.body["content"]

    mark = fake.mark()
    q, started = await ask_by_mention(fake, "reindex", user=fake.carol)  # by user id, as a text command
    assert "Reconstruction de l'index en cours" in started["content"]
    done = await fake.wait_for_message(lambda b: "Index reconstruit" in b["content"], after=mark)
    assert "0 ajouté(s)" in done["content"] and ref_id(done) is None

    mark = fake.mark()
    await fake.slash("status", user=fake.alice)  # anyone may look
    status = await fake.wait_for(lambda c: c.path.startswith("/webhooks/"), after=mark)
    assert "5 article(s)" in status.body["content"] and "Dernière mise à jour" in status.body["content"]


async def test_questions_are_answered_from_the_previous_index_during_a_reindex(fake, start_bot, own_kiosque):
    """The rebuild is held inside the embedding of the new article while questions come in."""
    corpus = own_kiosque.settings.corpus.dir
    (corpus / "100_pont_lumiere.txt").write_text(NEW_ARTICLE, encoding="utf-8")
    inside, release = threading.Event(), threading.Event()
    real_embedder = own_kiosque.embedder

    class Gate:  # the same embedder; the rebuild is held when it embeds the new article's passages
        def __getattr__(self, name):
            return getattr(real_embedder, name)

        def embed_passages(self, texts):
            if any("Vrennes" in t for t in texts):
                inside.set()
                assert release.wait(60)
            return real_embedder.embed_passages(texts)

    own_kiosque.embedder = Gate()
    try:
        await _answers_during_a_held_reindex(fake, start_bot, own_kiosque, inside, release)
    finally:
        release.set()


async def _answers_during_a_held_reindex(fake, start_bot, own_kiosque, inside, release):
    bot = await start_bot(KiosqueEngine(own_kiosque))
    mark = fake.mark()
    interaction = await fake.slash("reindex", user=fake.bob)
    assert await asyncio.to_thread(inside.wait, 30)

    q, during = await ask_by_mention(fake, BRIDGE)  # answered while the rebuild is held
    record = bot.memory.get(int(q["id"]))
    assert "100_pont_lumiere" not in [c.article_id for c in record.answer.citations]
    mark2 = fake.mark()
    await fake.slash("reindex", user=fake.bob)
    busy = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark2)
    assert "déjà en cours" in busy.body["data"]["content"] and busy.body["data"]["flags"] & 64
    mark2 = fake.mark()
    await fake.slash("status")
    status = await fake.wait_for(lambda c: c.path.startswith("/webhooks/"), after=mark2)
    assert "5 article(s)" in status.body["content"] and "Reconstruction en cours" in status.body["content"]

    release.set()
    report = await fake.wait_for(lambda c: c.path == f"/webhooks/{fake.app_id}/{interaction.token}", after=mark)
    assert "1 ajouté(s)" in report.body["content"]
    q, after = await ask_by_mention(fake, BRIDGE, user=fake.carol)
    assert "100_pont_lumiere" in [c.article_id for c in bot.memory.get(int(q["id"])).answer.citations]
    assert "Odile Marchetti" in shown(after["content"])
    # the article's @everyone and mentions are quoted as they are written, and inert
    mark = fake.mark()
    await fake.click(buttons(after)[0], after)
    passages = (await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)).body["data"]["content"]
    for text in (after["content"], passages):
        assert "« @everyone à Vrennes » ainsi que <@123456789012345678> et <@&987654321>" in shown(text)
        assert not re.search(r"@everyone|@here|<@!?&?\d+>", text)


# -- load -----------------------------------------------------------------------------------------
async def test_twenty_concurrent_questions_never_delay_the_heartbeat(fake, start_bot, caplog):
    bot = await start_bot()
    # five questions the seeds answer ("De quoi Choïgou a-t-il parlé au téléphone ?" was one until stop 32:
    # its best sentences say that he called, not what about, and the reader now refuses it)
    questions = [SHOIGU, LETTER, "Qui est l'ambassadeur russe en Israël ?", "Pourquoi Poutine a-t-il appelé Netanyahu ?",
                 "Où Ismail Haniyeh a-t-il été tué ?"] * 4
    users = [fake.alice, fake.bob, fake.carol]
    await asyncio.sleep(HEARTBEAT_MS / 1000 * 2)
    mark, start = fake.mark(), time.monotonic()
    with caplog.at_level(logging.WARNING, logger="discord"):
        posted = await asyncio.gather(*(fake.say(q, mention_bot=True, user=users[i % 3])
                                        for i, q in enumerate(questions)))
        replies = await asyncio.gather(*(fake.wait_for_message(replying_to(q), after=mark, timeout=120)
                                         for q in posted))
        await asyncio.sleep(HEARTBEAT_MS / 1000 * 2)
    end = time.monotonic()
    # each one answered (some in two parts): the answer in bold first, or the quoted sentences
    assert all(r["content"].startswith(("**", "[1] «")) for r in replies), [r["content"][:80] for r in replies]
    records = [bot.memory.get(int(q["id"])) for q in posted]
    assert all(r.answer.citations and not r.answer.refused and r.question in questions for r in records)
    beats = [t for t in fake.heartbeats if start <= t <= end]
    gaps = [b - a for a, b in zip(beats, beats[1:])]
    interval = HEARTBEAT_MS / 1000
    assert len(beats) >= (end - start) / interval * 0.6, (len(beats), end - start)
    assert max(gaps) < interval * 3, f"heartbeat late: {max(gaps):.2f} s (interval {interval} s)"
    assert not [r for r in caplog.records if "heartbeat blocked" in r.getMessage()]


async def test_ask_as_of_and_source_options(fake, start_bot):
    await start_bot()
    question = "Avec qui Choïgou s'est-il entretenu par téléphone ?"

    async def slash_answer(**options) -> str:
        mark = fake.mark()
        interaction = await fake.slash("ask", question=question, **options)
        follow = await fake.wait_for(lambda c: c.path == f"/webhooks/{fake.app_id}/{interaction.token}", after=mark)
        return shown(follow.body["content"])

    assert "Brussels Morning, 12 janvier 2026" in await slash_answer()
    assert "Brussels Morning" not in await slash_answer(as_of="2025-12-31")  # published later: ignored
    assert "Brussels Morning" in await slash_answer(source="brussels morning")
    assert "Brussels Morning" not in await slash_answer(source="JForum")
    mark = fake.mark()
    await fake.slash("ask", question=question, as_of="hier")
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert call.body["type"] == 4 and call.body["data"]["flags"] & 64  # told privately, nothing answered
    assert "n'est pas une date" in call.body["data"]["content"]
    mark = fake.mark()
    await fake.slash("ask", question=question, as_of="12/01/2026")  # 12 January or 1 December?
    call = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert call.body["data"]["flags"] & 64 and call.body["data"]["content"] == (
        "as_of : « 12/01/2026 » peut être le 12 janvier 2026 ou le 1er décembre 2026 : écrivez 2026-01-12 ou 2026-12-01.")


async def test_timeline_command(fake, start_bot):
    await start_bot()
    mark = fake.mark()
    interaction = await fake.slash("timeline", topic="Russie Iran")
    defer = await fake.wait_for(lambda c: c.path.endswith("/callback"), after=mark)
    assert defer.body == {"type": 5}
    follow = await fake.wait_for(lambda c: c.path == f"/webhooks/{fake.app_id}/{interaction.token}", after=mark)
    text = shown(follow.body["content"])
    lines = text.splitlines()
    assert lines[0] == "Chronologie : Russie Iran"
    assert "5 août 2024" in text and "12 janvier 2026" in text
    assert text.index("5 août 2024") < text.index("12 janvier 2026")  # date order
    # a long timeline continues in further messages, its numbered sources last
    sources = await fake.wait_for(lambda c: c.path == f"/webhooks/{fake.app_id}/{interaction.token}"
                                  and "**Sources**" in c.body.get("content", ""), after=mark)
    assert "[1] " in shown(sources.body["content"])
