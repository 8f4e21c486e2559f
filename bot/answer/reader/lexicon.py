"""The reader's word lists, in one place: question words and what kind of answer they ask for,
words that are capitalised without being names, number words, calendar words, and the language of
a question. French and English; a third language is one more entry per table.

Everything here is data that no library provides in this form (spaCy tags entities and lemmas; it
does not know that "Combien" asks for a number or that "pays" asks for a place)."""

from __future__ import annotations

import re

from index.keyword import fold


WORD = re.compile(r"[\w’'-]+", re.UNICODE)

#: the kinds of answer a question can ask for
ANSWER_TYPES = ("person", "organisation", "place", "date", "number", "reason", "manner", "other")
#: answer types whose answer is a short span (a name, a date, a figure): the factoid types
FACTOID_TYPES = frozenset({"person", "organisation", "place", "date", "number", "other"})

FRENCH_MARKERS = frozenset({
    "le", "la", "les", "des", "du", "de", "un", "une", "est", "sont", "qui", "que", "quoi", "quel", "quelle",
    "quels", "quelles", "quand", "combien", "où", "pourquoi", "comment", "et", "en", "avec", "pour", "dans",
    "au", "aux", "il", "elle", "ils", "elles", "a-t-il", "a-t-elle", "ont-ils", "selon", "sur", "d'autre",
    "ce", "cette", "été", "lors", "entre", "avez", "dit", "a", "à",
})
ENGLISH_MARKERS = frozenset({
    "the", "a", "an", "is", "are", "was", "were", "who", "whom", "whose", "what", "which", "when", "where",
    "why", "how", "many", "much", "did", "does", "do", "of", "in", "on", "with", "for", "to", "and", "he",
    "she", "they", "it", "his", "her", "their", "according", "about", "else", "has", "have", "by", "from",
})


def detect_language(text: str) -> str:
    """"fr" or "en" (the languages whose frames we have), by function words; French when unsure."""
    words = [w.lower().strip("’'") for w in WORD.findall(text)]
    fr = sum(1 for w in words if w in FRENCH_MARKERS or w.endswith(("-t-il", "-t-elle")))
    en = sum(1 for w in words if w in ENGLISH_MARKERS)
    if any(ch in text for ch in "éèêàâçùûôîœ«»"):
        fr += 1
    return "en" if en > fr else "fr"


#: (pattern on the folded start of a question, answer type); the first match wins. A "quel X"
#: question is typed by its noun X (HEAD_NOUN_TYPES) before these are tried.
WH_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^(depuis |jusqu'a )?quand\b|^a quel moment\b|^(when|since when|until when)\b", "date"),
    (r"^combien\b|^how (many|much|long|old|far)\b", "number"),
    (r"^(ou|d'ou|par ou|jusqu'ou)\b|^(where|from where)\b", "place"),
    (r"^(qui|a qui|avec qui|par qui|de qui|pour qui|contre qui|qui d'autre)\b|^(who|whom|whose|with whom|by whom|"
     r"who else)\b", "person"),
    (r"^(pourquoi|pour quelle raison|pour quelles raisons)\b|^(why|for what reason)\b", "reason"),
    (r"^comment (est|sont|etait|fut|a ete)?\s*(surnomm|appel|nomm|dit|design|baptis)", "other"),
    (r"^(comment|de quelle (maniere|facon))\b|^(how|in what way)\b", "manner"),
)

#: French question words as spaCy tokenises them ("qu'" apart): ``spans.asked_governor`` finds through
#: them the word a question hangs on ("Où est *né* X ?": the answer is what *né* governs)
QUESTION_WORDS = frozenset({
    "qui", "que", "qu'", "quoi", "quel", "quelle", "quels", "quelles", "où", "quand", "combien", "comment",
    "pourquoi", "lequel", "laquelle", "lesquels", "lesquelles",
})

#: "quel(le)(s) X", "what/which X", "combien de X", "le nom de X": the noun X says what is asked for
HEAD_NOUN = re.compile(
    r"\b(?:quel|quelle|quels|quelles|lequel|laquelle|lesquels|lesquelles|what|which|combien\s+d[e'’]|"
    r"how\s+many|how\s+much)\s+(?:(?:est|sont|etait|etaient|fut|furent|is|are|was|were)\s+)?"
    r"(?:(?:le|la|les|un|une|the|a|an)\s+|l['’])?"
    r"(?:(?:type|sorte|genre|kind|sort|nature|nom|noms|name|names)\s+(?:(?:de|du|des|of)\s+|d['’])"
    r"(?:(?:la|le|les|the)\s+|l['’])?)?"
    r"([\w-]+)",
    re.IGNORECASE,
)

