"""The texts Kiosque ships in prompts/ (installed as the `bot.prompts` package, see pyproject.toml): every
sentence it says to people, from one message catalogue file per language, and the prompts it sends to a
language model.

The catalogue is prompts/messages/<lang>.toml, one table per part of Kiosque (``[answer]``, ``[discord]``,
``[dates]``...); a message is named ``"section.key"``. `say` looks the key up in the asked language,
then in English, so a new language is one more file and a partial translation still says everything.
Files are read through `importlib.resources`, the same way from a checkout, an editable install and a
wheel, once per process.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from functools import lru_cache
from importlib.resources import files

#: the language every message exists in, said when another language lacks it
FALLBACK = "en"
#: where the catalogue files are (one ``<lang>.toml`` each)
CATALOGUE = files("bot.prompts").joinpath("messages")

_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")


def languages() -> list[str]:
    """The languages the catalogue has a file for."""
    return sorted(p.name.removesuffix(".toml") for p in CATALOGUE.iterdir() if p.name.endswith(".toml"))


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str | list[str]]:
    """One language's messages, ``{"section.key": text}``; empty when there is no file for ``lang``."""
    if not _LANGUAGE_CODE.fullmatch(lang or ""):
        return {}
    path = CATALOGUE.joinpath(f"{lang}.toml")
    if not path.is_file():
        return {}
    return dict(_flatten(tomllib.loads(path.read_text(encoding="utf-8"))))


def _flatten(table: dict, prefix: str = "") -> Iterator[tuple[str, str | list[str]]]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        else:
            yield prefix + key, value


def message(lang: str, key: str) -> str | list[str]:
    """The catalogue's entry ``key`` in ``lang``, else in English (a key English lacks is a bug: KeyError)."""
    found = catalogue(lang).get(key)
    return found if found is not None else catalogue(FALLBACK)[key]


def say(lang: str, key: str, **values) -> str:
    """The message ``key`` in ``lang`` (English when ``lang`` lacks it), its placeholders filled."""
    return message(lang, key).format(**values)


def words(lang: str, key: str) -> list[str]:
    """A list the catalogue holds (e.g. ``dates.months``), in ``lang`` or else in English."""
    return list(message(lang, key))


def in_every_language(key: str) -> list[str]:
    """The message ``key`` as each language says it (to recognise Kiosque's own words in a message)."""
    return list(dict.fromkeys(say(lang, key) for lang in languages()))


def prompt(name: str) -> str:
    """A prompt text file from prompts/ (prompts never live inside code)."""
    return files("bot.prompts").joinpath(name).read_text(encoding="utf-8")
