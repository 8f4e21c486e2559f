"""Who gets an answer, who may rebuild the index, and the rate limit: decided without Discord."""

from __future__ import annotations

import pytest

from bot.discordbot.policy import (
    Decision, MessageFacts, RateLimiter, Rules, Who, is_admin, may_ask, place_allowed, should_respond, text_command,
)
from bot.settings import DiscordSettings

GUILD, GENERAL, PLAIN, OTHER, THREAD = 10, 20, 30, 40, 50


def who(**kw) -> Who:
    base = dict(user_id=1, guild_id=GUILD, channel_id=GENERAL, role_ids=(7,), role_names=("Lecteurs",))
    base.update(kw)
    return Who(**base)


def facts(text="Qui a rencontré Shoigu ?", **kw) -> MessageFacts:
    w = kw.pop("who", who())
    return MessageFacts(who=w, text=text, **kw)


def rules(**kw) -> Rules:
    return Rules.from_settings(DiscordSettings(**kw))


def test_rules_from_settings_normalise_names():
    r = rules(guilds=["10"], allowed_roles=[" Lecteurs ", "99"], admin_users=["5"])
    assert r.guilds == {"10"} and r.allowed_roles == {"lecteurs", "99"} and r.admin_users == {"5"}


@pytest.mark.parametrize("kw,reason", [
    (dict(mentions_bot=True), "mention"),
    (dict(reply_to_bot=True), "reply"),
    (dict(in_bot_thread=True), "thread"),
    (dict(mentions_bot=True, reply_to_bot=True), "mention"),
])
def test_addressed_messages_are_questions(kw, reason):
    d = should_respond(facts(**kw), rules())
    assert d == Decision(True, reason, kind="question")


def test_plain_channel_messages_are_questions_and_threads_count_as_their_parent():
    r = rules(plain_channels=[str(PLAIN)])
    assert should_respond(facts(who=who(channel_id=PLAIN)), r).reason == "plain"
    assert should_respond(facts(who=who(channel_id=THREAD, parent_id=PLAIN)), r).reason == "plain"
    assert not should_respond(facts(who=who(channel_id=GENERAL)), r).respond


def test_ignored_without_a_word():
    assert should_respond(facts(), rules()) == Decision(False, "not addressed to the bot")
    assert should_respond(facts(mentions_bot=True, author_is_bot=True), rules()).reason == "author is a bot"


def test_guild_and_channel_allow_lists_are_silent():
    r = rules(guilds=[str(GUILD)], channels=[str(GENERAL)], plain_channels=[str(PLAIN)])
    assert should_respond(facts(mentions_bot=True), r).respond
    assert should_respond(facts(mentions_bot=True, who=who(channel_id=THREAD, parent_id=GENERAL)), r).respond
    assert should_respond(facts(who=who(channel_id=PLAIN)), r).respond  # plain channels are allowed channels
    for w in (who(channel_id=OTHER), who(guild_id=99), who(guild_id=None, channel_id=77)):
        d = should_respond(facts(mentions_bot=True, who=w), r)
        assert (d.respond, d.notice) == (False, None), w


def test_no_allow_list_means_everywhere_including_dms():
    dm = who(guild_id=None, channel_id=5, role_ids=(), role_names=())
    assert place_allowed(dm, rules())
    assert should_respond(facts(who=dm, is_dm=True), rules()) == Decision(True, "dm", kind="question")
    assert should_respond(facts("status", who=dm, is_dm=True), rules()).command == "status"
    assert not place_allowed(dm, rules(guilds=[str(GUILD)]))
    assert not should_respond(facts(who=dm, is_dm=True), rules(guilds=[str(GUILD)])).respond
    assert should_respond(facts(who=dm, is_dm=True), rules(allowed_roles=["Lecteurs"])).notice == "role_refused"


def test_roles_by_name_or_id_and_a_polite_refusal():
    r = rules(allowed_roles=["lecteurs"])
    assert should_respond(facts(mentions_bot=True), r).respond
    assert should_respond(facts(mentions_bot=True), rules(allowed_roles=["7"])).respond
    d = should_respond(facts(mentions_bot=True, who=who(role_ids=(), role_names=())), r)
    assert (d.respond, d.notice) == (False, "role_refused")
    assert may_ask(who(role_ids=(), role_names=()), r).notice == "role_refused"
    assert may_ask(who(channel_id=OTHER), rules(channels=[str(GENERAL)])).notice == "place_refused"
    assert may_ask(who(), r).respond


def test_empty_mention_gets_a_hint_but_an_empty_thread_message_does_not():
    assert should_respond(facts("  ", mentions_bot=True), rules()).notice == "empty_question"
    d = should_respond(facts("", in_bot_thread=True), rules())
    assert (d.respond, d.notice) == (False, None)


@pytest.mark.parametrize("text,command", [
    ("reindex", "reindex"), ("REINDEX ", "reindex"), ("status", "status"), ("!kiosque reindex", "reindex"),
    ("reindex maintenant", None), ("le status du ministre ?", None), ("", None),
])
def test_text_commands(text, command):
    assert text_command(text) == command


def test_text_commands_need_a_mention_or_the_prefix():
    assert should_respond(facts("reindex", mentions_bot=True), rules()) == Decision(
        True, "mention", kind="command", command="reindex")
    assert should_respond(facts("!kiosque status"), rules()).command == "status"
    # a reply or a thread message saying "status" is a question, not a command
    assert should_respond(facts("status", reply_to_bot=True), rules()).kind == "question"
    # commands bypass the askers' role list (admin rights are checked by the command itself)
    d = should_respond(facts("reindex", mentions_bot=True, who=who(role_ids=(), role_names=())),
                       rules(allowed_roles=["Lecteurs"]))
    assert d.kind == "command"


def test_prefix_question():
    assert should_respond(facts("!kiosque qui est Shoigu ?"), rules()) == Decision(True, "prefix", kind="question")


def test_admins_are_configured_users_and_roles_only():
    assert not is_admin(who(), rules())
    assert is_admin(who(user_id=5), rules(admin_users=["5"]))
    assert is_admin(who(role_names=("Admins",)), rules(admin_roles=["admins"]))
    assert is_admin(who(role_ids=(8,)), rules(admin_roles=["8"]))
    assert not is_admin(who(role_names=("Lecteurs",)), rules(admin_roles=["Admins"], admin_users=["5"]))


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_rate_limit_is_a_sliding_window_per_user():
    clock = Clock()
    limiter = RateLimiter(3, 60, clock=clock)
    for _ in range(3):
        assert limiter.check(1).allowed
        clock.now += 10
    refused = limiter.check(1)  # at t=30: the first question (t=0) frees a slot at t=60
    assert not refused.allowed and refused.retry_after == pytest.approx(30)
    assert limiter.check(2).allowed  # another user is not affected
    clock.now += 20
    assert limiter.check(1).retry_after == pytest.approx(10)  # refusals do not count
    clock.now += 10.01
    assert limiter.check(1).allowed and not limiter.check(1).allowed  # only the oldest one expired
    clock.now += 61
    assert all(limiter.check(1).allowed for _ in range(3))


def test_rate_limit_zero_means_unlimited():
    limiter = RateLimiter(0, 60)
    assert all(limiter.check(1).allowed for _ in range(100))
