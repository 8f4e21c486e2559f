"""Matching question words in sentences: derivations and transliterated names."""

from __future__ import annotations

from bot.answer.reader.matching import derived, name_in, term_in, word_keys
from index.keyword import Analyzer


def test_a_verb_matches_its_nominalisation():
    fr = Analyzer("french")
    (verb,) = fr.terms("assassiné")
    (noun,) = fr.terms("assassinat")
    assert derived(verb, noun) and term_in(verb, {noun})
    # a short common prefix is chance, not a family
    assert not term_in("part", {"partenariat"})


def test_names_match_across_transliterations_and_by_surname():
    keys = word_keys("Le ministre Sergueï Choïgou a rencontré M. Netanyahou à Téhéran.")
    assert name_in("Shoigu", keys) and name_in("Netanyahu", keys) and name_in("Tehran", keys)
    assert name_in("Sergei Shoigu", keys)
    assert not name_in("Lavrov", keys)


def test_grouped_lookups_answer_as_the_plain_scan():
    """``term_in`` and ``name_in`` look a frozenset up by prefix or initial (the texts recur across
    questions); a plain set is scanned. Both must say the same for every pair of words."""
    fr = Analyzer("french")
    text = ("L'assassinat d'Ismail Haniyeh à Téhéran a été condamné ; les assassins, les partenaires et le "
            "partenariat russo-iranien, Choïgou, Netanyahou, Pezeshkian, Gofman et Goffman à Moscou.")
    terms = fr.terms(text + " assassiné condamnation partir parties Moscovite")
    for term in terms:
        assert term_in(term, frozenset(terms)) == term_in(term, set(terms))
        assert term_in(term, frozenset(terms[:3])) == term_in(term, set(terms[:3]))
    keys = word_keys(text)
    assert isinstance(keys, frozenset)
    for name in ("Shoigu", "Netanyahu", "Goffman", "Gofman", "Haniye", "Tehran", "Moskva", "Lavrov", "Pezechkian"):
        assert name_in(name, keys) == name_in(name, set(keys)), name
