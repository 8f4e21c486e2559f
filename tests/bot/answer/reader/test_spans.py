"""The answer span: spaCy's candidates, and the fitted choice among them, in real sentences."""

from __future__ import annotations

import pytest

from bot.answer.reader.question import analyse
from bot.answer.reader.spans import span_candidates

CASES = [
    ("Comment s'appelle l'ambassadeur russe en Israël ?",
     "Selon Anatoly Viktorov, les deux pays ont sollicité la médiation russe.", "Anatoly Viktorov"),
    ("Combien de fois Poutine et Netanyahu se sont-ils parlé ?",
     "Poutine et Netanyahu s'étaient entretenus six fois au téléphone l'année dernière.", "six"),
    ("Quand Choïgou a-t-il appelé Ahmadian ?",
     "Le 12 janvier 2026, le ministre Choïgou a eu un entretien téléphonique avec Ahmadian.", "12 janvier 2026"),
    ("Qui a été assassiné à Téhéran ?",
     "Le chef du Hamas, Ismail Haniyeh, a été tué à Téhéran la semaine dernière.", "Ismail Haniyeh"),
    ("Dans quelle ville Haniyeh a-t-il été tué ?", "Ismail Haniyeh a été tué à Téhéran.", "Téhéran"),
]


@pytest.mark.parametrize("question, sentence, expected", CASES)
def test_the_span_is_the_words_that_answer(seeds_reader, question, sentence, expected):
    span = seeds_reader.span(analyse(question), sentence)
    assert span is not None and expected in span.text, (span, expected)
    assert sentence[span.start : span.end] == span.text  # verbatim, by offsets


def test_candidates_cover_entities_values_and_phrases(nlp):
    doc = nlp.parse("En 2024, Ismail Haniyeh a rencontré le président iranien à Téhéran.")
    texts = {doc[i:j].text for i, j, _ in span_candidates(doc)}
    assert {"2024", "Ismail Haniyeh", "Téhéran"} <= texts
    assert any("président" in t for t in texts)


def test_the_reading_models_span_is_a_candidate_where_spacy_cuts_none_like_it(nlp):
    """spaCy's phrases of this sentence are "la médecine" and "à Montpellier", not the two together;
    the reading model's own span (characters, expanded to whole tokens, then trimmed and stripped of
    its determiner as every candidate is) joins them, as a chunk."""
    sentence = "Il a étudié la médecine à Montpellier puis la philosophie à Paris."
    doc = nlp.parse(sentence)
    before = {doc[i:j].text for i, j, _ in span_candidates(doc)}
    assert "la médecine à Montpellier" not in before  # (else this test shows nothing)
    start, end = sentence.index("la médecine"), sentence.index(" puis")
    spans = span_candidates(doc, read=(start + 1, end - 2))  # mid-word at both ends: whole tokens
    added = sorted((doc[i:j].text, kind) for i, j, kind in spans if doc[i:j].text not in before)
    assert added == [("la médecine à Montpellier", "chunk"), ("médecine à Montpellier", "chunk")]
    known = sentence.index("Paris")
    assert span_candidates(doc, read=(known, known + 5)) == span_candidates(doc)  # spaCy's already: no copy


def test_a_figure_with_a_thousands_separator_stays_whole(nlp):
    """spaCy's small French model tags "22", "000" and "100" DET: trimming edge determiners used to
    cut "10 000" to "10" and drop "22 000" and "100 000" altogether."""
    doc = nlp.parse("On compte 10 000 Juifs, ainsi que les 22 000 membres de l'Église, et 100 000 salariés.")
    texts = {doc[i:j].text for i, j, _ in span_candidates(doc)}
    assert {"10 000", "22 000", "100 000", "100 000 salariés"} <= texts, texts
    assert "10" not in texts


def test_how_many_is_answered_by_a_figure_or_by_nothing_in_bold(seeds_reader):
    """The span scorer may prefer a phrase; a "how many" question gets the sentence's best figure in
    bold, and no span at all when the sentence has none."""
    q = analyse("Combien de membres compte l'Église en Italie ?")
    span = seeds_reader.span(q, "En Italie, l'Église, qui s'est beaucoup développée, compte aujourd'hui 22 000 membres.")
    assert span is not None and span.kind == "value:number" and "22 000" in span.text, span
    sentence = "Des manifestations persistent en Iran en raison de la chute du rial."
    assert seeds_reader.span(analyse("Combien de manifestants ont été arrêtés en Iran ?"), sentence) is None


def test_why_and_how_questions_get_no_span(seeds_reader):
    assert seeds_reader.span(analyse("Pourquoi la Russie aide-t-elle l'Iran ?"), "La Russie aide l'Iran car il le faut.") is None


