"""Answer → Discord messages: limits, splitting, sources, and quoted text that never pings."""

from __future__ import annotations

import random
import re

import pytest

from bot.answer.types import Answer, Citation
from bot.discordbot.engine import FeedsStatus
from bot.discordbot.formatting import (
    MESSAGE_LIMIT, ZWSP, discord_len, escape_markdown, neutralize_mentions, passages_text, reindex_report,
    render_answer, render_passages, safe, safe_url, split_message, status_text,
)
from index.catalog import IngestCounts, LastIngest
from index.feeds.journal import LastPoll, PollCounts
from index.ingest import IngestReport
from index.store import StoreStatus

RAW_MENTION = re.compile(r"<@!?\d+>|<@&\d+>|<#\d+>|@everyone|@here|</\w+:\d+>")
MARKER = re.compile(r"\[\d+\]")


def shown(text: str) -> str:
    """What a reader sees once Discord renders the text: no escaping backslashes, no zero-width spaces."""
    return re.sub(r"\\([\\_*~|`>#\-\[.+])", r"\1", text).replace(ZWSP, "")


def cite(n=1, quote="Le ministre a parlé.", title="Un titre", outlet="Le Monde", date="2026-01-12",
         url="https://example.org/a", article_id=None) -> Citation:
    return Citation(n=n, article_id=article_id or f"art{n}", title=title, outlet=outlet, date=date,
                    date_source="metadata", url=url, quote=quote, start=0, end=len(quote))


def answer(text, citations=(), *, refused=False, related=(), lang="fr") -> Answer:
    return Answer(question="q ?", text=text, citations=list(citations), refused=refused, language=lang,
                  mode="extractive", related=list(related))


# -- mentions and markdown ------------------------------------------------------------------------
@pytest.mark.parametrize("raw", ["@everyone", "@here", "<@123456789012345678>", "<@!42>", "<@&456>", "<#789>",
                                 "</ask:1234>", "@EVERYONE", "@everyone_ici", "@heretic"])
def test_mentions_are_neutralised_but_read_the_same(raw):
    text = f"Il a écrit {raw} hier."
    out = neutralize_mentions(text)
    assert not RAW_MENTION.search(out.lower() if raw.startswith("@") else out)
    assert out.replace(ZWSP, "") == text


def test_markdown_in_quotes_is_escaped_and_reads_verbatim():
    text = "Un *grand* _jour_ ~~barré~~ `code` || spoiler || \\ slash\n# Pas un titre\n- pas une liste\n> pas une citation\n1. pas numéroté [lien](http://x.org)"
    out = escape_markdown(text)
    assert "\\*grand\\*" in out and "\\_jour\\_" in out and "\\~\\~" in out and "\\`code\\`" in out
    assert "\n\\# Pas" in out and "\n\\- pas" in out and "\n\\> pas" in out and "\n1\\. pas" in out
    assert "\\[lien](http://x.org)" in out
    assert shown(out) == text


def test_urls_and_markers_are_left_alone():
    text = "Voir https://example.org/un_article_long*x et [1] puis [12]."
    out = escape_markdown(text)
    assert "https://example.org/un_article_long*x" in out and "[1]" in out and "[12]" in out


@pytest.mark.parametrize("url,expected", [
    ("https://example.org/a?b=c_d", "https://example.org/a?b=c_d"), ("  http://x.org/  ", "http://x.org/"),
    ("javascript:alert(1)", None), ("https://x.org/a b", None), ("https://x.org/a>@everyone", None),
    ("", None), (None, None),
])
def test_safe_url(url, expected):
    assert safe_url(url) == expected


# -- answers ----------------------------------------------------------------------------------------
def test_short_answer_is_one_message_with_numbered_sources():
    a = answer("Selon Le Monde (12 janvier 2026) : « Le ministre a parlé. » [1]\nSelon RIA : « Oui. » [2]",
               [cite(1), cite(2, quote="Oui.", title="Autre", outlet="RIA Novosti", date=None, url=None)])
    [msg] = render_answer(a)
    body, sources = msg.split("\n\n**Sources**\n")
    assert "« Le ministre a parlé. » [1]" in body
    lines = sources.splitlines()
    assert lines[0] == "[1] Un titre — Le Monde, 12 janvier 2026 <https://example.org/a>"
    assert lines[1].startswith("[2] Autre — RIA Novosti, ") and "<" not in lines[1]


