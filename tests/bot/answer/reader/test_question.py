"""Question analysis: the language, what kind of answer is asked for, the names and terms."""

from __future__ import annotations

import pytest

from bot.answer.reader.lexicon import detect_language
from bot.answer.reader.question import analyse, analyzer_for, answer_type


@pytest.mark.parametrize("question, lang", [
    ("Qui est l'ambassadeur de Russie en Israël ?", "fr"),
    ("Who is the Russian ambassador to Israel?", "en"),
    ("Combien de réacteurs ?", "fr"),
    ("How many reactors?", "en"),
    ("et en 2024 ?", "fr"),
    ("who else?", "en"),
])
def test_language(question, lang):
    assert detect_language(question) == lang


@pytest.mark.parametrize("question, kind", [
    ("Qui Shoigu a-t-il rencontré ?", "person"), ("Avec qui Choïgou s'est-il entretenu ?", "person"),
    ("Who did Shoigu meet?", "person"), ("Quand l'appel a-t-il eu lieu ?", "date"),
    ("En quelle année la Russie a-t-elle envahi l'Ukraine ?", "date"), ("When did it happen?", "date"),
    ("Combien de réacteurs ?", "number"), ("How many reactors?", "number"),
    ("Quelle est la durée de l'accord ?", "number"), ("Où Shoigu s'est-il rendu ?", "place"),
    ("Where did he go?", "place"), ("Pourquoi la Russie hésite-t-elle ?", "reason"),
    ("Comment la Russie aide-t-elle l'Iran ?", "manner"), ("Quel document ont-ils signé ?", "other"),
    ("Et qui d'autre ?", "person"),
    # the noun says what is asked for, also after "le nom de", adjectives, or "comment s'appelle"
    ("Comment s'appelle l'ambassadeur russe en Israël ?", "person"), ("Quel pays a livré des drones ?", "place"),
    ("Quelle agence de presse a publié l'interview ?", "organisation"), ("Which Russian official went to Tehran?", "person"),
    ("What is the name of the Russian ambassador?", "person"), ("À quel âge est-il parti ?", "number"),
    ("Le traité fut signé quand ?", "date"), ("Comment est surnommée la banque ?", "other"),
    ("What is the name of the Russian envoy posted in Israel?", "person"),
    # the question word after what frames the question
    ("Selon Viktorov, qui a demandé une médiation ?", "person"), ("En 2024, qui dirigeait le Mossad ?", "person"),
    ("According to Netanyahu's office, when would Israel's war stop?", "date"),
    # a later "when" opens a clause, not a question about a date
    ("What did Putin offer Netanyahu when he phoned him on Monday?", "other"),
    ("In the end, how many drones were launched?", "number"), ("So the treaty lasts how many years?", "number"),
])
def test_answer_type(question, kind):
    assert answer_type(question)[0] == kind


@pytest.mark.parametrize("question, head", [
    ("What did Netanyahu ask Putin to pass on to Tehran?", None),  # an auxiliary, no noun
    ("What will be the power output of the new reactors?", None),
    ("What countries border Iran?", "country"), ("Quels journaux ont publié l'interview ?", "journal"),
])
def test_head_noun(question, head):
    assert answer_type(question)[1] == head


@pytest.mark.parametrize("question, is_list", [
    ("Quels responsables iraniens Shoigu a-t-il rencontrés ?", True), ("Which leaders did Shoigu meet?", True),
    ("Qui Shoigu a-t-il rencontré ?", False), ("What is the name of the ambassador?", False),
    ("What countries border Iran?", True), ("Which kinds of aid did Russia send?", True),
    # a name or a word in -s before a singular head noun is no plural
    ("Which Hamas leader was assassinated in Tehran?", False), ("Which news agency published it?", False),
    ("What does Israel keep buying from Russia?", False),
])
def test_list_questions(question, is_list):
    assert analyse(question).is_list is is_list


@pytest.mark.parametrize("question, asks", [
    ("Combien de temps a duré le stage ?", True), ("How long is the partnership agreement?", True),
    ("Quelle est la durée de l'accord ?", True), ("Depuis combien d'années est-il mort ?", True),
    ("For how many years was he in office?", True), ("Pendant combien de jours ?", True),
    ("Combien de victimes les frappes ont-elles faites ?", False), ("How many drones has Iran delivered?", False),
    ("Quand l'accord a-t-il été signé ?", False),
])
def test_a_how_long_question_asks_for_a_duration(question, asks):
    assert analyse(question).asks_duration is asks