def test_no_candidate_is_a_function_word_a_pronoun_or_a_cut_phrase(nlp):
    # spaCy's small model tags "qu’" LOC and "n’" PER in this sentence of a seed article, and the
    # reader once answered a list question with "**n’** [1] et **qu’Israël** [1]"
    doc = nlp.parse("« Le Premier ministre a précisé qu’Israël a été attaqué par des meurtriers et qu’il n’a pas "
                    "le choix (selon le communiqué. » Elle l’a dit, et le Premier ministre a parlé.")
    texts = {doc[i:j].text for i, j, _ in span_candidates(doc)}
    assert not {"qu’", "n’", "qu’Israël", "il", "Elle", "l’"} & texts
    assert "Israël" in texts
    assert not any(t.startswith(("et ", "qu’", "n’")) or t.endswith((" et", " de")) for t in texts), texts
    assert not any(t.count("(") != t.count(")") for t in texts), texts


def test_a_name_is_never_cut(nlp):
    """"**Ali** [1]" once answered "Quelles fonctions… Shoigu ?" from "…avec Ali Akbar Ahmadian": a
    part of a run of proper nouns is no candidate; the whole name is."""
    doc = nlp.parse("L’entrevue téléphonique entre Sergueï Choïgou et Ali Akbar Ahmadian a été confirmée.")
    texts = {doc[i:j].text for i, j, _ in span_candidates(doc)}
    assert "Ali Akbar Ahmadian" in texts and "Sergueï Choïgou" in texts, texts
    # (spaCy's entity recogniser offers "Ali" alone, tagged MISC)
    assert not {"Ali", "Ahmadian", "Akbar Ahmadian", "Ali Akbar"} & texts, texts


@pytest.mark.parametrize("question, governor", [
    ("Où est né le futur directeur du Mossad Roman Gofman ?", "né"),
    ("Qui a composé le Boléro ?", "composé"),
    ("Quel journal a publié l'entretien ?", "publié"),
])
def test_the_question_word_hangs_on_the_asked_relation(nlp, question, governor):
    from bot.answer.reader.spans import asked_governor
    from index.keyword import Analyzer

    analyzer = Analyzer("french")
    asked = asked_governor(nlp.parse(question), analyzer.terms)
    assert asked == frozenset(analyzer.terms(governor)), asked


def test_a_question_without_a_question_word_has_no_asked_relation(nlp):
    from bot.answer.reader.spans import asked_governor
    from index.keyword import Analyzer

    assert asked_governor(nlp.parse("Année de décès du prophète Othman ?"), Analyzer("french").terms) == frozenset()


def test_the_span_the_question_word_hangs_on_is_marked(nlp):
    from bot.answer.reader.spans import SPAN_FEATURES, asked_governor, span_features
    from index.keyword import Analyzer

    analyzer = Analyzer("french")
    question = "Où est né le futur directeur du Mossad Roman Gofman ?"
    doc = nlp.parse("Goffman, blessé le 7 octobre, est né en Biélorussie.")
    spans = span_candidates(doc)
    rows = span_features(doc, spans, analyse(question), analyzer.terms, asked_governor(nlp.parse(question), analyzer.terms))
    marked = {doc[i:j].text for (i, j, _), row in zip(spans, rows) if row[SPAN_FEATURES.index("governed_as_asked")]}
    assert "Biélorussie" in marked and "7 octobre" not in marked, marked


def test_a_link_is_never_an_answer(nlp):
    """A tweet quoted in a seed article ends "…in Tehran. pic.twitter.com/5QU9X1HX6G": it was once the
    bold answer to "Which president did Sergei Shoigu meet in Tehran?" (spaCy cuts the link in two)."""
    doc = nlp.parse("Sergei Shoigu met Ali-Akbar Ahmadian in Tehran. pic.twitter.com/5QU9X1HX6G (voir https://t.co/abc "
                    "et www.example.org)")
    texts = {doc[i:j].text for i, j, _ in span_candidates(doc)}
    assert "Tehran" in texts
    assert not [t for t in texts if any(w in t for w in ("twitter", "5QU9X1HX6G", "t.co", "example", "G"))], texts


