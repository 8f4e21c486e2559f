"""Kiosque on Discord: a thin adapter over the answerer (`Kiosque.answerer`) and the ingest.

Layout: ``client`` (the bot and its startup), ``cogs/`` (one feature each: asking, admin, feedback),
and pure modules with no network: ``formatting`` (Answer → Discord messages), ``policy`` (who gets an
answer, rate limits, admins), ``history`` (conversation turns from replies and threads), ``memory``
(recent answers), ``feedback`` (👎 → evaluation candidates), ``texts`` (user-facing strings, fr/en).
Named ``discordbot``, not ``discord``, so that it never shadows the library.
"""
