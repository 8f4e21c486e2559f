"""Conversation turns from Discord messages, and the memory of recent answers they come from."""

from __future__ import annotations

from bot.answer.types import Answer, Citation, Turn
from bot.discordbot.history import Said, answer_part, pair_turns, strip_mention
from bot.discordbot.memory import AnswerMemory, AnswerRecord


def make_answer(text="« Oui. » [1]", question="Q ?", resolved="") -> Answer:
    c = Citation(1, "art1", "T", "O", "2026-01-12", "metadata", None, "Oui.", 0, 4)
    return Answer(question=question, text=text, citations=[c, c], refused=False, language="fr",
                  mode="extractive", resolved_question=resolved)


def test_strip_mention():
    assert strip_mention("<@42> qui est  Shoigu ?", 42) == "qui est Shoigu ?"
    assert strip_mention("Et <@!42> quand ?", 42) == "Et quand ?"
    assert strip_mention("<@43> bonjour", 42) == "<@43> bonjour"


def test_answer_part_drops_sources_and_related():
    assert answer_part("« Oui. » [1]\n\n**Sources**\n[1] T — O, 12 janvier 2026") == "« Oui. » [1]"
    assert answer_part("Non.\n\n**Related passages (on the topic, but not an answer)**\n• T") == "Non."
    assert answer_part("Rien d'autre.") == "Rien d'autre."


def test_pair_turns_joins_split_answers_and_skips_orphans():
    said = [Said(True, "orphan answer"), Said(False, "Q1"), Said(True, "A1 part 1"),
            Said(True, "A1 part 2\n\n**Sources**\n[1] x"), Said(False, "Q2 unanswered"), Said(False, "Q3"),
            Said(True, "A3")]
    assert pair_turns(said) == [Turn("Q1", "A1 part 1\nA1 part 2"), Turn("Q3", "A3")]
    assert pair_turns(said, max_turns=1) == [Turn("Q3", "A3")]


def test_record_conversation_chains_history():
    first = AnswerRecord(key=1, question="Qui ?", answer=make_answer(resolved="Qui ?"))
    second = AnswerRecord(key=2, question="Et quand ?", answer=make_answer("« Lundi. » [1]", resolved="Qui ? Et quand ?"),
                          history=first.conversation(6))
    turns = second.conversation(6)
    assert [t.question for t in turns] == ["Qui ?", "Et quand ?"]
    assert turns[1] == Turn("Et quand ?", "« Lundi. » [1]", "Qui ? Et quand ?", ("art1",))
    assert len(second.conversation(1)) == 1


def test_memory_finds_answers_by_key_message_and_channel_and_stays_bounded():
    memory = AnswerMemory(size=3)
    records = []
    for key in range(1, 6):
        r = AnswerRecord(key=key, question=f"Q{key}", answer=make_answer(), channel_id=100 + key % 2)
        memory.add(r)
        memory.attach_message(r, 1000 + key)
        memory.attach_message(r, 2000 + key)
        records.append(r)
    assert len(memory) == 3
    assert memory.get(1) is None and memory.by_message(1001) is None
    assert memory.by_message(2005) is records[4] and memory.get(4) is records[3]
    assert memory.latest_in(100) is records[3] and memory.latest_in(101) is records[4]
    records[2].thread_id = 555
    assert memory.latest_in(555) is records[2]
