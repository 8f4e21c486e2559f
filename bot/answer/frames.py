"""The frame of an answer in the question's language, read from prompts/answer_frames.toml.

The checkout's prompts/ directory is installed as the `bot.prompts` package (pyproject.toml maps it),
so the texts are found the same way from a checkout, an editable install and a wheel.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib.resources import files


def _prompt_file(name: str):
    return files("bot.prompts").joinpath(name)


@lru_cache(maxsize=4)
def frames(name: str = "answer_frames.toml") -> dict[str, dict[str, str]]:
    return tomllib.loads(_prompt_file(name).read_text(encoding="utf-8"))


def frame(lang: str, key: str, **values) -> str:
    table = frames()
    text = table.get(lang, table["en"]).get(key) or table["en"][key]
    return text.format(**values)


def prompt(name: str) -> str:
    """A prompt text file from prompts/ (prompts never live inside code)."""
    return _prompt_file(name).read_text(encoding="utf-8")
