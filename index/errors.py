"""Errors of the corpus side that a person can act on: each message says what happened and what to do."""

from __future__ import annotations


class StoreError(Exception):
    """A problem with the store a person can fix; the message says how."""


class IngestBusy(StoreError):
    pass


class IngestFailed(StoreError):
    """The ingest could not write (disk full, read-only store...). Nothing was committed."""


class CatalogError(StoreError):
    """The catalog cannot be used as it is (written by a newer Kiosque, not a catalog at all, a failed
    migration); it was left unchanged."""
