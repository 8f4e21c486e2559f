"""Kiosque's prompt and answer-frame texts, installed as the `bot.prompts` package (see pyproject.toml)."""
