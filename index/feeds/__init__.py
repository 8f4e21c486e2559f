"""Keeping the corpus current from RSS/Atom feeds and article URLs: polite fetching, feed parsing,
page extraction, the subscription journal, and the update that ties them to an incremental ingest.

Like the rest of `index/`, nothing here reads settings or the environment: the caller passes a
`FetchPolicy` and the subscriptions.
"""

#: what Kiosque calls itself on the web (configurable: KIOSQUE_FEEDS_USER_AGENT); robots.txt rules for
#: "Kiosque" apply to it
DEFAULT_USER_AGENT = "Kiosque/0.1 (news question-answering bot; feed reader)"