def test_names_and_terms():
    q = analyse("Qui Shoigu a-t-il rencontré à Téhéran le 5 août 2024 ?")
    assert q.names == ("Shoigu", "Téhéran")
    assert "shoigu" in q.terms and "teheran" in q.terms and "qui" not in q.terms
    assert "shoigu" not in q.focus and q.focus  # the focus is what the question asks about, names aside
    # the first word is capitalised anyway: not a name unless it is an acronym
    assert analyse("L'ambassadeur de Russie est-il là ?").names == ("Russie",)
    assert analyse("PIB de la France ?").names == ("PIB", "France")
    # months are not names; "Russian" (an adjective) is not a name in English
    assert analyse("How many Israelis died on October 7?").names == ("Israelis",)
    assert analyse("Who is the Russian ambassador?").names == ()


@pytest.mark.parametrize("question, names", [
    # capitalised only because they open the question: a preposition (looked up folded: "Après"),
    # a verb with its subject after it, an imperative, a noun that frames the question
    ("Après quelle bataille Napoléon abdique-t-il ?", ("Napoléon",)),
    ("Contre qui le dey d'Alger est-il fâché ?", ("Alger",)),
    ("Pendant combien de temps Choïgou a-t-il été ministre ?", ("Choïgou",)),
    ("Jusqu’à quand Poutine restera-t-il ?", ("Poutine",)),
    ("Existe-t-il un traité entre la Russie et l'Iran ?", ("Russie", "Iran")),
    ("Peut-on voter à Mayotte ?", ("Mayotte",)),
    ("Citez un allié de l'Iran", ("Iran",)),
    ("Date de naissance d'Anselm Franz", ("Anselm Franz",)),
    ("During which war was Baker killed?", ("Baker",)),
    # a name that opens the question stays one
    ("Poutine a-t-il appelé Netanyahu ?", ("Poutine", "Netanyahu")),
    ("Marie Curie est-elle née à Varsovie ?", ("Marie Curie", "Varsovie")),
])
def test_the_word_that_opens_a_question_is_a_name_only_if_it_is_one(question, names):
    assert analyse(question).names == names


@pytest.mark.parametrize("question, word", [
    ("Quelle somme était due au fisc ?", "due"),
    ("Quel montant a-t-il dû payer ?", "dû"),
    ("De quoi était-il sûr ?", "sûr"),
    ("Quelle danse a été interdite ?", "danse"),
    ("Quel désir a-t-il exprimé ?", "désir"),
    # the stems of words that open questions ("Durant…", "Nommez…", "Entre…") are not question stopwords
    ("Quelle est la durée de l'accord ?", "durée"),
    ("Qui a été nommé ministre ?", "nommé"),
    ("Quelle entrée a été fermée ?", "entrée"),
])
def test_a_word_whose_stem_is_a_stopword_stays_a_term(question, word):
    """*dû*, *sûr*, *danse*, *désir* stem to "du", "sur", "dans", "des": spelled like stopwords, but
    content words that the passage must match."""
    stems = analyzer_for("french").terms(word)
    assert stems and all(stem in analyse(question).terms for stem in stems)


def test_the_head_noun_is_a_term_to_match():
    q = analyse("Quel président a été élu ?")
    assert q.head_noun == "president" and q.head_term == "president"


@pytest.mark.parametrize("question, name", [
    ("Qui est Roman Gofman ?", "Roman Gofman"), ("Who was Walter Rodney?", "Walter Rodney"),
    ("qui est Mehmed Pacha?", "Mehmed Pacha"), ("Qui est Jean de La Fontaine ?", "Jean de La Fontaine"),
    ("Qui est Roman Gofman et pourquoi sa nomination pourrait-elle rapprocher Israël de la Russie ?", "Roman Gofman"),
    ("Qui est le président de la Russie ?", None), ("Qui est l'ambassadeur russe en Israël ?", None),
    ("Qui est décédé ?", None), ("Qui est en charge du dossier ?", None), ("Qui est prince de Venosa ?", None),
    ("Qui est Netanyahu pour Poutine ?", None), ("Quel président est Vladimir Poutine ?", None),
    ("Who is the speaker of Iran's parliament?", None),
])
def test_who_is_a_name_asks_what_the_person_is(question, name):
    """"Qui est Roman Gofman ?" wants a role or an occupation (PIAF: "Qui est Walter Rodney ?" "historien
    guyanien"), not a person's name: answer type "other", and the name it asks about."""
    q = analyse(question)
    assert q.identity_of == name
    assert q.answer_type == ("other" if name else "person")
