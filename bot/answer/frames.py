"""The frame of an answer in the question's language, read from prompts/answer_frames.toml."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"


@lru_cache(maxsize=4)
def frames(path: Path = PROMPTS_DIR / "answer_frames.toml") -> dict[str, dict[str, str]]:
    with open(path, "rb") as f:
        return tomllib.load(f)


def frame(lang: str, key: str, **values) -> str:
    table = frames()
    text = table.get(lang, table["en"]).get(key) or table["en"][key]
    return text.format(**values)


def prompt(name: str) -> str:
    """A prompt text file from prompts/ (prompts never live inside code)."""
    return (PROMPTS_DIR / name).read_text(encoding="utf-8")
