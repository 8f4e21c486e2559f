from __future__ import annotations

import pytest

from bot.answer.followup import is_followup, resolve
from bot.answer.types import Turn


@pytest.mark.parametrize("question, expected", [
    ("et en 2024 ?", True), ("Et qui d'autre ?", True), ("who else?", True), ("what about Iran?", True),
    ("pourquoi ?", True), ("Qu'a-t-il dit ensuite ?", True), ("Why did he go there?", True),
    ("Qui a remis la lettre de Khamenei à Poutine ?", False),
    ("Combien de réacteurs la Russie construit-elle à Bushehr ?", False),
])
def test_followup_detection(question, expected):
    assert is_followup(question) is expected


def test_resolution_borrows_the_previous_question():
    history = [Turn("Qui Shoigu a-t-il rencontré à Téhéran ?", "Selon ... [1]")]
    r = resolve("et en 2024 ?", history)
    assert r.is_followup and r.kind == "person"
    assert r.question == "Qui Shoigu a-t-il rencontré à Téhéran ? et en 2024 ?"
    more = resolve("Qui d'autre ?", history)
    assert more.wants_more and more.kind == "person" and more.previous_answer == "Selon ... [1]"
    # a resolved follow-up is the base of the next one
    chained = resolve("et pourquoi ?", [Turn("et en 2024 ?", "", resolved_question=r.question)])
    assert chained.question.startswith("Qui Shoigu a-t-il rencontré à Téhéran ? et en 2024 ?")


def test_a_new_question_is_not_rewritten():
    history = [Turn("Qui Shoigu a-t-il rencontré à Téhéran ?", "…")]
    r = resolve("Combien de réacteurs la Russie construit-elle à Bushehr ?", history)
    assert not r.is_followup and r.question.startswith("Combien")
    assert not resolve("et en 2024 ?", None).is_followup