#: what a head noun asks for (folded singular forms; plural "s"/"x" is stripped before lookup)
HEAD_NOUN_TYPES: dict[str, str] = {}
for _type, _words in {
    "person": "personne homme femme auteur autrice president presidente ministre roi reine prince princesse "
              "empereur pape ambassadeur ambassadrice general chef dirigeant leader responsable fondateur "
              "fondatrice createur inventeur ecrivain ecrivaine artiste acteur actrice joueur joueuse "
              "entraineur pere mere fils fille frere soeur epoux epouse successeur predecesseur directeur "
              "directrice secretaire porte-parole senateur depute architecte peintre compositeur musicien "
              "chanteur chanteuse philosophe scientifique savant medecin saint heros personnage commandant "
              "officier souverain monarque gouverneur maire premier person man woman author president minister "
              "king queen emperor pope ambassador general leader official founder creator inventor writer "
              "artist actor player coach father mother son daughter brother sister wife husband successor "
              "predecessor director secretary spokesman spokeswoman senator architect painter composer singer "
              "philosopher scientist doctor hero character commander officer ruler governor mayor "
              "envoye emissaire diplomate representant homologue negociateur conseiller candidat juge avocat "
              "journaliste commissaire chancelier envoy emissary diplomat representative counterpart negotiator "
              "adviser advisor candidate judge lawyer journalist commissioner chancellor speaker",
    "organisation": "organisation organisme entreprise societe compagnie firme groupe parti club equipe "
                    "association institution agence journal media quotidien chaine marque banque universite "
                    "ecole armee gouvernement syndicat federation ligue alliance mouvement ordre eglise "
                    "fondation company firm group party club team association institution agency newspaper "
                    "outlet network brand bank university school army government union federation league "
                    "alliance movement church foundation organization organisation",
    "place": "pays ville lieu endroit region province etat continent capitale territoire departement commune "
             "village ile fleuve riviere mer ocean montagne quartier site batiment stade palais rue port "
             "aeroport zone frontiere country city place region province state continent capital territory "
             "village island river sea ocean mountain district site building stadium palace street port "
             "airport area border location",
    "date": "annee date jour mois siecle epoque periode saison decennie an year date day month century era "
            "period season decade time",
    "number": "nombre quantite somme montant prix cout taux age population budget pourcentage proportion part "
              "superficie surface taille hauteur longueur distance duree salaire chiffre score total nombre "
              "number amount sum price cost rate age population budget percentage share proportion area size "
              "height length distance duration salary figure total",
}.items():
    for _w in _words.split():
        HEAD_NOUN_TYPES.setdefault(_w, _type)

#: a list question asks for several things: plural question words, or a verb that asks for a list (an
#: English plural head noun, "Which leaders…", is found by ``question.english_plural``)
PLURAL_QUESTION = re.compile(r"\b(quels|quelles|lesquels|lesquelles)\b|\b(list|liste|"
                             r"enumere|cite(z)?|name the)\b", re.IGNORECASE)

#: a question that asks how long something lasted or has lasted (folded text): its answer is a
#: figure with a unit of time ("vingt ans", "six semaines"), not any figure ("les deux pays")
DURATION_QUESTION = re.compile(
    r"\bcombien de temps\b|\bcombien d'(annees|ans|heures)\b|\bcombien de (mois|semaines|jours|nuits|minutes|"
    r"secondes|siecles|decennies|millenaires|saisons)\b|\bquelle (est |etait |fut |sera )?(la )?duree\b|"
    r"\bhow long\b|\bhow many (years|months|weeks|days|nights|hours|minutes|seconds|centuries|decades)\b")
#: units of time (folded), the last word of a figure that answers a ``DURATION_QUESTION``
TIME_UNITS = frozenset(
    "an ans annee annees mois semaine semaines jour jours journee journees nuit nuits heure heures minute minutes "
    "seconde secondes siecle siecles decennie decennies millenaire millenaires saison saisons year years month "
    "months week weeks day days night nights hour hours second seconds century centuries decade decades h min mn j "
    "hr hrs yr yrs sec".split())

