"""Every sentence the bot itself says on Discord, in French and English (answers have their own frames).

Handlers never hold user-facing text inline: they call `say(lang, key, **values)`, so a wording change
is one place and both languages stay side by side.
"""

from __future__ import annotations

import re

from bot.answer.reader.lexicon import detect_language

TEXTS: dict[str, dict[str, str]] = {
    "fr": {
        "sources": "Sources",
        "related": "Passages proches (liés au sujet, mais pas une réponse)",
        "passages_title": "Passages cités, tels qu'ils figurent dans les articles :",
        "related_passages_title": "Passages proches (aucun ne répond à la question) :",
        "no_passages": "Cette réponse ne cite aucun passage.",
        "button_passages": "Voir les passages",
        "error": "Désolé, je n'ai pas pu répondre à cette question (erreur interne). Réessayez dans un moment.",
        "rate_limited": "Doucement : vous avez posé {count} question(s) en moins de {window}. "
                        "Vous pourrez en poser une autre dans {wait} s.",
        "role_refused": "Désolé, seuls les membres ayant l'un de ces rôles peuvent me poser des questions : {roles}.",
        "place_refused": "Désolé, je ne réponds pas aux questions ici.",
        "empty_question": "Posez-moi une question après la mention, par exemple : "
                          "« @Kiosque qui a rencontré Shoigu à Téhéran ? »",
        "admin_refused": "Désolé, reconstruire l'index est réservé aux administrateurs de Kiosque.",
        "reindex_started": "Reconstruction de l'index en cours… Les questions reçoivent toujours des réponses "
                           "(depuis l'index actuel) en attendant.",
        "reindex_running": "Une reconstruction de l'index est déjà en cours (lancée par {who} à {since}).",
        "reindex_done": "Index reconstruit en {seconds:.1f} s : {added} ajouté(s), {updated} mis à jour, "
                        "{removed} supprimé(s), {unchanged} inchangé(s) ; {embedded} passage(s) vectorisé(s), "
                        "{reused} réutilisé(s).",
        "reindex_skipped": "{n} fichier(s) ignoré(s) (détails dans le journal du bot).",
        "reindex_failed": "La reconstruction de l'index a échoué : {reason}",
        "reindex_crashed": "Désolé, la reconstruction de l'index a échoué (erreur interne, détails dans le journal "
                           "du bot). L'index précédent continue de répondre.",
        "status": "**Kiosque** — {articles} article(s), {chunks} passage(s) indexés.\nDernière mise à jour : {last}",
        "status_never": "jamais (lancez /reindex)",
        "status_last": "{when} ({added} ajouté(s), {updated} mis à jour, {removed} supprimé(s))",
        "status_running": "Reconstruction en cours depuis {since} ({progress}).",
        "status_feeds": "Dernière relève des flux : {when} ({new} nouveau(x), {updated} mis à jour, "
                        "{failed} échec(s))",
        "status_feeds_never": "Flux : {n} suivi(s), pas encore relevé(s)",
        "status_polling": "Relève des flux en cours depuis {since} ({progress}).",
        "feeds_refused": "Désolé, la liste des flux est réservée aux administrateurs de Kiosque.",
        "feeds_none": "Aucun flux suivi. Ajoutez-en avec `kiosque feeds add URL` (ou KIOSQUE_FEEDS_URLS).",
        "feeds_title": "**Flux suivis ({n})** — relève automatique : {every}",
        "feeds_every": "toutes les {minutes:g} min",
        "feeds_off": "désactivée (kiosque update, par cron par exemple)",
        "feeds_never": "pas encore relevé",
        "feeds_last": "relevé le {when} : {status}",
        "news_more": "… et {n} autre(s) nouvel(s) article(s).",
        "feedback_up": "Merci pour votre retour !",
        "feedback_down": "Merci : cette réponse est notée pour être revue et pourra servir à tester Kiosque.",
        "feedback_already": "C'est déjà noté, merci.",
        "forgotten": "Je n'ai plus cette réponse en mémoire (le bot a redémarré depuis) : reposez la question.",
        "no_recent_answer": "Je ne trouve pas de réponse récente ici. Utilisez le bouton « Voir les passages » "
                            "sous une réponse, ou donnez le lien du message.",
        "commands_synced": "{n} commande(s) synchronisée(s).",
    },
    "en": {
        "sources": "Sources",
        "related": "Related passages (on the topic, but not an answer)",
        "passages_title": "Cited passages, exactly as they appear in the articles:",
        "related_passages_title": "Related passages (none of them answers the question):",
        "no_passages": "This answer cites no passage.",
        "button_passages": "Show the passages",
        "error": "Sorry, I couldn't answer that question (internal error). Please try again in a moment.",
        "rate_limited": "Easy there: you asked {count} question(s) in less than {window}. "
                        "You can ask another one in {wait} s.",
        "role_refused": "Sorry, only members with one of these roles can ask me questions: {roles}.",
        "place_refused": "Sorry, I don't answer questions here.",
        "empty_question": "Ask me a question after the mention, for example: "
                          "\"@Kiosque who met Shoigu in Tehran?\"",
        "admin_refused": "Sorry, rebuilding the index is reserved to Kiosque's administrators.",
        "reindex_started": "Rebuilding the index… Questions are still answered (from the current index) meanwhile.",
        "reindex_running": "An index rebuild is already running (started by {who} at {since}).",
        "reindex_done": "Index rebuilt in {seconds:.1f} s: {added} added, {updated} updated, {removed} removed, "
                        "{unchanged} unchanged; {embedded} passage(s) embedded, {reused} reused.",
        "reindex_skipped": "{n} file(s) skipped (details in the bot's log).",
        "reindex_failed": "The index rebuild failed: {reason}",
        "reindex_crashed": "Sorry, the index rebuild failed (internal error, details in the bot's log). "
                           "The previous index keeps answering.",
        "status": "**Kiosque** — {articles} article(s), {chunks} passage(s) indexed.\nLast update: {last}",
        "status_never": "never (run /reindex)",
        "status_last": "{when} ({added} added, {updated} updated, {removed} removed)",
        "status_running": "Rebuild running since {since} ({progress}).",
        "status_feeds": "Last feed poll: {when} ({new} new, {updated} updated, {failed} failed)",
        "status_feeds_never": "Feeds: {n} followed, not polled yet",
        "status_polling": "Feed poll running since {since} ({progress}).",
        "feeds_refused": "Sorry, the list of feeds is reserved to Kiosque's administrators.",
        "feeds_none": "No feeds. Add some with `kiosque feeds add URL` (or KIOSQUE_FEEDS_URLS).",
        "feeds_title": "**Feeds ({n})** — automatic polling: {every}",
        "feeds_every": "every {minutes:g} min",
        "feeds_off": "off (kiosque update, from cron for instance)",
        "feeds_never": "not read yet",
        "feeds_last": "read {when}: {status}",
        "news_more": "… and {n} more new article(s).",
        "feedback_up": "Thanks for the feedback!",
        "feedback_down": "Thanks: this answer is noted for review and may become a test question for Kiosque.",
        "feedback_already": "Already noted, thanks.",
        "forgotten": "I no longer have this answer in memory (the bot restarted since): please ask again.",
        "no_recent_answer": "I can't find a recent answer here. Use the \"Show the passages\" button under an "
                            "answer, or give the message link.",
        "commands_synced": "{n} command(s) synced.",
    },
}


def say(lang: str, key: str, **values) -> str:
    table = TEXTS.get(lang) or TEXTS["en"]
    return table[key].format(**values)


def language_of(text: str, locale: str | None = None) -> str:
    """"fr" or "en" for the bot's own messages: the question's language as the answerer sees it (so the
    bot's words match the answer's), else the Discord locale, else French."""
    if re.search(r"\w", text or ""):
        return detect_language(text)
    if locale:
        return "fr" if str(locale).lower().startswith("fr") else "en"
    return "fr"


def duration(seconds: float, lang: str) -> str:
    seconds = round(seconds)
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    return f"{round(minutes / 60)} h"
