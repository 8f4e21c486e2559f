"""Question analysis, the first step of the reader: what kind of answer the question wants
(a person, an organisation, a place, a date, a number, a reason, a manner, or something else; one
thing or a list), the names it gives, and the terms an answering sentence must match."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from bot.answer.reader.lexicon import (AUXILIARIES, CALENDAR, DURATION_QUESTION, HEAD_NOUN, HEAD_NOUN_TYPES,
                                       NAME_PARTICLES, NOT_NAMES, PLURAL_QUESTION, QUESTION_STOPWORDS, WH_PATTERNS,
                                       WORD, detect_language)
from index.keyword import Analyzer, fold


@dataclass(frozen=True)
class QuestionAnalysis:
    text: str
    language: str
    #: one of lexicon.ANSWER_TYPES
    answer_type: str
    #: several things are asked for ("Quels pays…", "Which leaders…")
    is_list: bool = False
    #: the noun that names what is asked for ("Quel *président*…"), folded; None if there is none
    head_noun: str | None = None
    #: names the question mentions, as written ("Shoigu", "Téhéran")
    names: tuple[str, ...] = ()
    #: analysed (stemmed, folded) content terms, question words and auxiliaries removed
    terms: tuple[str, ...] = ()
    #: the content terms that are not part of a name: what the question asks about
    focus: tuple[str, ...] = ()
    #: folded words of the question ("is this name from the question?")
    words: frozenset[str] = field(default_factory=frozenset)
    #: the analysed term of the head noun, when it is a content term
    head_term: str | None = None
    #: a "how many" that asks how long ("Combien de temps…", "How long…"): a figure of time answers
    asks_duration: bool = False
    #: "Qui est Roman Gofman ?", "Who was Walter Rodney?": the name alone after "who is", as written; such
    #: a question asks what the person is (a role, an occupation: answer type "other"), not for a name
    identity_of: str | None = None


@lru_cache(maxsize=8)
def analyzer_for(language: str) -> Analyzer:
    return Analyzer(language)


def _start(text: str) -> str:
    start = fold(text.strip().lstrip("«\"'¿¡ ")).replace("’", "'")
    start = re.sub(r"^(et|and|mais|but|alors|so|ok|donc)\s*,?\s+", "", start)
    return re.sub(r"^(selon (les articles|l'article|le texte)|according to the (articles?|text))\s*,?\s*", "", start)


def _singular(word: str) -> str:
    """The singular of a folded plural ("journaux" → "journal", "countries" → "country" when the
    head-noun table knows it), else the word without its final s or x."""
    if word.endswith("aux") and len(word) > 4:
        return word[:-3] + "al"
    if word.endswith("ies") and word[:-3] + "y" in HEAD_NOUN_TYPES:
        return word[:-3] + "y"
    return word[:-1] if word.endswith(("s", "x")) and len(word) > 3 else word


def answer_type(text: str) -> tuple[str, str | None]:
    """(answer type, folded head noun or None)."""
    start = _start(text)
    head = HEAD_NOUN.search(start)
    if head and head.group(1) in AUXILIARIES:  # "What did Netanyahu ask…": a verb, no head noun
        head = None
    if head:
        # the noun may follow adjectives ("which Russian official", "quel ancien président")
        following = [head.group(1)] + re.findall(r"[\w-]+", start[head.end(1) :])[:2]
        word = next((w for w in following if w in HEAD_NOUN_TYPES or _singular(w) in HEAD_NOUN_TYPES), head.group(1))
        noun = word if word in HEAD_NOUN_TYPES else _singular(word)
        if start[head.start() : head.start() + 7].startswith(("combien", "how man", "how muc")):
            return "number", noun
        typed = HEAD_NOUN_TYPES.get(noun)
        if typed:
            return typed, noun
    m = re.search(r"\bcomment s'appel\w*\s+(?:le|la|les|l'|ce|cette)?\s*([\w-]+)", start)
    if m:
        noun = m.group(1) if m.group(1) in HEAD_NOUN_TYPES else _singular(m.group(1))
        return HEAD_NOUN_TYPES.get(noun, "other"), noun
    # the question word opens the question, or the clause after what frames it ("Selon Viktorov, qui…",
    # "En 2024, qui…", "According to Netanyahu's office, when…")
    for clause in [start] + [start[c.end():] for c in re.finditer(r",\s*", start)]:
        for pattern, kind in WH_PATTERNS:
            if re.search(pattern, clause):
                return kind, None
    # a question word later in the sentence ("Le traité fut signé quand ?", "Il vit où ?"); in English
    # only "how many / how much": a later "when" or "where" opens a clause ("What did Putin offer when he
    # phoned?")
    for word, kind in (("quand", "date"), ("combien", "number"), ("où", "place"), ("pourquoi", "reason"),
                       ("how many", "number"), ("how much", "number")):
        if re.search(rf"(?<!\w){word}(?!\w)", text.lower()):
            return kind, None
    if head:
        return "other", head.group(1) if head.group(1) in HEAD_NOUN_TYPES else _singular(head.group(1))
    return "other", None


def english_plural(start: str, name_words: set[str]) -> bool:
    """"Which leaders…", "What countries…": the English head noun is plural. The names of the question
    are no head noun ("Which *Hamas* leader"), and a known singular head noun beside a word in -s wins
    ("Which news agency")."""
    m = re.match(r"(?:which|what)\s+((?:[\w'-]+\s+){0,2}[\w'-]+)", start)
    if not m:
        return False
    words = [w for w in m.group(1).split() if w not in name_words]
    if not words or words[0] in AUXILIARIES:
        return False
    for w in words:
        if w in HEAD_NOUN_TYPES:
            return False
        if _singular(w) in HEAD_NOUN_TYPES:
            return True
    return words[0].endswith("s") and not words[0].endswith(("ss", "us", "is"))


#: a verb with its subject after it ("Existe-t-il", "Peut-on", "Connaissez-vous"): the question's first
#: word, capitalised, yet no name
_INVERTED = re.compile(r"-(t-)?(il|elle|on|ils|elles|vous|nous|je|tu|ce)$")


def names_in(text: str) -> list[str]:
    """Capitalised words and runs of them: names of people, places, organisations. The first word
    is capitalised anyway: it counts unless it is a function word ("Qui", "Le", "Selon")."""
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

    common = NOT_NAMES | {fold(w) for w in STOPWORDS_FRENCH} | set(STOPWORDS_EN)
    names: list[str] = []
    pattern = r"[A-ZÀ-ÝŒ][\w’'\-]*(?:\s+(?:de |d'|al-|el-|bin |ben )?[A-ZÀ-ÝŒ][\w’'\-]*)*"
    start = re.match(r"\s*[«\"'¿¡]*\s*", text).end()
    for m in re.finditer(pattern, text):
        parts = re.split(r"\s+", m.group(0))
        opening = fold(parts[0]).replace("’", "'")
        first = re.sub(r"^(l|d|qu|j|n|s|c)'", "", opening)
        if m.start() == start and not parts[0].isupper() and (opening in common or first != opening
                                                               or first.split("-")[0] in common
                                                               or _INVERTED.search(opening)):
            parts = parts[1:]
        parts = [re.sub(r"^(l|d|qu|j|n|s|c)['’]", "", p, flags=re.IGNORECASE) for p in parts]
        parts = [p.strip("'’-") for p in parts]
        parts = [p for p in parts if len(p) > 1 and fold(p) not in NOT_NAMES and fold(p) not in CALENDAR]
        if parts:
            names.append(" ".join(parts))
    return names


@lru_cache(maxsize=4)
def stop_terms(language: str) -> frozenset[str]:
    """The analyser's own terms of the question stopwords: never content. (Their folded spellings
    are not added: "du", "sur", "des" are also the stems of *dû*, *sûr*, *désir*.)"""
    from bm25s.stopwords import STOPWORDS_EN

    analyzer = analyzer_for(language)
    return frozenset(t for w in set(QUESTION_STOPWORDS) | set(STOPWORDS_EN) for t in analyzer.terms(w))


#: "qui est X", "who was X" and what follows X: the end, or another question joined to it ("Qui est
#: Roman Gofman et pourquoi…")
_IDENTITY = re.compile(
    r"^\W*(?:qui|who)\s+(?:est|était|etait|fut|is|was)\s+(?P<who>[^,?;]+?)\s*(?:[?,;]|\s(?:et|and)\s|$)", re.IGNORECASE)


def identity_of(text: str) -> str | None:
    """The name a "who is <a name>?" asks about ("Qui est Roman Gofman ?", "Who was Walter Rodney?"):
    all that follows "who is", capitalised as a name is ("Qui est le président ?" asks for a person)."""
    m = _IDENTITY.match(text)
    if not m:
        return None
    who = m.group("who").strip()
    lowercase = [w for w in re.findall(r"[\w'’]+", who) if not w[:1].isupper()]
    if who[:1].isupper() and names_in(who) and all(fold(w) in NAME_PARTICLES for w in lowercase):
        return who
    return None


def analyse(question: str, keyword_language: str = "french") -> QuestionAnalysis:
    text = unicodedata.normalize("NFC", question.strip())
    language = detect_language(text)
    kind, head = answer_type(text)
    identity = identity_of(text) if kind == "person" and head is None else None
    if identity:
        kind = "other"
    analyzer = analyzer_for(keyword_language)
    stop = stop_terms(keyword_language)
    names = names_in(text)
    if language == "en":  # "Russian", "Iranian" are adjectives, and the articles spell them otherwise
        names = [n for n in names if not re.search(r"(ian|ean|ese|ish|eli|ans|ic)$", n)]
    terms = tuple(t for t in analyzer.terms(text) if t not in stop)
    name_terms = set(analyzer.terms(" ".join(names)))
    focus = tuple(t for t in terms if t not in name_terms)
    head_terms = [t for t in analyzer.terms(head or "") if t in focus]
    return QuestionAnalysis(
        text=text, language=language, answer_type=kind,
        is_list=bool(PLURAL_QUESTION.search(_start(text))) or (
            language == "en" and english_plural(_start(text), {fold(w) for n in names for w in WORD.findall(n)})),
        head_noun=head, names=tuple(names), terms=terms, focus=focus,
        words=frozenset(fold(w) for w in WORD.findall(text)), head_term=head_terms[0] if head_terms else None,
        asks_duration=kind == "number" and bool(DURATION_QUESTION.search(fold(text).replace("’", "'"))),
        identity_of=identity,
    )
