"""Does a sentence actually answer the question? Retrieval scores cannot tell once a large corpus is
indexed (something is always "closest"); the words of the sentence can: it must cover the
question's rare terms, mention the names the question names, and contain the kind of thing asked
for (a person for "who", a date for "when", a number for "how many")."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache

from bot.answer.question import NUMBER_WORDS, QuestionProfile, _CALENDAR, _NOT_NAMES
from index.keyword import fold

_WORDS = re.compile(r"[\w’'-]+", re.UNICODE)
_CAPITALISED = re.compile(r"(?<![\w’'])[A-ZÀ-ÝŒ][\w’'\-]+")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_DIGITS = re.compile(r"\d")
_TIME_WORDS = re.compile(
    r"\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|janvier|février|mars|avril|mai|juin|juillet|août|"
    r"septembre|octobre|novembre|décembre|hier|aujourd'hui|demain|semaine|mois|année|an|ans|été|hiver|printemps|"
    r"automne|week-end|récemment|depuis|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|"
    r"february|march|april|june|july|august|september|october|november|december|yesterday|today|week|month|"
    r"year|recently|since)\b",
    re.IGNORECASE,
)
#: sentence-initial words that are capitalised without being names
_COMMON_STARTS = {
    "le", "la", "les", "l", "un", "une", "des", "ce", "cette", "ces", "il", "elle", "ils", "elles", "selon",
    "mais", "et", "alors", "cependant", "toutefois", "en", "au", "aux", "dans", "lors", "après", "avant",
    "pour", "par", "sur", "de", "du", "d", "a", "à", "on", "nous", "je", "malgré", "bien", "aucun", "cela",
    "ainsi", "the", "a", "an", "in", "on", "he", "she", "they", "it", "this", "that", "but", "and", "de",
}


@lru_cache(maxsize=200_000)
def name_key(word: str) -> str:
    """A spelling-tolerant key for names across French/English transliterations:
    Shoigu ~ Choïgou, Netanyahu ~ Netanyahou, Ispahan ~ Isfahan."""
    w = fold(word).strip("'’-")
    w = re.sub(r"^(l|d|qu)['’]", "", w)
    for a, b in (("sh", "ch"), ("ph", "f"), ("kh", "h"), ("ou", "u"), ("y", "i"), ("k", "c"), ("w", "v"),
                 ("dj", "j"), ("tch", "ch")):
        w = w.replace(a, b)
    return w


@lru_cache(maxsize=50_000)
def _similar(a: str, b: str) -> bool:
    """Same name: equal keys, a near spelling (Goffman / Gofman, Téhéran / Tehran), or a shared
    stem of at least four letters (Russie / russe, Iran / iranien, Ukraine / ukrainien)."""
    if a == b:
        return True
    if min(len(a), len(b)) < 4:
        return False
    common = len(os.path.commonprefix([a, b]))
    if common >= 4 and common >= 0.6 * min(len(a), len(b)):
        return True
    return SequenceMatcher(None, a, b).ratio() >= 0.8


def name_in(name: str, keys: set[str]) -> bool:
    """Is the (possibly multi-word) ``name`` in a text whose word keys are ``keys``? A person is
    found by the surname alone ("Viktorov" for "Anatoly Viktorov")."""
    parts = [name_key(p) for p in _WORDS.findall(name) if fold(p) not in _NOT_NAMES]
    parts = [p for p in parts if len(p) > 1]
    if not parts:
        return True
    return any(any(_similar(p, k) for k in keys) for p in parts[-1:]) or all(
        any(_similar(p, k) for k in keys) for p in parts
    )


def word_keys(text: str) -> set[str]:
    return {name_key(w) for w in _WORDS.findall(text)}


def new_names(sentence: str, question: QuestionProfile) -> list[str]:
    """Capitalised words of the sentence that the question does not contain: candidate answers to
    "who" and "where"."""
    out = []
    qkeys = {name_key(w) for w in question.words}
    for m in _CAPITALISED.finditer(sentence):
        word = m.group(0)
        folded = fold(word).strip("'’")
        folded = re.sub(r"^(l|d|qu)['’]", "", folded)
        at_start = m.start() == 0 or sentence[: m.start()].strip() in {"«", '"', "“", "-", "—"}
        if folded in _NOT_NAMES or folded in _CALENDAR or (at_start and folded in _COMMON_STARTS):
            continue
        key = name_key(word)
        if any(_similar(key, q) for q in qkeys):
            continue
        out.append(word)
    return out


_TITLES = re.compile(
    r"\b(m\.|mme|président|presidente|ministre|ambassadeur|ambassadrice|général|ayatollah|secrétaire|"
    r"porte-parole|guide suprême|chef|directeur|directrice|envoyé|sénateur|sénatrice|député|roi|reine|prince|"
    r"premier ministre|commandant|président du parlement|president|minister|ambassador|general|secretary|"
    r"spokesman|spokeswoman|leader|director|envoy|senator|king|queen|mr\.|mrs\.|ms\.|dr\.)\s*$",
    re.IGNORECASE,
)
#: words that announce an organisation, not a person ("l'agence de presse RIA Novosti")
_ORGANISATION_BEFORE = re.compile(
    r"\b(agence|journal|média|media|presse|site|chaîne|quotidien|radio|télévision|magazine|groupe|société|"
    r"entreprise|parti|agency|newspaper|network|company|party|outlet)\b[\w\s'’-]{0,25}$",
    re.IGNORECASE,
)
_SPEECH_AFTER = re.compile(r"^\s*(,[^,]{0,80},\s*)?(a|avait|aurait)\s+(déclaré|dit|indiqué|souligné|affirmé|"
                           r"annoncé|ajouté|estimé|révélé|rencontré|expliqué)|^\s+(said|told|stated|met)\b")


def person_names(sentence: str, question: QuestionProfile) -> list[str]:
    """New names that look like people: two capitalised words in a row (Anatoly Viktorov), a
    title before (M. Peskov, le président Pezeshkian) or a verb of speech after."""
    found = []
    new = set(new_names(sentence, question))
    for m in re.finditer(r"(?<![\w’'])[A-ZÀ-ÝŒ][\w’'\-]+(?:\s+[A-ZÀ-ÝŒ][\w’'\-]+)*", sentence):
        words = m.group(0).split()
        offset = m.start()
        while words and (fold(words[0]) in _COMMON_STARTS or fold(words[0]) in _NOT_NAMES):
            offset += len(words[0]) + 1
            words = words[1:]
        words = [w for w in words if fold(w) not in _CALENDAR]
        # a new person: the surname is new ("Ali Khamenei" is not new when the question says Khamenei)
        if not words or words[-1] not in new:
            continue
        before = sentence[max(0, offset - 40) : offset]
        after = sentence[m.end() : m.end() + 100]
        # "la République islamique", "le Hamas", "l'Iran": an article before a name is not a person's
        if _ORGANISATION_BEFORE.search(before) or re.search(r"(?:\b(?:la|le|les|du|des|au|aux)\s+|\bl['’])$",
                                                            before, re.IGNORECASE):
            continue
        if len(words) >= 2 or _TITLES.search(before) or _SPEECH_AFTER.search(after):
            found.append(" ".join(words))
    return found


#: "les deux pays" counts the parties of the story, it answers no "how many"
_GENERIC_COUNT = re.compile(
    r"\b(deux|trois|two|three)\s+(pays|parties|camps|côtés|hommes|femmes|responsables|dirigeants|puissances|"
    r"leaders|chefs|ministres|présidents|nations|countries|sides|men|women|officials)\b|\bboth\b",
    re.IGNORECASE,
)


def has_number(sentence: str, question: QuestionProfile) -> bool:
    sentence = _GENERIC_COUNT.sub(" ", re.sub(r"\S*(?:https?://|www\.|\.com/|\.twitter)\S*", " ", sentence))
    digits = [n.strip(" .,") for n in re.findall(r"\d[\d\s.,]*", sentence)]
    digits = [n for n in digits if n and n not in question.numbers]
    if digits:
        # a bare year is a date, not a count
        if any(not _YEAR.fullmatch(d) for d in digits):
            return True
    words = {fold(w) for w in _WORDS.findall(sentence)}
    return bool(words & {fold(w) for w in NUMBER_WORDS} - {"un", "une", "one"})


def has_time(sentence: str) -> bool:
    return bool(_YEAR.search(sentence) or _TIME_WORDS.search(sentence))


def answers_kind(sentence: str, question: QuestionProfile) -> bool:
    """Does the sentence contain the kind of thing the question asks for?"""
    kind = question.kind
    if kind == "who":  # a person, or an organisation ("le Hamas"): any name the question does not give
        return bool(new_names(sentence, question))
    if kind == "when":
        return has_time(sentence)
    if kind == "number":
        return has_number(sentence, question)
    if kind == "where":
        return bool(new_names(sentence, question))
    return True


@dataclass(frozen=True)
class Evidence:
    """How well one sentence (or two adjacent ones) supports an answer."""

    #: share of the question's idf weight that the sentence's terms cover (0..1)
    coverage: float
    #: share of the question's names found in the sentence (0..1; 1 when it names none)
    names_here: float
    #: share of the question's names found somewhere in the sentence's article
    names_in_article: float
    kind_ok: bool
    #: the question's terms that are not names (what it asks about): how many, how many missing,
    #: and the missing share of their idf weight
    focus_total: int = 0
    focus_missing: int = 0
    focus_missing_weight: float = 0.0
    #: words spanned by the shortest stretch holding every question name and focus term found
    window: int = 0
    #: the attribute the question asks for by name ("quel prix") is in the sentence (True if none)
    asked_here: bool = True
    #: share of the question's verbs found (they rank, they do not decide)
    verbs_here: float = 0.0
    #: for "who": the sentence names a person (ranks above an organisation or a place)
    person: bool = False
    #: cosine of the question and sentence embeddings, when computed
    dense: float | None = None


def window(text: str, question: QuestionProfile, analyzer) -> int:
    """The shortest run of words containing each of the question's names and focus terms that the
    text contains (words far apart in a long sentence are seldom about each other)."""
    words = _WORDS.findall(text)
    if not words:
        return 0
    positions: list[list[int]] = []
    keys = [name_key(w) for w in words]
    for name in question.names:
        parts = [name_key(p) for p in _WORDS.findall(name) if fold(p) not in _NOT_NAMES and len(p) > 1]
        if parts:
            hits = [i for i, k in enumerate(keys) if _similar(parts[-1], k)]
            if hits:
                positions.append(hits)
    stems = [set(analyzer.terms(w)) for w in words]
    for term in dict.fromkeys(question.focus):
        hits = [i for i, st in enumerate(stems) if st and term_in(term, st)]
        if hits:
            positions.append(hits)
    if len(positions) < 2:
        return 1
    # minimal window over several sorted position lists
    events = sorted((pos, item) for item, hits in enumerate(positions) for pos in hits)
    need, count, best, left = len(positions), {}, len(words), 0
    for right, (pos, item) in enumerate(events):
        count[item] = count.get(item, 0) + 1
        while len(count) == need:
            best = min(best, pos - events[left][0] + 1)
            li = events[left][1]
            count[li] -= 1
            if not count[li]:
                del count[li]
            left += 1
    return best


def term_in(term: str, terms: set[str]) -> bool:
    """Exact, or one stem a prefix of the other: assassin / assassinat, or a short stem within
    three letters of the longer one (offr / offrir), never part / partenariat."""
    if term in terms:
        return True
    if len(term) < 4:
        return False
    for t in terms:
        short, long_ = (term, t) if len(term) <= len(t) else (t, term)
        if len(short) >= 4 and long_.startswith(short) and (len(short) >= 5 or len(long_) - len(short) <= 3):
            return True
    return False


def coverage(question_terms: list[str], sentence_terms: set[str], idf, verbs: frozenset[str] = frozenset()
             ) -> float:
    """Share of the question's idf weight found in the sentence; verbs aside when there is more."""
    content = [t for t in question_terms if t not in verbs] or list(question_terms)
    if not content:
        return 0.0
    weights = {t: idf(t) for t in set(content)}
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if term_in(t, sentence_terms)) / total if total else 0.0


def focus(focus_terms: list[str], sentence_terms: set[str], idf, verbs: frozenset[str] = frozenset()
          ) -> tuple[int, int, float]:
    """(focus terms that are not verbs, missing ones, missing share of their idf weight). Verbs
    do not count: news says "nommé" where a question says "choisi"; meaning is checked by other
    means (the dense similarity, the kind of answer)."""
    unique = [t for t in dict.fromkeys(focus_terms) if t not in verbs]
    if not unique:
        return 0, 0, 0.0
    weights = {t: idf(t) for t in unique}
    missing = [t for t in unique if not term_in(t, sentence_terms)]
    total = sum(weights.values()) or 1.0
    return len(unique), len(missing), sum(weights[t] for t in missing) / total


def names_share(names: tuple[str, ...], keys: set[str]) -> float:
    if not names:
        return 1.0
    return sum(1 for n in names if name_in(n, keys)) / len(names)
