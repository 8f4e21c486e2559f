"""Errors that carry the sentence a user should read; front ends print them without a traceback."""

from __future__ import annotations

from bot.settings import SettingsError
from index.embedders.base import EmbedderUnavailable
from index.embedders.packed import UnsupportedModel
from index.errors import IngestBusy, IngestFailed, StoreError


class KiosqueError(Exception):
    """Something the user can fix (bad option, missing token, malformed file...)."""


class BadInput(KiosqueError):
    """Input that cannot be used as given (an option, a date): the CLI exits with code 2, as for usage errors."""


#: input the user must correct before anything can run (CLI exit code 2)
BAD_INPUT_ERRORS: tuple[type[BaseException], ...] = (BadInput, SettingsError)
#: every exception type whose message is meant for people
USER_ERRORS: tuple[type[BaseException], ...] = (
    KiosqueError, StoreError, IngestBusy, IngestFailed, UnsupportedModel, EmbedderUnavailable,
    *BAD_INPUT_ERRORS,
)
