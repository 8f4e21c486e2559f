"""What a question asks for: its language, its kind (who / when / how many / where / ...), the
names and numbers it mentions, and its content terms. The extractive answerer and the evidence
check both work from this."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from index.keyword import Analyzer, fold

_WORD = re.compile(r"[\w’'-]+", re.UNICODE)

_FR_MARKERS = {
    "le", "la", "les", "des", "du", "de", "un", "une", "est", "sont", "qui", "que", "quoi", "quel", "quelle",
    "quels", "quelles", "quand", "combien", "où", "pourquoi", "comment", "et", "en", "avec", "pour", "dans",
    "au", "aux", "il", "elle", "ils", "elles", "a-t-il", "a-t-elle", "ont-ils", "selon", "sur", "d'autre",
    "ce", "cette", "été", "lors", "entre", "avez", "dit", "a", "à",
}
_EN_MARKERS = {
    "the", "a", "an", "is", "are", "was", "were", "who", "whom", "whose", "what", "which", "when", "where",
    "why", "how", "many", "much", "did", "does", "do", "of", "in", "on", "with", "for", "to", "and", "he",
    "she", "they", "it", "his", "her", "their", "according", "about", "else", "has", "have", "by", "from",
}

#: (pattern on the folded question start, kind); first match wins
_KIND_PATTERNS = [
    (r"^(en |a |a partir de |depuis )?(quelle|quel) (annee|date|jour|mois|epoque)\b", "when"),
    (r"^(quelle|quel) (est|etait) (la|l') ?(date|annee|epoque)\b", "when"),
    (r"^(depuis )?quand\b|^a quel moment\b", "when"),
    (r"^(when|what (year|date|day|month)|since when|in what year|in which year|on what date)\b", "when"),
    (r"^combien\b|^(a |pour |de )?(quel|quelle) (est |etait )?(le |la |l')?(nombre|quantite|somme|duree|part|"
     r"proportion|prix|cout|montant|taux|age|population|budget|pourcentage|superficie|taille|salaire|chiffre)\b",
     "number"),
    (r"^how (many|much|long|old)\b|^(at |for )?what (is |was )?(the )?(number|amount|share|duration|price|cost|"
     r"rate|age|population|budget|percentage|size)\b", "number"),
    (r"^(ou|d'ou|par ou)\b|^dans quel(le)? (pays|ville|lieu|region)\b", "where"),
    (r"^(where|in which (country|city|place))\b", "where"),
    (r"^(qui|a qui|avec qui|par qui|de qui|pour qui|qui d'autre)\b", "who"),
    (r"^(who|whom|whose|with whom|who else)\b", "who"),
    (r"^(pourquoi|why)\b", "why"),
    (r"^(comment|how)\b", "how"),
]
#: words that, capitalised, are not names
_NOT_NAMES = {
    "qui", "que", "quoi", "quel", "quelle", "quels", "quelles", "quand", "combien", "où", "ou", "pourquoi",
    "comment", "est", "selon", "le", "la", "les", "l", "un", "une", "des", "et", "en", "à", "a", "au", "aux",
    "who", "what", "when", "where", "why", "how", "which", "whom", "whose", "did", "does", "do", "is", "are",
    "was", "were", "the", "and", "in", "on", "according", "m", "mme", "dr", "according", "et", "also", "aussi",
    "i", "je", "il", "elle", "ils", "elles", "he", "she", "they", "it", "de", "du", "d", "lors", "après",
    "avant", "depuis", "pour", "par", "sur", "dans", "with", "for", "from", "by", "of", "to", "tell", "dis",
    "donne", "give", "name", "list", "cite", "explique", "explain", "can", "could", "peux", "pouvez",
    "liste", "résume", "resume", "décris", "decris", "raconte", "montre", "trouve", "cherche", "summarize",
    "describe", "show", "find", "tell", "please", "svp", "stp", "y", "a-t-il", "est-ce", "quelqu'un", "quoi",
}
NUMBER_WORDS = {
    "un", "une", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf", "dix", "onze", "douze",
    "treize", "quatorze", "quinze", "seize", "vingt", "trente", "quarante", "cinquante", "soixante", "cent",
    "cents", "mille", "million", "millions", "milliard", "milliards", "dizaine", "dizaines", "centaine",
    "centaines", "milliers", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "twenty", "thirty", "hundred", "thousand", "thousands", "million", "billion",
    "moitié", "tiers", "quart", "double", "triple",
}


@dataclass(frozen=True)
class QuestionProfile:
    text: str
    language: str
    kind: str  # who, when, number, where, why, how, what
    #: names the question mentions (as written), e.g. ["Shoigu", "Téhéran"]
    names: tuple[str, ...] = ()
    #: numbers and years the question mentions
    numbers: tuple[str, ...] = ()
    #: analysed (stemmed, folded) content terms
    terms: tuple[str, ...] = ()
    #: folded words of the question (for "is this name from the question?")
    words: frozenset[str] = field(default_factory=frozenset)
    #: content terms that are not part of a name: what the question asks about
    focus: tuple[str, ...] = ()
    #: the focus terms that are verbs: articles say the same thing with other verbs (choisi pour
    #: diriger / nommé directeur), so their absence weighs less
    verbs: tuple[str, ...] = ()
    #: what the question asks for by name: "À quel *prix*…", "Quel *président*…", "Combien de *missiles*…"
    asked: str | None = None


def detect_language(text: str) -> str:
    """"fr" or "en" (the frames we have), by function words; French when unsure."""
    words = [w.lower().strip("’'") for w in _WORD.findall(text)]
    fr = sum(1 for w in words if w in _FR_MARKERS or w.endswith(("-t-il", "-t-elle")))
    en = sum(1 for w in words if w in _EN_MARKERS)
    if any(ch in text for ch in "éèêàâçùûôîœ«»"):
        fr += 1
    return "en" if en > fr else "fr"


def question_kind(text: str) -> str:
    start = fold(text.strip().lstrip("«\"'¿¡ ")).replace("’", "'")
    start = re.sub(r"^(et|and|mais|but|alors|so|ok|donc)\s*,?\s+", "", start)
    start = re.sub(r"^(selon (les articles|l'article)|according to the articles?)\s*,?\s*", "", start)
    for pattern, kind in _KIND_PATTERNS:
        if re.search(pattern, start):
            return kind
    return "what"


_CALENDAR = {
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre", "novembre",
    "decembre", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
}


def _names(text: str) -> list[str]:
    """Capitalised words (and runs of them): names of people, places, organisations. The first
    word is capitalised anyway: it counts unless it is a function word ("Qui", "Le", "Selon")."""
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_FRENCH

    common = _NOT_NAMES | {fold(w) for w in STOPWORDS_FRENCH} | set(STOPWORDS_EN)
    names: list[str] = []
    pattern = r"[A-ZÀ-ÝŒ][\w’'\-]*(?:\s+(?:de |d'|al-|el-|bin |ben )?[A-ZÀ-ÝŒ][\w’'\-]*)*"
    start = re.match(r"\s*[«\"'¿¡]*\s*", text).end()
    for m in re.finditer(pattern, text):
        parts = re.split(r"\s+", m.group(0))
        first = re.sub(r"^(l|d|qu|j|n|s|c)['’]", "", fold(parts[0]))
        if m.start() == start and not parts[0].isupper() and (fold(parts[0]) in common or first != fold(parts[0])
                                                               or first.split("-")[0] in common):
            parts = parts[1:]
        parts = [re.sub(r"^(l|d|qu|j|n|s|c)['’]", "", p, flags=re.IGNORECASE) for p in parts]
        parts = [p.strip("'’-") for p in parts]
        parts = [p for p in parts if len(p) > 1 and fold(p) not in _NOT_NAMES and fold(p) not in _CALENDAR]
        if parts:
            names.append(" ".join(parts))
    return names


@lru_cache(maxsize=1)
def question_stopterms() -> frozenset[str]:
    """Analysed forms of question words and English stopwords: never content."""
    from bm25s.stopwords import STOPWORDS_EN

    fr = _analyzer("french")
    words = set(_NOT_NAMES) | set(STOPWORDS_EN) | {
        "else", "autre", "autres", "nombre", "fois", "annee", "date", "many", "much", "article", "articles",
        "dit", "disent", "say", "says", "said", "tell", "told", "quoi", "what", "nom", "noms", "name", "names",
        # auxiliaries and modals carry no content
        "être", "etre", "été", "ete", "avoir", "eu", "fait", "faire", "pouvoir", "pourrait", "pourraient", "peut",
        "peuvent", "devoir", "doit", "doivent", "devrait", "vouloir", "veut", "aller", "va", "vont", "would",
        "could", "should", "will", "can", "may", "might", "must", "did", "does", "done",
        # words that only frame the kind of answer wanted ("quel type de…", "quel jour de la semaine")
        "type", "types", "genre", "sorte", "nature", "kind", "sort", "jour", "semaine", "mois", "heure",
        "moment", "époque", "epoque", "day", "week", "month", "year", "time", "quelle", "which", "comme", "as",
    }
    out = {fold(w) for w in words}
    for w in words:
        out.update(fr.terms(w))
        out.add(fr._stem(w))
    return frozenset(out)


@lru_cache(maxsize=8)
def _analyzer(language: str) -> Analyzer:
    return Analyzer(language)


#: a verb follows an auxiliary, an inverted subject or a preposition of purpose...
_AFTER_VERB_CONTEXT = re.compile(
    r"(?:\b(?:a|ont|avait|avaient|aurait|est|sont|était|été|être|s'être|avoir|pour|de|d'|à|afin de|qui|que|"
    r"qu'|quand|où|comment|pourquoi|has|have|had|was|were|did|does|do|will|would|to|be|been|who|what|when|"
    r"where|why|how)|-t-(?:il|elle|on)|-(?:il|elle|ils|elles|on))\s+$",
    re.IGNORECASE,
)
#: ...and has a verb's ending (participles, infinitives, conditionals, English -ed/-ing)
_VERB_ENDING = re.compile(r"(?:é|ée|és|ées|i|is|it|u|us|er|ir|re|ed|ing|ait|aient|rait|raient|ra|ront|rons)$",
                          re.IGNORECASE)
_INVERTED = re.compile(r"^[\w’']+-(?:t-)?(?:il|elle|ils|elles|on)$", re.IGNORECASE)


def _verbs(text: str, analyzer) -> set[str]:
    """Analysed terms of the question's verbs, found by context and ending (no tagger needed)."""
    out: set[str] = set()
    for m in re.finditer(r"[\w’'-]+", text):
        word = m.group(0)
        before = text[max(0, m.start() - 20) : m.start()]
        if _INVERTED.match(word):  # "entraînerait-il", "pourrait-elle"
            out.update(analyzer.terms(word.split("-")[0]))
        elif _AFTER_VERB_CONTEXT.search(before) and _VERB_ENDING.search(word) and not word[0].isupper():
            out.update(analyzer.terms(word))
    return out