@pytest.mark.parametrize("who, sentence, expected", [
    ("Mohammad Bagher Ghalibaf", "Le président du Parlement iranien, Mohammad Bagher Ghalibaf, a averti que les bases "
     "américaines seraient des cibles légitimes.", "Le président du Parlement iranien"),
    ("Ghalibaf", "Le président du Parlement iranien, Mohammad Bagher Ghalibaf, a averti Washington.",
     "Le président du Parlement iranien"),  # the name's other words are not a description
    ("Vassily Nebenzia", "L’ambassadeur russe à l’ONU, Vassily Nebenzia, a critiqué la rhétorique de Washington.",
     "L’ambassadeur russe à l’ONU"),
    ("Vladimir Poutine", "Le président russe Vladimir Poutine a appelé lundi le Premier ministre israélien.",
     "Le président russe"),
    ("Walter Rodney", "Walter Rodney est un historien guyanien.", "un historien guyanien"),
])
def test_a_description_says_what_the_person_is_without_the_name(nlp, who, sentence, expected):
    from bot.answer.reader.spans import descriptions

    doc = nlp.parse(sentence)
    found = [doc[i:j].text for i, j in descriptions(doc, who)]
    assert expected in found, found
    assert not any(part in text for text in found for part in who.split())


@pytest.mark.parametrize("sentence", [
    "Goffman, qui a été gravement blessé lors de l'attaque du Hamas le 7 octobre, est né en Biélorussie.",
    "M. Pezeshkian a déclaré que l'assassinat par Israël d'Ismail Haniyeh constituait une violation flagrante.",
    "L’entrevue téléphonique entre Sergueï Choïgou et Ali Akbar Ahmadian a été confirmée.",
])
def test_a_sentence_that_only_mentions_the_person_describes_nothing(nlp, sentence):
    from bot.answer.reader.spans import descriptions

    doc = nlp.parse(sentence)
    who = {"Goffman": "Roman Gofman", "Haniyeh": "Ismail Haniyeh", "Choïgou": "Sergueï Choïgou"}
    name = next(v for k, v in who.items() if k in sentence)
    assert descriptions(doc, name) == []


def test_who_is_a_name_is_answered_by_what_the_sentence_says_the_person_is(seeds_reader):
    """Not by another person ("Qui est Ali Akbar Ahmadian ?" was answered "Sergueï Choïgou"), nor by the
    name itself: the description in bold, or nothing in bold where the sentence gives none."""
    q = analyse("Qui est Mohammad Bagher Ghalibaf ?")
    sentence = "Le président du Parlement iranien, Mohammad Bagher Ghalibaf, a averti Washington."
    span = seeds_reader.span(q, sentence)
    assert span is not None and span.text == "Le président du Parlement iranien"
    assert sentence[span.start : span.end] == span.text
    mention = "L’entrevue téléphonique entre Sergueï Choïgou et Ali Akbar Ahmadian a été confirmée."
    assert seeds_reader.span(analyse("Qui est Ali Akbar Ahmadian ?"), mention) is None


@pytest.mark.parametrize("sentence, date, answer", [
    ("Le mot apparaît vers 1100 en France.", "1100", "vers 1100"),  # about, not exactly
    ("Il est de nouveau publié à partir de 2017.", "2017", "à partir de 2017"),
    ("Elle y vit jusqu'en 1935.", "1935", "jusqu'en 1935"),
    ("La dernière édition a lieu en 1915.", "1915", "1915"),  # "en" qualifies nothing
    ("Le 12 janvier 2026, le ministre a appelé.", "12 janvier 2026", "12 janvier 2026"),
])
def test_a_date_answer_keeps_the_words_that_qualify_it(sentence, date, answer):
    from bot.answer.reader.spans import with_time_prefix

    start = sentence.index(date)
    assert sentence[with_time_prefix(sentence, start) : start + len(date)] == answer


def test_a_qualifier_the_question_asks_with_is_not_repeated():
    from bot.answer.reader.spans import with_time_prefix

    sentence = "Les régions sont créées à partir de 1956."
    start = sentence.index("1956")
    assert with_time_prefix(sentence, start, "À partir de quand les régions sont-elles créées ?") == start
    assert with_time_prefix(sentence, start, "Quand les régions sont-elles créées ?") < start


def test_when_is_answered_with_the_qualified_date(seeds_reader):
    span = seeds_reader.span(analyse("Quand le mot est-il apparu en France ?"), "Le mot apparaît vers 1100 en France.")
    assert span is not None and span.text == "vers 1100", span


@pytest.mark.parametrize("sentence, figure, answer", [
    ("Les ménages représentent plus de 50 % de ces montants.", "50 %", "plus de 50 %"),
    ("Il compte près d'un millier d'habitants et environ 300 fermes.", "300", "environ 300"),
    ("Le bataillon comptait 2 000 hommes.", "2 000", "2 000"),
])
def test_a_figure_keeps_the_words_that_bound_it(sentence, figure, answer):
    from bot.answer.reader.spans import with_amount_prefix

    start = sentence.index(figure)
    assert sentence[with_amount_prefix(sentence, start) : start + len(figure)] == answer
