"""The question file is checked whole before anything runs: every bad line is named, with a reason."""

from __future__ import annotations

import json

import pytest

from bot.evaluation.questions import Question, QuestionSetError, check_articles, load_questions, parse_lines


def write(tmp_path, lines) -> object:
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n",
                    encoding="utf-8")
    return path


def problems_of(tmp_path, lines) -> dict[int, list[str]]:
    with pytest.raises(QuestionSetError) as info:
        load_questions(write(tmp_path, lines))
    out: dict[int, list[str]] = {}
    for n, reason in info.value.problems:
        out.setdefault(n, []).append(reason)
    return out


GOOD = {"id": "q1", "question": "Qui ?", "relevant_articles": ["a"], "expected_facts": [["Shoigu", "Choïgou"]]}


def test_a_valid_file_with_defaults_and_blank_lines(tmp_path):
    qs = load_questions(write(tmp_path, [
        GOOD, "", {"id": "u1", "question": "Combien ?", "answerable": False, "lang": "fr", "category": "unanswerable"},
        {"id": "f1", "question": "Why?", "lang": "en", "source": "discord-feedback", "answer_given": "…",
         "created_at": "2026-01-12T10:00:00Z"},
    ]))
    assert [q.id for q in qs] == ["q1", "u1", "f1"]
    assert qs[0].to_dict() == Question(id="q1", question="Qui ?", relevant_articles=("a",),
                                       expected_facts=(("Shoigu", "Choïgou"),)).to_dict() and qs[0].line == 1
    assert qs[1].answerable is False and qs[1].line == 3 and qs[1].label == "unanswerable"
    assert qs[2].source == "discord-feedback" and qs[2].label == "answerable"
    # the JSONL form reads back to the same question
    again = parse_lines([json.dumps(q.to_dict()) for q in qs])
    assert [q.to_dict() for q in again] == [q.to_dict() for q in qs] and [q.line for q in again] == [1, 2, 3]


def test_every_malformed_line_is_reported_with_its_number_and_reason(tmp_path):
    problems = problems_of(tmp_path, [
        GOOD,                                                             # 1 fine
        '{"id": "q2", "question": ',                                      # 2 broken JSON
        '["not", "an", "object"]',                                        # 3
        {"question": "Sans id ?"},                                        # 4
        {"id": "q5", "question": "  "},                                   # 5
        {"id": "q6", "question": "Q", "lang": "de"},                      # 6
        {"id": "q7", "question": "Q", "answerable": "yes"},               # 7
        {"id": "q8", "question": "Q", "relevant_articles": "a"},          # 8
        {"id": "q9", "question": "Q", "expected_facts": ["Shoigu"]},      # 9 a bare string fact
        {"id": "q10", "question": "Q", "expected_facts": [[]]},           # 10
        {"id": "q11", "question": "Q", "answerable": False, "relevant_articles": ["a"],
         "expected_facts": [["x"]]},                                       # 11
        {"id": "q12", "question": "Q", "colour": "blue"},                 # 12 unknown key
        {**GOOD},                                                         # 13 duplicate id
        {"id": 14, "question": "Q", "category": 3},                       # 14
    ])
    assert set(problems) == set(range(2, 15))
    assert "not valid JSON" in problems[2][0]
    assert problems[3] == ["expected a JSON object, got a list"]
    assert problems[4] == ['missing "id"']
    assert problems[5] == ['"question" must be a non-empty string, not an empty string']
    assert problems[6] == ['"lang" must be "fr" or "en", not "de"']
    assert problems[7] == ['"answerable" must be true or false, not a string']
    assert problems[8] == ['"relevant_articles" must be a list, not a string']
    assert "a bare string" in problems[9][0] and '["Shoigu"]' in problems[9][0]
    assert "is empty" in problems[10][0]
    assert len(problems[11]) == 2 and all("unanswerable" in p for p in problems[11])
    assert problems[12][0].startswith("unknown key 'colour'")
    assert problems[13] == ["id 'q1' is already used on line 1"]
    assert problems[14] == ['"id" must be a string, not a number', '"category" must be a string, not a number']


def test_the_error_message_lists_lines_for_people(tmp_path):
    with pytest.raises(QuestionSetError) as info:
        load_questions(write(tmp_path, [GOOD, "{oops", {"id": "x"}]))
    message = str(info.value)
    assert "2 problems, nothing was run" in message
    assert "line 2: not valid JSON" in message and 'line 3: missing "question"' in message