def test_the_frame_keeps_its_markdown_and_the_article_text_loses_its_own():
    c = cite(1, quote="Il a dit *non* à @everyone_ici.", title="Le_titre *choc*", outlet="Le Monde")
    text = "Selon *Le_titre *choc** (Le Monde, 12 janvier 2026) [1] : « Il a dit *non* à @everyone_ici. »\n" \
           "Lancez `kiosque ingest`."
    [msg] = render_answer(answer(text, [c]))
    body = msg.split("\n\n**Sources**")[0]
    assert body.startswith("Selon *Le\\_titre \\*choc\\** (Le Monde, 12 janvier 2026) [1] : « Il a dit \\*non\\* à @")
    assert "`kiosque ingest`" in body  # the frame's code span stays code
    assert shown(body) == text  # reads as written
    assert not RAW_MENTION.search(body)


def test_the_bold_answer_span_keeps_its_bold_and_loses_its_own_markdown():
    quote = "Le porte-parole, M. *Peskov*_2, a confirmé l'appel à @everyone."
    c = Citation(n=1, article_id="a", title="T", outlet="O", date=None, date_source="", url=None, quote=quote,
                 start=0, end=len(quote), answer_span="M. *Peskov*_2", span_start=16, span_end=29)
    from bot.answer.reader.compose import compose

    text, _ = compose("fr", [c])
    [msg] = render_answer(answer(text, [c]))
    first = msg.splitlines()[0]
    assert first == "**M. \\*Peskov\\*\\_2** [1]"  # the frame's bold stays bold, the span's stars are text
    assert shown(msg.split("\n\n**Sources**")[0]) == text
    assert not RAW_MENTION.search(msg)


def test_english_answer_labels():
    [msg] = render_answer(answer("According to X: “Yes.” [1]", [cite(1, outlet=None)], lang="en"))
    assert "**Sources**" in msg and "unknown outlet" in msg and "12 January 2026" in msg


def test_article_text_never_pings_in_answers_sources_or_passages():
    evil = "Bonjour @everyone et @here, <@123456789012345678> <@&987> <#555> !"
    c = cite(1, quote=evil, title="Titre <@&42> @everyone", outlet="@here FM", url="https://x.org/<@1>")
    a = answer(f"Selon X : « {evil} » [1]", [c])
    for text in render_answer(a) + render_passages(a):
        assert not RAW_MENTION.search(text), text
        assert evil in shown(text) or "@everyone" not in shown(text)
    assert evil in shown(render_passages(a)[0])


def test_refusal_lists_related_passages_without_numbers():
    related = [cite(1, title="Proche"), cite(2, title="Aussi proche", url=None)]
    [msg] = render_answer(answer("Les articles ne le disent pas.", refused=True, related=related))
    assert msg.startswith("Les articles ne le disent pas.")
    assert "**Passages proches (liés au sujet, mais pas une réponse)**" in msg
    assert "• Proche — Le Monde, 12 janvier 2026 <https://example.org/a>" in msg
    assert "[1]" not in msg
    passages = passages_text(answer("Non.", refused=True, related=related))
    assert "Passages proches (aucun ne répond" in passages and "> Le ministre a parlé." in passages


def test_passages_are_verbatim_block_quotes():
    quote = "Première ligne *importante*.\nSeconde ligne avec [un lien](http://x.org)."
    [msg] = render_passages(answer("x [1]", [cite(1, quote=quote)]))
    lines = msg.splitlines()
    assert lines[0].startswith("Passages cités")
    assert lines[2] == "[1] Un titre — Le Monde, 12 janvier 2026 <https://example.org/a>"
    assert [shown(line) for line in lines[3:5]] == ["> Première ligne *importante*.",
                                                  "> Seconde ligne avec [un lien](http://x.org)."]


