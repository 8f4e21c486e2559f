"""`kiosque ask` and `kiosque chat` as a user runs them."""

from __future__ import annotations

import json
import subprocess

import pytest

from bot.answer.records import AnswerRecord, CitationRecord
from tests.bot.cli.test_index_commands import KIOSQUE, kiosque
from tests.conftest import ROOT, kiosque_env


@pytest.fixture(scope="module")
def env(tmp_path_factory, cache_dir):
    env = kiosque_env(tmp_path_factory.mktemp("ask") / "store", cache_dir)
    kiosque("ingest", env=env)
    return env


def test_ask_prints_the_answer_with_dated_sources(env):
    out = kiosque("ask", "Qui a remis la lettre de Khamenei à Poutine ?", env=env).stdout
    # the answer first, in bold with its citation, then the verbatim sentence with its article, outlet and date
    assert out.startswith("**Abbas Araghchi** [1]\n« ") and "» — *Khamenei demande davantage d’aide à Poutine" in out
    assert "(JForum, date inconnue)" in out
    assert "Araghchi" in out
    assert "Sources:" in out and "[1] Khamenei demande davantage d’aide à Poutine" in out


def test_ask_json_is_the_answer_object(env):
    a = json.loads(kiosque("ask", "Who did Shoigu meet in Tehran?", "--json", env=env).stdout)
    assert a["language"] == "en" and a["mode"] == "extractive" and not a["refused"]
    assert a["citations"][0]["article_id"] == "003_747d8f32a30fbfc0"
    assert {"n", "title", "outlet", "date", "quote", "start", "end"} <= set(a["citations"][0])
    assert a["retrieved"][0] == "003_747d8f32a30fbfc0" and a["timings_ms"]["total_ms"] > 0
    # the one definition of an answer on disk reads back what was printed, every key of it
    assert AnswerRecord.model_validate(a).to_dict() == a and set(a) == set(AnswerRecord.model_fields)
    assert set(a["citations"][0]) == set(CitationRecord.model_fields) and 0 < a["answerable"] <= 1


def test_ask_refuses_when_the_articles_dont_say(env):
    out = kiosque("ask", "Quel est le PIB de la France ?", env=env).stdout
    assert out.startswith("Les articles ne le disent pas")


def test_ask_explain_and_json_say_why_the_reader_refused(env):
    question = "Combien de missiles balistiques exactement l'Iran a-t-il livrés à la Russie ?"
    out = kiosque("ask", question, "--explain", env=env).stdout
    assert "Refused: a figure is asked for and the sentence that answers best holds none" in out
    a = json.loads(kiosque("ask", question, "--json", env=env).stdout)
    assert a["refused"] and a["refusal_reason"] == "a figure is asked for and the sentence that answers best holds none"


def test_as_of_excludes_later_articles(env):
    later = json.loads(kiosque("ask", "Avec qui Choïgou s'est-il entretenu par téléphone ?", "--json", env=env).stdout)
    assert later["citations"][0]["article_id"] == "004_49cb5cfbe3980482"
    before = json.loads(kiosque("ask", "Avec qui Choïgou s'est-il entretenu par téléphone ?", "--as-of", "2025-01-01",
                                "--json", env=env).stdout)
    assert "004_49cb5cfbe3980482" not in before["retrieved"]
    bad = kiosque("ask", "Avec qui Choïgou s'est-il entretenu ?", "--as-of", "hier", env=env, check=False)
    assert bad.returncode == 2 and bad.stderr.strip().splitlines() == [  # in the question's language
        "error: --as-of : « hier » n'est pas une date : écrivez-la par exemple 2025-12-31, 31/12/2025 ou "
        "31 décembre 2025."]


def test_chat_resolves_follow_ups(env):
    script = "Qui Shoigu a-t-il rencontré à Téhéran ?\nEt qui d'autre ?\n/sources\n/quit\n"
    proc = subprocess.run([str(KIOSQUE), "chat"], input=script, env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    answers = proc.stdout.split("Sources:")
    assert len(answers) >= 3 and "Pezeshkian" in answers[0]
    assert "«" in answers[-1]  # /sources shows the verbatim quotes
