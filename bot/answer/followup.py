"""Follow-up questions ("et en 2024 ?", "who else?", "pourquoi ?") only make sense with the
conversation: resolve them into a standalone question before retrieval. No LLM: a follow-up is
short, starts with a connector or leans on a pronoun, and borrows the subject of the last question."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.answer.reader.question import answer_type, names_in
from bot.answer.types import Turn
from index.keyword import fold

_CONNECTOR = re.compile(
    r"^(et|and|mais|but|aussi|also|alors|so|sinon|ou|or|puis|then|what about|how about|and what about|"
    r"qu'en est-il|qu en est-il|pourquoi|why|comment ca|how come|who else|what else|qui d'autre|quoi d'autre|"
    r"d'autres|others?|lesquels|lesquelles|which ones|et pour|et en|et a|et au|et aux|et le|et la|et les)\b",
    re.IGNORECASE,
)
_ANAPHORA = {
    "il", "elle", "ils", "elles", "lui", "leur", "leurs", "eux", "celui", "celle", "ceux", "celles", "ça", "ca",
    "cela", "ce dernier", "cette derniere", "son", "sa", "ses", "he", "she", "they", "him", "her", "them", "his",
    "their", "it", "its", "that", "this", "those", "there", "y",
}
_MORE = re.compile(r"\b(else|autres?|d'autre|also|aussi|encore|another|other|others|sinon)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Resolved:
    question: str
    is_followup: bool
    #: the follow-up asks for something besides what was already answered ("who else?")
    wants_more: bool = False
    #: the kind of the question to answer (a bare "et en 2024 ?" keeps the last question's kind)
    kind: str | None = None
    previous_answer: str = ""


def is_followup(question: str) -> bool:
    text = fold(question.strip())
    words = re.findall(r"[\w']+", text)
    if not words:
        return False
    if _CONNECTOR.match(text):
        return True
    names = names_in(question)
    has_anaphora = any(w in _ANAPHORA for w in words) or "ce dernier" in text
    return (has_anaphora and not names) or (len(words) <= 3 and not names)


def resolve(question: str, history: list[Turn] | None) -> Resolved:
    if not history:
        return Resolved(question, False)
    last = history[-1]
    if not is_followup(question):
        return Resolved(question, False)
    previous = last.resolved_question or last.question
    kind_now, _ = answer_type(re.sub(r"^(et|and)\s+", "", question.strip(), flags=re.IGNORECASE))
    kind = kind_now if kind_now != "other" else answer_type(previous)[0]
    return Resolved(
        question=f"{previous} {question.strip()}", is_followup=True, wants_more=bool(_MORE.search(question)),
        kind=kind, previous_answer=last.answer,
    )
