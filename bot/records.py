"""What Kiosque writes to disk or prints as JSON and may read back: pydantic models that refuse unknown keys,
so a misspelt key is an error rather than a value silently dropped. Each record is defined once (answers and
citations in bot/answer/records.py, the evaluation's in bot/evaluation/records.py)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Record(BaseModel):
    """A record on disk: unknown keys are refused; `to_dict` is its one JSON form."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)
    #: whether `to_dict` keeps null values, so that every line or output has the same keys
    every_key: ClassVar[bool] = False

    def to_dict(self) -> dict:
        return self.model_dump(mode="json", exclude_none=not self.every_key, by_alias=True)