_ASKED = re.compile(
    r"\b(?:quel|quelle|quels|quelles|combien\s+d[e']|what|which|how\s+many|how\s+much)\s+"
    r"(?:(?:type|sorte|genre|kind|sort|nature)\s+(?:de|d'|of)\s*)?([\w’'-]+)",
    re.IGNORECASE,
)


def _asked(text: str, analyzer, stop: frozenset[str]) -> str | None:
    m = _ASKED.search(text)
    if not m:
        return None
    terms = [t for t in analyzer.terms(m.group(1)) if t not in stop]
    return terms[0] if terms else None


def profile(question: str, keyword_language: str = "french") -> QuestionProfile:
    text = unicodedata.normalize("NFC", question.strip())
    language = detect_language(text)
    numbers = tuple(re.findall(r"\b\d[\d\s.,]*\d\b|\b\d\b", text))
    analyzer = _analyzer(keyword_language)
    names = tuple(_names(text))
    if language == "en":  # "Russian", "Iranian" are adjectives, and the articles spell them otherwise
        names = tuple(n for n in names if not re.search(r"(ian|ean|ese|ish|eli|ans|ic)$", n))
    terms = tuple(t for t in analyzer.terms(text) if t not in question_stopterms())
    name_terms = set(analyzer.terms(" ".join(_names(text))))
    focus = tuple(t for t in terms if t not in name_terms)
    verbs = _verbs(text, analyzer)
    asked = _asked(text, analyzer, question_stopterms())
    return QuestionProfile(
        text=text, language=language, kind=question_kind(text), names=names,
        numbers=tuple(n.strip() for n in numbers), terms=terms,
        words=frozenset(fold(w) for w in _WORD.findall(text)),
        focus=focus, verbs=tuple(t for t in focus if t in verbs),
        asked=asked if asked in focus else None,
    )
