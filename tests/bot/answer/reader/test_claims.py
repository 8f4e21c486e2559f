"""The facts of a sentence that a passage lacks: names (spaCy's entities), dates and figures."""

from __future__ import annotations

from bot.answer.reader.claims import ClaimCheck

PASSAGE = ("Selon Anatoly Viktorov, ambassadeur de Russie en Israël, Poutine et Netanyahu se sont entretenus six fois "
           "au téléphone l'année dernière. Le 12 janvier 2026, Sergueï Choïgou a appelé Ali Akbar Ahmadian.")


def missing(nlp, sentence, embedder=None):
    return [f.text for f in ClaimCheck(nlp, embedder).missing(sentence, [PASSAGE])]


def test_a_name_the_passage_lacks(nlp):
    assert missing(nlp, "L'ambassadeur russe en Israël est Sergueï Lavrov.") == ["Sergueï Lavrov"]
    assert missing(nlp, "L'ambassadeur russe en Israël est Anatoly Viktorov.") == []
    assert missing(nlp, "Shoigu a appelé Ahmadian.") == []  # transliterations of the same names


def test_dates_and_figures_are_compared_as_values(nlp):
    assert missing(nlp, "Ils se sont parlé huit fois.") == ["huit"]
    assert missing(nlp, "Ils se sont parlé 6 fois.") == []
    assert missing(nlp, "Choïgou a appelé Ahmadian le 12 mars 2025.") == ["12 mars 2025"]
    assert missing(nlp, "Choïgou a appelé Ahmadian en janvier 2026.") == []


def test_a_name_written_in_another_language_is_the_same_name(nlp, embedder):
    english = "Russia's ambassador to Israel, Anatoly Viktorov, said Putin and Netanyahu spoke six times."
    assert missing(nlp, english, embedder) == []
    assert missing(nlp, "Russia's ambassador to Israel is Sergei Lavrov.", embedder) == ["Sergei Lavrov"]


def test_the_day_of_the_week_is_a_date_the_passage_must_give(nlp):
    passage = "Le président russe Vladimir Poutine a appelé lundi le Premier ministre israélien Benjamin Netanyahu."

    def unsupported(sentence):
        return [f.text for f in ClaimCheck(nlp, None).missing(sentence, [passage])]

    assert unsupported("Poutine a appelé Netanyahu mardi.") == ["mardi"]
    assert unsupported("Poutine a appelé Netanyahu lundi.") == []
    assert unsupported("Putin called Netanyahu on Monday.") == []