@pytest.mark.parametrize("content, reason", [
    (b"", "no questions: the file is empty"),
    (b"\n\n", "no questions: the file is empty"),
    (b'{"id": "a", "question": "caf\xe9"}\n', "not UTF-8 text"),
])
def test_empty_and_undecodable_files(tmp_path, content, reason):
    path = tmp_path / "q.jsonl"
    path.write_bytes(content)
    with pytest.raises(QuestionSetError) as info:
        load_questions(path)
    assert info.value.problems[0][1] == reason


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(QuestionSetError, match="no such file"):
        load_questions(tmp_path / "nope.jsonl")
    with pytest.raises(QuestionSetError, match="is a directory"):
        load_questions(tmp_path)


def test_relevant_articles_must_exist_in_the_store(tmp_path):
    qs = load_questions(write(tmp_path, [GOOD, {"id": "q2", "question": "Q", "relevant_articles": ["a", "ghost"]}]))
    check_articles(qs, {"a"} | {"ghost"}, "q.jsonl")
    with pytest.raises(QuestionSetError) as info:
        check_articles(qs, {"a"}, "q.jsonl")
    assert info.value.problems == [(2, "question 'q2': relevant article 'ghost' is not in the store")]


def test_a_feedback_record_from_the_discord_bot_loads_as_a_question(tmp_path):
    """The 👎 records bot/discordbot/feedback.py writes are read as they are, provenance kept."""
    from bot.answer.types import Answer, Citation, Turn
    from bot.discordbot.feedback import append_jsonl, feedback_record
    from bot.discordbot.memory import AnswerRecord

    cits = [Citation(1, "004_49cb5cfbe3980482", "T", "Brussels Morning", "2026-01-12", "dateline", None, "q", 0, 1)]
    given = Answer(question="Et quand ?", text="« q » [1]", citations=cits, refused=False, language="fr",
                   mode="extractive", resolved_question="Qui a appelé Ahmadian ? Et quand ?")
    path = tmp_path / "feedback.jsonl"
    append_jsonl(path, feedback_record(AnswerRecord(key=7, question="Et quand ?", answer=given,
                                                    history=[Turn("Qui a appelé Ahmadian ?", "…")], channel_id=1)))
    [q] = load_questions(path)
    assert (q.id, q.question, q.answerable, q.relevant_articles) == ("discord-7", "Et quand ?", True,
                                                                     ("004_49cb5cfbe3980482",))
    assert q.source == "discord-feedback" and q.answer_given == "« q » [1]" and q.category == "feedback"
    assert q.refused is False and q.history == ("Qui a appelé Ahmadian ?",)
    assert q.citations[0].outlet == "Brussels Morning" and q.discord.channel_id == "1"
    assert q.to_dict() == json.loads(path.read_text())  # nothing lost when written back into a set


def test_provenance_fields_are_type_checked(tmp_path):
    problems = problems_of(tmp_path, [
        {"id": "f1", "question": "Q", "refused": "no", "citations": [1], "history": "Qui ?", "discord": [],
         "resolved_question": 3},
    ])
    assert problems[1] == ['"refused" must be true or false, not a string', '"citations"[0] must be an object, not a number',
                           '"resolved_question" must be a string, not a number', '"history" must be a list, not a string',
                           '"discord" must be an object, not a list']


def test_dates_in_a_records_filters_are_read_as_every_front_end_reads_them(tmp_path):
    [q] = load_questions(write(tmp_path, [{**GOOD, "filters": {"from": "janvier 2025", "to": "2025"}}]))
    assert (q.filters.filters().date_from.isoformat(), q.filters.filters().date_to.isoformat()) == (
        "2025-01-01", "2025-12-31")
    problems = problems_of(tmp_path, [{**GOOD, "filters": {"from": "12/01/2026"}},
                                      {**GOOD, "id": "q2", "filters": {"since": "2025"}}])
    assert problems == {
        1: ['"filters"."from": “12/01/2026” could be 12 January 2026 or 1 December 2026: write 2026-01-12 or '
            '2026-12-01.'],
        2: ["unknown key 'since' in \"filters\""]}
