from __future__ import annotations

import pytest

from bot.answer.question import detect_language, profile, question_kind


@pytest.mark.parametrize("question, lang", [
    ("Qui est l'ambassadeur de Russie en Israël ?", "fr"),
    ("Who is the Russian ambassador to Israel?", "en"),
    ("Combien de réacteurs ?", "fr"),
    ("How many reactors?", "en"),
    ("et en 2024 ?", "fr"),
    ("who else?", "en"),
])
def test_language(question, lang):
    assert detect_language(question) == lang


@pytest.mark.parametrize("question, kind", [
    ("Qui Shoigu a-t-il rencontré ?", "who"), ("Avec qui Choïgou s'est-il entretenu ?", "who"),
    ("Who did Shoigu meet?", "who"), ("Quand l'appel a-t-il eu lieu ?", "when"),
    ("En quelle année la Russie a-t-elle envahi l'Ukraine ?", "when"), ("When did it happen?", "when"),
    ("Combien de réacteurs ?", "number"), ("How many reactors?", "number"),
    ("Quelle est la durée de l'accord ?", "number"), ("Où Shoigu s'est-il rendu ?", "where"),
    ("Where did he go?", "where"), ("Pourquoi la Russie hésite-t-elle ?", "why"),
    ("Quel document ont-ils signé ?", "what"), ("Et qui d'autre ?", "who"),
])
def test_kind(question, kind):
    assert question_kind(question) == kind


def test_names_numbers_and_terms():
    p = profile("Qui Shoigu a-t-il rencontré à Téhéran le 5 août 2024 ?")
    assert p.names == ("Shoigu", "Téhéran")
    assert "2024" in p.numbers
    assert "shoigu" in p.terms and "teheran" in p.terms and "qui" not in p.terms
    # the first word is capitalised anyway: not a name unless it is an acronym
    assert profile("L'ambassadeur de Russie est-il là ?").names == ("Russie",)
    assert profile("PIB de la France ?").names == ("PIB", "France")
    # months and days are not names
    assert profile("How many Israelis died on October 7?").names == ("Israelis",)
