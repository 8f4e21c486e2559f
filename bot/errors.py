"""Errors that carry the sentence a user should read; front ends print them without a traceback."""

from __future__ import annotations

from index.embedders.base import EmbedderUnavailable
from index.embedders.packed import UnsupportedModel
from index.store import IngestBusy, IngestFailed, StoreError


class KiosqueError(Exception):
    """Something the user can fix (bad option, missing token, malformed file...)."""


#: every exception type whose message is meant for people
USER_ERRORS: tuple[type[BaseException], ...] = (
    KiosqueError, StoreError, IngestBusy, IngestFailed, UnsupportedModel, EmbedderUnavailable,
)
