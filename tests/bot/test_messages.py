"""The message catalogue: every language says every message with the same placeholders, every key the
code asks for exists, and a third language is one more file."""

from __future__ import annotations

import re
import shutil
import string

import pytest

from bot import messages
from bot.answer.reader.compose import compose
from bot.answer.render import render_text
from bot.answer.types import Answer, Citation
from bot.dates import format_date
from bot.discordbot.formatting import answer_text
from bot.messages import catalogue, in_every_language, languages, say
from tests.conftest import ROOT


def placeholders(value) -> set[str] | int:
    if isinstance(value, list):
        return len(value)
    return {field for _, field, _, _ in string.Formatter().parse(value) if field}


def test_french_and_english_say_every_message_with_the_same_placeholders():
    fr, en = catalogue("fr"), catalogue("en")
    assert fr and fr.keys() == en.keys()
    for key in en:
        assert placeholders(fr[key]) == placeholders(en[key]), key


def keys_in_code() -> tuple[set[str], set[str]]:
    """(the catalogue keys the code names, every short string literal of bot/)."""
    literals: set[str] = set()
    for path in (ROOT / "bot").rglob("*.py"):
        literals |= set(re.findall(r"""["']([a-z_]+(?:\.[a-z_]+)?)["']""", path.read_text(encoding="utf-8")))
    return {s for s in literals if "." in s and s.split(".")[0] in {k.split(".")[0] for k in catalogue("en")}}, literals


def test_every_key_the_code_names_exists_and_every_message_is_used():
    named, literals = keys_in_code()
    assert named and not named - catalogue("en").keys(), named - catalogue("en").keys()
    # a Discord notice is named by its short key (policy.py's Decision.notice), said as f"discord.{notice}"
    unused = [k for k in catalogue("en") if k not in literals and not (k.startswith("discord.") and k[8:] in literals)]
    assert not unused, unused


def test_a_language_without_a_file_or_a_message_is_said_in_english():
    assert say("de", "answer.sources") == "Sources"
    assert say("../en", "answer.refusal") == say("en", "answer.refusal")  # never a path
    assert catalogue("xx") == {} and set(languages()) >= {"en", "fr"}
    assert in_every_language("answer.related") == ["Related passages (on the topic, but not an answer)",
                                                   "Passages proches (liés au sujet, mais pas une réponse)"]


GERMAN = """
[answer]
item = "**{answer}** [{n}]"
quote = "„{quote}“ — {attribution}"
refusal = "Die Artikel sagen es nicht: keine indizierte Passage beantwortet diese Frage."
sources = "Quellen"

[dates]
months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
          "November", "Dezember"]
day = "{day}. {month} {year}"
first_day = "1. {month} {year}"
"""


@pytest.fixture
def german(tmp_path, monkeypatch):
    """The shipped catalogue plus one file, de.toml, and nothing else."""
    for lang in languages():
        shutil.copyfile(str(messages.CATALOGUE.joinpath(f"{lang}.toml")), tmp_path / f"{lang}.toml")
    (tmp_path / "de.toml").write_text(GERMAN, encoding="utf-8")
    monkeypatch.setattr(messages, "CATALOGUE", tmp_path)
    catalogue.cache_clear()
    yield
    catalogue.cache_clear()


def test_a_third_language_is_one_file(german):
    assert "de" in languages()
    assert say("de", "answer.refusal").startswith("Die Artikel sagen es nicht")
    assert format_date("2026-01-12", "de") == "12. Januar 2026" and format_date("2026-03-01", "de") == "1. März 2026"
    quote = "Abbas Araghchi a remis la lettre."
    cited = Citation(n=1, article_id="a", title="Téhéran", outlet="Le Monde", date="2026-01-12",
                     date_source="dateline", url="https://example.org/a", quote=quote, start=0, end=len(quote),
                     answer_span="Abbas Araghchi", span_start=0, span_end=14)
    text, _ = compose("de", [cited])
    # German frames, the quote verbatim in the article's language; what de.toml lacks is said in English
    assert text.splitlines() == ["**Abbas Araghchi** [1]", f"„{quote}“ — *Téhéran* (Le Monde, 12. Januar 2026)"]
    answer = Answer(question="Wer hat den Brief übergeben?", text=text, citations=[cited], refused=False,
                    language="de", mode="extractive")
    assert render_text(answer).splitlines()[-2:] == [
        "Quellen:", "[1] Téhéran — Le Monde, 12. Januar 2026 <https://example.org/a>"]
    assert "**Quellen**\n[1] Téhéran — Le Monde, 12. Januar 2026 <https://example.org/a>" in answer_text(answer)
    refusal = Answer(question="?", text=say("de", "answer.refusal"), citations=[], refused=True, language="de",
                     mode="extractive")
    assert render_text(refusal) == "Die Artikel sagen es nicht: keine indizierte Passage beantwortet diese Frage."