def test_no_citations_no_passages():
    assert passages_text(answer("Posez une question.")) == "Cette réponse ne cite aucun passage."


# -- splitting ---------------------------------------------------------------------------------------
def _quote_line(n: int, words: int) -> str:
    sentence = " ".join(f"mot{i}" for i in range(words))
    return f"Selon Le Monde (12 janvier 2026) : « {sentence.capitalize()}. Et encore {sentence}. » [{n}]"


def test_long_answer_splits_between_lines_and_keeps_sources_whole():
    cits = [cite(n, title=f"Titre {n} " + "x" * 60) for n in range(1, 13)]
    a = answer("\n".join(_quote_line(n, 40) for n in range(1, 13)), cits)
    parts = render_answer(a)
    assert len(parts) >= 3
    assert all(discord_len(p) <= MESSAGE_LIMIT for p in parts)
    lines = [line for p in parts for line in p.splitlines()]
    for n in range(1, 13):  # each quote line and each source line is whole, in one message
        assert any(line.startswith("Selon") and line.endswith(f"» [{n}]") for line in lines)
        assert any(line.startswith(f"[{n}] Titre {n} ") and line.endswith("<https://example.org/a>") for line in lines)
    assert "\n".join(parts).replace("\n\n", "\n") == render_text_joined(a)


def render_text_joined(a) -> str:
    return "\n".join(render_answer(a, limit=10**6)).replace("\n\n", "\n")


def test_paragraphs_are_the_first_choice():
    p1, p2 = "A" * 10 + ". " + "b " * 700, "C" * 10 + ". " + "d " * 700
    parts = split_message(p1.strip() + "\n\n" + p2.strip())
    assert parts == [p1.strip(), p2.strip()]


def test_a_long_line_splits_at_sentences_outside_quotes_first():
    quoted = "« " + " ".join(f"Phrase citée numéro {i}." for i in range(25)) + " » [1]"
    line = " ".join(f"Phrase {i} du cadre, assez longue pour compter." for i in range(20)) + " " + quoted + " Fin."
    parts = split_message(line, 700)
    assert all(discord_len(p) <= 700 for p in parts)
    joined = " ".join(parts)
    assert joined == line
    for p in parts[:-1]:
        assert re.search(r"[.!?»\]]$", p), p
    # the quote (< limit) is never cut: it sits whole in one message with its marker
    assert any(quoted in p for p in parts)


def test_marker_stays_with_its_sentence_and_never_starts_a_message():
    text = " ".join(f"« Phrase {i} un peu longue pour remplir le message. » [{i % 9 + 1}]" for i in range(80))
    parts = split_message(text, 300)
    assert all(discord_len(p) <= 300 for p in parts)
    for p in parts:
        assert not MARKER.match(p), p
        assert not re.search(r"\[\d*$", p) and not re.match(r"^\d*\]", p)
    assert " ".join(parts) == text


def test_words_then_hard_cut_never_inside_a_marker_or_url():
    url = "<https://example.org/" + "x" * 80 + ">"
    text = ("y" * 250 + "[7]" + "z" * 250 + url) * 3
    parts = split_message(text, 200)
    assert all(discord_len(p) <= 200 for p in parts)
    assert "".join(parts) == text
    for p in parts:
        assert p.count("[") == p.count("]") and p.count("<") == p.count(">")


def test_emoji_count_twice():
    text = "😀" * 1500
    parts = split_message(text)
    assert len(parts) == 2 and all(discord_len(p) <= MESSAGE_LIMIT for p in parts)


def test_long_block_quote_line_stays_quoted_in_every_part():
    quote = " ".join(f"Phrase {i} de la dépêche, citée mot pour mot." for i in range(120))
    parts = render_passages(answer("x [1]", [cite(1, quote=quote)]))
    assert len(parts) >= 3 and all(discord_len(p) <= MESSAGE_LIMIT for p in parts)
    assert parts[0].splitlines()[2].startswith("[1] Un titre") and parts[0].splitlines()[3].startswith("> Phrase 0")
    for p in parts[1:]:
        assert all(line.startswith("> ") for line in p.splitlines()), p[:80]
    assert " ".join(shown(line[2:]) for p in parts for line in p.splitlines() if line.startswith("> ")) == quote