#: English auxiliaries: "What *did* Netanyahu ask…" has no head noun
AUXILIARIES = frozenset({"did", "does", "do", "will", "would", "can", "could", "should", "shall", "may", "might",
                         "must", "has", "have", "had", "is", "are", "was", "were"})

#: words that, capitalised, are not names (question words, function words, imperative verbs). Also
#: question stopwords (below)
_NOT_NAMES = {
    "qui", "que", "quoi", "quel", "quelle", "quels", "quelles", "quand", "combien", "où", "ou", "pourquoi",
    "comment", "est", "selon", "le", "la", "les", "l", "un", "une", "des", "et", "en", "à", "a", "au", "aux",
    "who", "what", "when", "where", "why", "how", "which", "whom", "whose", "did", "does", "do", "is", "are",
    "was", "were", "the", "and", "in", "on", "according", "m", "mme", "dr", "et", "also", "aussi",
    "i", "je", "il", "elle", "ils", "elles", "he", "she", "they", "it", "de", "du", "d", "lors", "après",
    "avant", "depuis", "pour", "par", "sur", "dans", "with", "for", "from", "by", "of", "to", "tell", "dis",
    "donne", "give", "name", "list", "cite", "explique", "explain", "can", "could", "peux", "pouvez",
    "liste", "résume", "resume", "décris", "decris", "raconte", "montre", "trouve", "cherche", "summarize",
    "describe", "show", "find", "please", "svp", "stp", "y", "a-t-il", "est-ce", "quelqu'un",
}
#: words capitalised only because they open a question: no names, yet not question stopwords (their stems
#: are other words': "durant" stems to "dur", as *durée* does; "nommez" to "nomm", as *nommé*)
_OPENERS = {
    # prepositions ("Contre qui…", "Pendant combien de temps…", "During which…")
    "contre", "sous", "durant", "pendant", "grâce", "chez", "vers", "devant", "derrière", "auprès", "jusqu'à",
    "jusqu'où", "jusqu", "outre", "entre", "envers", "près", "hormis", "malgré", "parmi", "avec", "sans", "dès",
    "hors", "face", "about", "after", "against", "among", "before", "between", "during", "since", "under",
    "without", "into", "over", "through", "despite",
    # imperatives, and nouns that frame a question ("Date de naissance de…")
    "citez", "citer", "nommez", "nommer", "indiquez", "indiquer", "identifiez", "donnez", "expliquez", "décrivez",
    "listez", "énumérez", "précisez", "résumez", "dites", "date", "année", "nom", "noms",
}
#: looked up folded ("Après" → "apres"): both spellings kept
NOT_NAMES = frozenset(_NOT_NAMES | _OPENERS | {fold(w) for w in _NOT_NAMES | _OPENERS})

CALENDAR = frozenset({
    "janvier", "fevrier", "mars", "avril", "mai", "juin", "juillet", "aout", "septembre", "octobre", "novembre",
    "decembre", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november", "december",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
})
#: month names that are also names of people or places ("Mars", "May"): alone, not a date
CALENDAR_ALSO_NAMES = frozenset({"mars", "mai", "may", "march", "april", "june", "august"})

#: days of the week, numbered from Monday (news dates events by them: "s'est rendu lundi à Téhéran")
WEEKDAYS: dict[str, int] = {
    "lundi": 1, "mardi": 2, "mercredi": 3, "jeudi": 4, "vendredi": 5, "samedi": 6, "dimanche": 7,
    "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6, "sunday": 7,
}

