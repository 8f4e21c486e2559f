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