@pytest.mark.parametrize("seed", range(20))
def test_random_texts_keep_every_invariant(seed):
    rnd = random.Random(seed)
    words = ["le", "ministre", "a", "dit", "Shoigu", "Téhéran", "M.", "accord", "🙂", "«", "»", "https://x.org/a_b"]
    paragraphs = []
    for _ in range(rnd.randint(1, 6)):
        lines = []
        for _ in range(rnd.randint(1, 5)):
            sentences = []
            for _ in range(rnd.randint(1, 12)):
                s = " ".join(rnd.choice(words) for _ in range(rnd.randint(2, 40)))
                sentences.append(s.capitalize() + rnd.choice([".", " !", " ?", "…"]) +
                                 (f" [{rnd.randint(1, 20)}]" if rnd.random() < 0.4 else ""))
            lines.append(" ".join(sentences))
        paragraphs.append("\n".join(lines))
    text = "\n\n".join(paragraphs)
    limit = rnd.choice([120, 300, 2000])
    parts = split_message(text, limit)
    assert all(0 < discord_len(p) <= limit for p in parts)
    assert re.sub(r"\s+", "", "".join(parts)) == re.sub(r"\s+", "", text)
    assert sorted(MARKER.findall("".join(parts))) == sorted(MARKER.findall(text))
    assert not any(MARKER.match(p) for p in parts)


def test_empty_and_short():
    assert split_message("") == [] and split_message("  \n ") == []
    assert split_message("  bonjour  ") == ["bonjour"]


# -- admin texts ---------------------------------------------------------------------------------------
def test_reindex_report_and_status():
    report = IngestReport(articles_added=2, articles_updated=1, articles_unchanged=5, chunks_embedded=7,
                          chunks_reused=3, seconds=4.2, problems=[{"source": "x", "reason": "y"}])
    fr = reindex_report(report, "fr")
    assert "4.2 s" in fr and "2 ajouté(s)" in fr and "1 mis à jour" in fr and "7 passage(s) vectorisé(s)" in fr
    assert "1 fichier(s) ignoré(s)" in fr
    assert "2 added" in reindex_report(report, "en")
    last = LastIngest(id=1, started_at=1767225590, finished_at=1767225600, generation=1,
                      report=IngestCounts(articles_added=3))
    status = StoreStatus(store="s", chroma="c", collection="k", articles=1234, chunks=56789, generation=1,
                         embed_model=None, last_ingest=last, interrupted_ingest_leftovers=0)
    text = status_text(status, "fr", running="Reconstruction en cours")
    assert "1\u202f234 article(s)" in text and "56\u202f789 passage(s)" in text and "3 ajouté(s)" in text
    assert text.endswith("Reconstruction en cours")
    never = StoreStatus(store="s", chroma="c", collection="k", articles=0, chunks=0, generation=0, embed_model=None,
                        last_ingest=None, interrupted_ingest_leftovers=0)
    assert "never (run /reindex)" in status_text(never, "en")
    polled = FeedsStatus(subscriptions=2, last_poll=LastPoll(id=3, trigger="cli", started_at=1767225500,
                                                             finished_at=1767225600, report=PollCounts(new=4, failed=1)))
    assert re.search(r"\nDernière relève des flux : \S+ \S+ \(4 nouveau\(x\), 0 mis à jour, 1 échec\(s\)\)$",
                     status_text(status, "fr", feeds=polled))
    assert status_text(never, "en", feeds=FeedsStatus(subscriptions=2, last_poll=None)).endswith(
        "\nFeeds: 2 followed, not polled yet")
    assert status_text(never, "en", feeds=FeedsStatus(subscriptions=0, last_poll=None)) == status_text(never, "en")


def test_safe_is_both():
    assert safe("*@everyone*") == "\\*@" + ZWSP + "everyone\\*"