#: number words and their values (folded); "un"/"une"/"one" are articles more often than counts
NUMBER_WORDS: dict[str, float] = {
    "un": 1, "une": 1, "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "six": 6, "sept": 7, "huit": 8, "neuf": 9,
    "dix": 10, "onze": 11, "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "vingt": 20,
    "trente": 30, "quarante": 40, "cinquante": 50, "soixante": 60, "septante": 70, "octante": 80, "nonante": 90,
    "cent": 100, "cents": 100, "mille": 1000, "million": 1e6, "millions": 1e6, "milliard": 1e9, "milliards": 1e9,
    "dizaine": 10, "dizaines": 10, "douzaine": 12, "vingtaine": 20, "trentaine": 30, "centaine": 100,
    "centaines": 100, "millier": 1000, "milliers": 1000, "moitie": 0.5, "tiers": 1 / 3, "quart": 0.25,
    "double": 2, "triple": 3,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "hundreds": 100, "thousand": 1000, "thousands": 1000, "billion": 1e9,
    "dozen": 12, "half": 0.5, "third": 1 / 3, "quarter": 0.25,
}
#: ordinals count as figures ("qui entre dans sa quatrième année" answers "depuis combien d'années");
#: not "premier"/"second"/"first" (le Premier ministre, a second), and "third" is a fraction above
ORDINAL_WORDS: dict[str, float] = {
    "deuxieme": 2, "troisieme": 3, "quatrieme": 4, "cinquieme": 5, "sixieme": 6, "septieme": 7, "huitieme": 8,
    "neuvieme": 9, "dixieme": 10, "onzieme": 11, "douzieme": 12, "quinzieme": 15, "vingtieme": 20,
    "trentieme": 30, "centieme": 100, "millieme": 1000,
    "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8, "ninth": 9, "tenth": 10, "twentieth": 20,
    "hundredth": 100,
}
ARTICLE_NUMBERS = frozenset({"un", "une", "one"})
#: multipliers: "1,5 milliard", "three million"
MULTIPLIERS = {"cent": 100, "cents": 100, "mille": 1000, "million": 1e6, "millions": 1e6, "milliard": 1e9,
               "milliards": 1e9, "hundred": 100, "thousand": 1000, "billion": 1e9, "billions": 1e9}

#: words starting a sentence with a capital letter without being a name
COMMON_STARTS = frozenset({
    "le", "la", "les", "l", "un", "une", "des", "ce", "cette", "ces", "il", "elle", "ils", "elles", "selon",
    "mais", "et", "alors", "cependant", "toutefois", "en", "au", "aux", "dans", "lors", "apres", "avant",
    "pour", "par", "sur", "de", "du", "d", "a", "on", "nous", "je", "malgre", "bien", "aucun", "cela",
    "ainsi", "the", "an", "in", "he", "she", "they", "it", "this", "that", "but", "and",
})

#: question terms that never carry content: auxiliaries, modals, words that only frame the answer
QUESTION_STOPWORDS = frozenset(_NOT_NAMES | {
    "else", "autre", "autres", "nombre", "fois", "annee", "date", "many", "much", "article", "articles",
    "dit", "disent", "say", "says", "said", "tell", "told", "nom", "noms", "name", "names", "appelle",
    "appelait", "appellent", "appele", "appelee", "called", "named",
    "être", "etre", "été", "ete", "avoir", "eu", "fait", "faire", "pouvoir", "pourrait", "pourraient", "peut",
    "peuvent", "devoir", "doit", "doivent", "devrait", "vouloir", "veut", "aller", "va", "vont", "would",
    "could", "should", "will", "can", "may", "might", "must", "did", "does", "done", "has", "have", "had",
    "type", "types", "genre", "sorte", "nature", "kind", "sort", "quelle", "which", "comme", "as",
    "s'appelle", "s'appelait", "s'appellent",
})

#: the lowercase words a name may hold ("Jean de La Fontaine", "Ludwig van Beethoven")
NAME_PARTICLES = frozenset({"de", "d'", "d’", "du", "des", "la", "le", "von", "van", "der", "den", "da", "di", "del",
                            "dos", "bin", "ben", "ibn", "al", "el"})

#: "to be", after a name: "X (…) est un ingénieur" says what X is
TO_BE = ("est", "était", "fut", "is", "was")
#: prepositions within a title before a name ("le président *du* Parlement iranien")
TITLE_LINKS = {"de", "du", "des", "d'", "d’"}

#: what a date answer keeps of the words before it: "vers 1100" is not "1100", nor "jusqu'en 1935"
#: "1935" (not the plain "en": PIAF's annotators answer "1915" and "en 1915" alike)
TIME_QUALIFIER = re.compile(
    r"(?:\b(?:à|a) partir (?:de |d['’]|du )|\bjusqu['’](?:en |à |au |aux )|\b(?:vers|depuis|dès|avant|après|"
    r"environ|since|until|around|before|after) |\b(?:au |à la |a la )?(?:début|fin|milieu) (?:de |d['’]|du |des ))$",
    re.IGNORECASE)

#: what a figure keeps of the words before it: "plus de 50 %" is not "50 %"
AMOUNT_QUALIFIER = re.compile(
    r"\b(?:plus de|plus d['’]|moins de|moins d['’]|près de|près d['’]|pas moins de|au moins|au plus|environ|"
    r"quelque|presque|jusqu['’]à|more than|less than|fewer than|at least|at most|up to|about|nearly|almost|"
    r"around|over|some) $", re.IGNORECASE)
