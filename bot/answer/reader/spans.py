"""The answer span, the fifth step of the reader: within the chosen sentence, the words that answer
(a name, a date, a figure, a short phrase), for the answer's first line.

Candidates come from spaCy's parse of the sentence (named entities, noun phrases and the subtrees
of nouns, proper-noun runs, modifiers) and from our own number and date finder; a fitted scorer
weighs them by what the question asks for, where they stand from the question's words in the
sentence, and their role in it. The span is always a verbatim slice of the sentence."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from bot.answer.reader.features import ENTITY_LABELS
from bot.answer.reader.lexicon import AMOUNT_QUALIFIER, QUESTION_WORDS, TIME_QUALIFIER, TITLE_LINKS, TO_BE
from bot.answer.reader.matching import name_key, similar_keys, term_in
from bot.answer.reader.question import QuestionAnalysis
from bot.answer.reader.values import find_values
from index.keyword import fold

SPAN_FEATURES = (
    "type_match", "type_near", "is_entity", "is_value", "is_chunk", "is_subtree", "is_propn", "is_modifier",
    "question_overlap", "has_question_name", "distance", "after_match", "before_match", "length", "role_subject",
    "role_object", "role_oblique", "role_nominal_modifier", "role_apposition", "role_root", "attached_to_match",
    "near_head_noun", "in_brackets", "has_digit", "has_verb", "relative_position", "unit_attached",
    "starts_with_preposition", "starts_with_determiner", "has_comma", "one_token", "two_or_three_tokens",
    "seven_tokens_or_more", "ends_with_noun", "tree_distance", "sibling_of_match", "governed_as_asked",
)

_MAX_TOKENS = 16
_EDGE_PUNCT = set(",;:.!?()[]«»\"“”'’-–—")
#: parts of speech that never begin or end an answer ("et", "que", "ainsi que")
_EDGE_POS = {"CCONJ", "SCONJ"}
#: elided words that are never part of an answer ("qu’Israël" is "Israël"); "l’" and "d’" are
#: articles and prepositions, dropped as those are
_CLITICS = {f"{c}{q}" for c in ("qu", "n", "s", "j", "c", "m", "t", "jusqu", "lorsqu", "puisqu") for q in "'’"}
_ARTICLES = {f"{c}{q}" for c in ("l", "d") for q in "'’"}
#: parts of speech a span made only of cannot answer
_FUNCTION_POS = {"DET", "ADP", "CCONJ", "SCONJ", "PRON", "AUX", "PUNCT", "PART", "SPACE"}
_PAIRS = (("(", ")"), ("[", "]"), ("«", "»"), ("“", "”"))
#: links in a sentence (a tweet quoted in an article: "pic.twitter.com/5QU9X1HX6G"), never an answer;
#: spaCy cuts some of them in two, so they are found in the text
_LINK = re.compile(r"(?:https?://|www\.|pic\.twitter\.com/)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|fr|io|co|ly)/\S*")
_TYPE_NEAR = {"person": {"ORG", "MISC"}, "organisation": {"PER", "LOC"}, "place": {"ORG", "MISC"}}


@dataclass(frozen=True)
class SpanCandidate:
    #: offsets in the sentence
    start: int
    end: int
    text: str
    kind: str  # entity:PER, value:date, chunk, subtree, propn, modifier
    features: tuple[float, ...] = ()


def _digits(token) -> bool:
    """A figure's token: spaCy's small French model tags the groups of "22 000" and "3 500" DET."""
    return any(ch.isdigit() for ch in token.text)


def with_time_prefix(sentence: str, start: int, question: str = "") -> int:
    """Where a date answer starting at ``start`` begins once the words that qualify it before it are
    kept ("vers 1100", "à partir de 2017"); ``start`` where none do, or where the question asks with
    them ("À partir de quand…" is answered "1956")."""
    return _with_prefix(TIME_QUALIFIER, sentence, start, question, 24)


def with_amount_prefix(sentence: str, start: int, question: str = "") -> int:
    """Where a figure starting at ``start`` begins once the words that bound it are kept ("plus de 50 %",
    "près de 2 000", "environ 300"); ``start`` where none do, or where the question asks with them."""
    return _with_prefix(AMOUNT_QUALIFIER, sentence, start, question, 16)


def _with_prefix(pattern: re.Pattern, sentence: str, start: int, question: str, reach: int) -> int:
    m = pattern.search(sentence[max(0, start - reach) : start])
    if not m or fold(m.group(0).strip()).replace("’", "'") in fold(question).replace("’", "'"):
        return start
    return start - len(m.group(0))


def descriptions(doc, who: str) -> list[tuple[int, int]]:
    """The token ranges of ``doc`` that say what ``who`` is, by the parse: the noun the name stands in
    apposition to ("*Le président du Parlement iranien*, Mohammad Bagher Ghalibaf", "*le général de
    division* Roman Gofman"), an apposition to the name ("Laura, *l'entremetteuse*"), or what the name
    is the subject of ("Walter Rodney est *un historien guyanien*"); where the parse gives none, the
    title just before the name ("*Le président russe* Vladimir Poutine"). Each without the name,
    trimmed as every span is. None where the sentence only mentions him ("Goffman, qui a été
    gravement blessé lors de l'attaque du Hamas…", "l'assassinat par Israël d'Ismail Haniyeh")."""
    keys = [name_key(w) for w in who.split()]
    named = {t.i for t in doc if t.text[:1].isupper() and any(similar_keys(name_key(t.text), k) for k in keys)}
    roots = set()
    for i in named:  # a name's words hang on its first: "Ghalibaf" on "Mohammad" in "Mohammad Bagher Ghalibaf"
        t = doc[i]
        while t.dep_ == "flat:name" and t.head.i != t.i:
            t = t.head
        roots.add(t.i)
    named |= {x.i for r in roots for x in doc[r].subtree if x.dep_ == "flat:name"} | roots
    out: list[tuple[int, int]] = []
    for t in (doc[i] for i in sorted(roots)):
        nouns, h = [], t
        # up through appositions (the small parser reads "L'ambassadeur russe à l'ONU, Vassily Nebenzia, …"
        # as a coordination)
        while h.head.i != h.i and h.head.pos_ == "NOUN" and not any(c.dep_ == "case" for c in h.children) and (
                h.dep_ == "appos" or (h.dep_ == "conj" and h.i > 0 and doc[h.i - 1].text == ",")):
            h = h.head
            nouns.append(h)
        # "Laura, l'entremetteuse" (a coordination to the small parser, and a proper noun), "Balaq le roi de Moab"
        nouns += [c for c in t.children if (c.pos_ == "NOUN" or (c.pos_ == "PROPN" and c.text[:1].islower())) and (
            c.dep_ == "appos"
            or (c.dep_ == "conj" and c.i - t.i <= 3 and "," in {x.text for x in doc[t.i + 1 : c.i]})
            or (c.dep_ == "nmod" and c.i > t.i and any(d.dep_ == "det" for d in c.children)
                and not any(d.dep_ == "case" for d in c.children)))]
        if t.dep_.startswith("nsubj") and t.head.pos_ == "NOUN":  # "X est un historien"
            nouns.append(t.head)
        for noun in nouns:
            subtree = {x.i for x in noun.subtree}
            # without the name and what hangs on it (when the noun governs it), nor "est" before the noun
            left_out = set(named) | ({x.i for x in t.subtree} if t.i in subtree else set()) | {
                c.i for c in noun.children if c.dep_ in ("cop", "aux", "punct") and c.i < noun.i}
            kept = [i for i in subtree if i not in left_out or i == noun.i]
            run = [noun.i]  # the contiguous run of kept words around the noun
            while run[0] - 1 in kept:
                run.insert(0, run[0] - 1)
            while run[-1] + 1 in kept:
                run.append(run[-1] + 1)
            span = trim(doc, run[0], run[-1] + 1)
            if span and span[1] - span[0] <= _MAX_TOKENS and not named & set(range(*span)):
                out.append(span)
    if not out:  # the parse missed it: the title just before the name ("Le président russe Vladimir Poutine",
        # "Vladimir" a verb), or "X (…) est un ingénieur autrichien"
        for r in sorted(roots):
            k = r
            while k > 0 and (doc[k - 1].pos_ in ("NOUN", "ADJ", "DET") or doc[k - 1].lower_ in TITLE_LINKS):
                k -= 1
            while k < r and doc[k].pos_ != "DET" and doc[k].lower_ not in _ARTICLES:
                k += 1
            last = max(x for x in named if x >= r)
            out += [span for span in (trim(doc, k, r) if k < r and doc[r - 1].pos_ in ("NOUN", "ADJ") else None,
                                      _predicate(doc, last + 1)) if span and span[1] - span[0] <= _MAX_TOKENS
                    and any(x.pos_ == "NOUN" for x in doc[span[0] : span[1]])]
    return list(dict.fromkeys(out))


def _predicate(doc, k: int) -> tuple[int, int] | None:
    """After a name, past a bracket, "est un ingénieur autrichien": the noun phrase that the verb "to be"
    opens, up to a comma or the end."""
    if k < len(doc) and doc[k].text == "(":  # to the verb right after a closing bracket (Wikipedia's dates
        # nest brackets and leave some open: "Anselm Franz (né le … à Bridgeport (Connecticut) est un …")
        k = next((m for m in range(k + 1, len(doc)) if doc[m - 1].text == ")" and doc[m].lower_ in TO_BE), len(doc))
    if k + 1 >= len(doc) or doc[k].lower_ not in TO_BE or doc[k + 1].pos_ != "DET":
        return None
    end = k + 1
    while end < len(doc) and doc[end].text not in (",", ";", ".", "(", ":") \
            and doc[end].pos_ not in ("VERB", "AUX", "SCONJ", "PRON"):
        end += 1
    return trim(doc, k + 1, end)


def trim(doc, i: int, j: int) -> tuple[int, int] | None:
    """Token range [i, j) without edge punctuation, conjunctions and elided clitics ("et le Premier
    ministre", "qu’Israël", "n’"), or None when nothing that can answer is left: a span of function
    words or a pronoun never names anything, and one that opens a bracket without closing it is cut
    mid-phrase."""
    def edge(t, leading: bool) -> bool:
        return (t.text in _EDGE_PUNCT or t.is_space or t.pos_ in _EDGE_POS or t.lower_ in _CLITICS
                or (not leading and t.pos_ in ("ADP", "DET") and not _digits(t)))

    while i < j and edge(doc[i], True):
        i += 1
    while j > i and edge(doc[j - 1], False):
        j -= 1
    if j <= i or not any(t.pos_ not in _FUNCTION_POS and sum(ch.isalnum() for ch in t.text) >= 2 or t.like_num
                         for t in doc[i:j]):
        return None
    text = doc[i:j].text
    if any(text.count(a) != text.count(b) for a, b in _PAIRS):
        return None
    return i, j


def splits_name(doc, i: int, j: int) -> bool:
    """Does the token range [i, j) cut a run of proper nouns ("Ali" of "Ali Akbar Ahmadian",
    "Maurice" of "Maurice Ravel")? A name is answered whole: on PIAF's tune half, leaving such
    parts out lifts the chosen span's F1 in the gold sentence by 0.6 points (two-fold by paragraph)
    and costs the best candidate 0.3. (As measured: at the left edge a proper noun glued to the one
    before it, with no space between, may still begin a candidate; a rule for hyphenated words,
    "Akbar Ahmadian" of "Ali-Akbar Ahmadian", cost 0.5 points and was left out.)"""
    cuts_left = i > 0 and doc[i - 1].pos_ == "PROPN" and doc[i].pos_ == "PROPN" and bool(doc[i - 1].whitespace_)
    cuts_right = j < len(doc) and doc[j - 1].pos_ == "PROPN" and doc[j].pos_ == "PROPN"
    return cuts_left or cuts_right


def asked_governor(question_doc, terms_of) -> frozenset[str]:
    """The analysed terms of the word a question's question word depends on, from spaCy's parse
    of the question: *né* in "Où est né X ?", *composé* in "Qui a composé le Boléro ?",
    *publié* in "Quel journal a publié…" ("quel" goes through its noun). The answering
    sentence's answer hangs on the same word. Empty when there is no question word, when it is
    the root, or when it hangs on an auxiliary. ("Qui est Roman Gofman ?" hangs on *Roman*: spaCy
    makes the copula's subject the root, and the answer's apposition hangs on the name.)"""
    wh = next((t for t in question_doc if t.lower_.replace("’", "'") in QUESTION_WORDS), None)
    if wh is None:
        return frozenset()
    phrase = wh.head if wh.dep_ == "det" or (wh.lower_.startswith("quel") and wh.head.pos_ == "NOUN") else wh
    governor = phrase.head
    if governor.i == phrase.i or governor.pos_ == "AUX":
        return frozenset()
    return frozenset(terms_of(governor.text))


def span_candidates(doc, read: tuple[int, int] | None = None) -> list[tuple[int, int, str]]:
    """(first token, end token, kind) of every candidate in a parsed sentence, deduplicated.
    ``read``: the characters of the reading model's own best span, a candidate too (a phrase spaCy
    cuts otherwise: "la médecine à Montpellier" where its chunks are "la médecine" and "à
    Montpellier"), of the kind of the spaCy candidate it equals, else a chunk's."""
    out: dict[tuple[int, int], str] = {}
    links = [m.span() for m in _LINK.finditer(doc.text)]

    def add(i: int, j: int, kind: str) -> None:
        trimmed = trim(doc, i, j)
        if not trimmed or trimmed[1] - trimmed[0] > _MAX_TOKENS:
            return
        i, j = trimmed
        if any(a < doc[j - 1].idx + len(doc[j - 1]) and doc[i].idx < b for a, b in links):
            return
        if not splits_name(doc, i, j):
            out.setdefault((i, j), kind)
        # without its leading preposition and determiner: "par les 20 observateurs" -> "20 observateurs"
        while i < j - 1 and (doc[i].pos_ in ("ADP", "DET") or doc[i].lower_ in _ARTICLES) and not _digits(doc[i]):
            i += 1
            if not splits_name(doc, i, j):
                out.setdefault((i, j), kind)

    for e in doc.ents:
        add(e.start, e.end, f"entity:{e.label_}")
    text = doc.text
    for v in find_values(text):
        span = doc.char_span(v.start, v.end, alignment_mode="expand")
        if span is not None:
            add(span.start, span.end, f"value:{v.kind}")
            # with its unit: "15 ans", "6,5 %", "14,2 milliards d'euros"
            k = span.end
            while k < len(doc) and k - span.end < 3 and (doc[k].pos_ in ("NOUN", "SYM") or doc[k].text in ("%", "d'", "de")):
                k += 1
            if k > span.end and doc[k - 1].pos_ in ("NOUN", "SYM"):
                add(span.start, k, f"value:{v.kind}")
    try:
        for chunk in doc.noun_chunks:
            add(chunk.start, chunk.end, "chunk")
            if chunk[0].pos_ == "DET":
                add(chunk.start + 1, chunk.end, "chunk")
    except (ValueError, NotImplementedError):  # no parser: no chunks
        pass
    for tok in doc:
        if tok.pos_ in ("NOUN", "PROPN"):
            sub = list(tok.subtree)
            add(sub[0].i, sub[-1].i + 1, "subtree")
            # the noun with its left part only ("le pasteur" without "de la paroisse de…")
            add(sub[0].i, tok.i + 1, "subtree")
        elif tok.pos_ == "ADJ" and tok.dep_ in ("amod", "ROOT", "xcomp", "acl"):
            add(tok.i, tok.i + 1, "modifier")
    i = 0
    while i < len(doc):
        if doc[i].pos_ == "PROPN":
            j = i
            while j + 1 < len(doc) and (doc[j + 1].pos_ == "PROPN" or (doc[j + 1].text in ("de", "d'", "du")
                                                                        and j + 2 < len(doc) and doc[j + 2].pos_ == "PROPN")):
                j += 1
            add(i, j + 1, "propn")
            i = j + 1
        else:
            i += 1
    if read is not None:
        start, end = read
        while start < end and text[start].isspace():  # a piece's offsets hold the space before its word
            start += 1
        span = doc.char_span(start, end, alignment_mode="expand")
        if span is not None:
            add(span.start, span.end, "chunk")
    return [(i, j, kind) for (i, j), kind in out.items()]


def span_features(doc, candidates: list[tuple[int, int, str]], q: QuestionAnalysis, terms_of,
                  asked: frozenset[str] = frozenset()) -> np.ndarray:
    """Feature rows (``SPAN_FEATURES`` order) for the candidates of one sentence. ``terms_of(word)``
    gives a word's analysed terms (the keyword analyser); ``asked``, the question's
    ``asked_governor``."""
    n_tok = max(1, len(doc))
    heads = [t.head.i for t in doc]  # the parse as indices: a Token made anew at each doc[k] costs more
    paths: dict[int, list[int]] = {}
    q_terms = frozenset(q.terms)
    qkeys = {name_key(w) for w in q.words}
    matched = [t.i for t in doc if not t.is_punct and any(term_in(x, q_terms) for x in terms_of(t.text))]
    name_tokens = {t.i for t in doc if t.pos_ == "PROPN" and any(similar_keys(name_key(t.text), k) for k in qkeys)}
    head_positions = [t.i for t in doc if q.head_term and any(term_in(q.head_term, {x}) for x in terms_of(t.text))]
    wanted = ENTITY_LABELS.get(q.answer_type, set())
    rows = np.zeros((len(candidates), len(SPAN_FEATURES)), dtype=np.float32)
    col = {name: k for k, name in enumerate(SPAN_FEATURES)}
    for r, (i, j, kind) in enumerate(candidates):
        span = doc[i:j]
        toks = [t for t in span if not t.is_punct]
        label = kind.split(":", 1)[1] if ":" in kind else ""
        row = rows[r]
        if kind.startswith("entity:"):
            row[col["type_match"]] = float(label in wanted or (q.answer_type == "other" and label in ("MISC", "ORG")))
            row[col["type_near"]] = float(label in _TYPE_NEAR.get(q.answer_type, ()))
            row[col["is_entity"]] = 1.0
        elif kind.startswith("value:"):
            row[col["type_match"]] = float(label == q.answer_type)
            row[col["type_near"]] = float(q.answer_type in ("date", "number"))
            row[col["is_value"]] = 1.0
        row[col["is_chunk"]] = float(kind == "chunk")
        row[col["is_subtree"]] = float(kind == "subtree")
        row[col["is_propn"]] = float(kind == "propn")
        row[col["is_modifier"]] = float(kind == "modifier")
        inside = [t.i for t in toks if t.i in matched]
        row[col["question_overlap"]] = len(inside) / max(1, len(toks))
        row[col["has_question_name"]] = float(any(t.i in name_tokens for t in toks))
        outside = [m for m in matched if m < i or m >= j]
        if outside:
            d = min(min(abs(m - i), abs(m - (j - 1))) for m in outside)
            row[col["distance"]] = math.log1p(d) / 3.0
            row[col["after_match"]] = float(min(outside) < i)
            row[col["before_match"]] = float(max(outside) >= j)
        else:
            row[col["distance"]] = 1.0
        row[col["length"]] = math.log1p(len(toks)) / 3.0
        root = span.root
        dep = root.dep_.split(":")[0]
        row[col["role_subject"]] = float(dep in ("nsubj", "csubj", "expl"))
        row[col["role_object"]] = float(dep in ("obj", "iobj", "xcomp", "ccomp"))
        row[col["role_oblique"]] = float(dep in ("obl",))
        row[col["role_nominal_modifier"]] = float(dep in ("nmod", "amod", "nummod"))
        row[col["role_apposition"]] = float(dep in ("appos", "flat", "conj"))
        row[col["role_root"]] = float(dep == "ROOT")
        row[col["attached_to_match"]] = float(root.head.i in matched and root.head.i not in range(i, j))
        row[col["near_head_noun"]] = float(any(0 < i - h <= 3 or 0 < h - (j - 1) <= 2 for h in head_positions))
        before = doc[i - 1].text if i > 0 else ""
        after = doc[j].text if j < len(doc) else ""
        row[col["in_brackets"]] = float(before in ("(", "«", "\"", "“") and after in (")", "»", "\"", "”"))
        row[col["has_digit"]] = float(any(ch.isdigit() for ch in span.text))
        row[col["has_verb"]] = float(any(t.pos_ in ("VERB", "AUX") for t in toks))
        row[col["relative_position"]] = i / n_tok
        row[col["unit_attached"]] = float(kind.startswith("value:") and not span[-1].like_num)
        row[col["starts_with_preposition"]] = float(span[0].pos_ == "ADP")
        row[col["starts_with_determiner"]] = float(span[0].pos_ == "DET")
        row[col["has_comma"]] = float(any(t.text == "," for t in span))
        row[col["one_token"]] = float(len(toks) == 1)
        row[col["two_or_three_tokens"]] = float(2 <= len(toks) <= 3)
        row[col["seven_tokens_or_more"]] = float(len(toks) >= 7)
        row[col["ends_with_noun"]] = float(span[-1].pos_ in ("NOUN", "PROPN", "NUM"))
        # how far, in the parse tree, the span stands from the question's words
        if outside:
            row[col["tree_distance"]] = math.log1p(min(_tree_distance(heads, paths, root.i, m) for m in outside)) / 2.0
            row[col["sibling_of_match"]] = float(any(heads[m] == heads[root.i] for m in outside if m != root.i))
        else:
            row[col["tree_distance"]] = 1.5
        # hangs on the word the question's question word hangs on ("est né *en Biélorussie*")
        if asked and root.head.i not in range(i, j):
            row[col["governed_as_asked"]] = float(bool(asked & set(terms_of(root.head.text))))
    return rows


def _tree_distance(heads: list[int], paths: dict[int, list[int]], a: int, b: int) -> int:
    """Edges between tokens ``a`` and ``b`` in the dependency tree (``heads``: each token's head;
    ``paths``: each token's way up to its root, filled as asked)."""
    path_a, path_b = _path(heads, paths, a), _path(heads, paths, b)
    depth_a = {t: k for k, t in enumerate(path_a)}
    for k, t in enumerate(path_b):
        if t in depth_a:
            return depth_a[t] + k
    return len(path_a) + 10  # different sentences of one text: far


def _path(heads: list[int], paths: dict[int, list[int]], i: int) -> list[int]:
    if i not in paths:
        path = [i]
        while heads[path[-1]] != path[-1] and len(path) <= len(heads):  # (a tree has no cycle; never loop)
            path.append(heads[path[-1]])
        paths[i] = path
    return paths[i]
