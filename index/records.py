"""Counts the journals keep as JSON (the catalog's ingests, the feed journal's polls), read back typed."""

from __future__ import annotations

from dataclasses import fields
from typing import Any


class JournalCounts:
    """A dataclass mixin: ``from_json`` reads a row whichever Kiosque wrote it. An older one may have
    counted less (the rest are 0), a newer one more (ignored)."""

    @classmethod
    def from_json(cls, data: dict[str, Any]):
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
