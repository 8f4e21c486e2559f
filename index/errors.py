"""Errors of the corpus side that a person can act on: each message says what happened and what to do."""

from __future__ import annotations

import errno
import os
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from index.vectors import ChromaLocation


class StoreError(Exception):
    """A problem with the store a person can fix; the message says how."""


class IngestBusy(StoreError):
    pass


class IngestFailed(StoreError):
    """The ingest could not write (disk full, read-only store...). Nothing was committed."""


class CatalogError(StoreError):
    """The catalog cannot be used as it is (written by a newer Kiosque, not a catalog at all, a failed
    migration); it was left unchanged."""


class VectorWriteError(Exception):
    """Chroma could not add or delete vectors; its own error (``__cause__``) carries no type that
    says why, so `storage_problem` looks at the store's directory instead."""


_NO_SPACE = {errno.ENOSPC, errno.EFBIG, errno.EDQUOT}
_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}
#: what the ingest may fail with when the disk is the problem; anything else is a bug and propagates
STORAGE_ERRORS: tuple[type[BaseException], ...] = (OSError, sqlite3.Error, VectorWriteError)


def storage_problem(exc: BaseException, where: Path) -> str:
    """A sentence for a failure to write the store, decided by the exception's type and codes (errno,
    SQLite's error name), or by the directory itself when those say nothing — never by its message."""
    kind = _storage_kind(exc) or _directory_kind(Path(where))
    if kind == "read-only":
        return (f"the store at {where} is read-only ({exc}): Kiosque needs write access to it "
                "(catalog, Chroma files, keyword index)")
    if kind == "no space":
        return f"no space left to write the store at {where} ({exc})"
    return f"cannot write the store at {where} ({type(exc).__name__}: {exc})"


def _storage_kind(exc: BaseException) -> str | None:
    if isinstance(exc, OSError):
        return "no space" if exc.errno in _NO_SPACE else "read-only" if exc.errno in _READ_ONLY else None
    name = getattr(exc, "sqlite_errorname", None) or ""
    if isinstance(exc, sqlite3.Error) and name.startswith(("SQLITE_READONLY", "SQLITE_PERM")):
        return "read-only"
    if isinstance(exc, sqlite3.Error) and name == "SQLITE_FULL":
        return "no space"
    return None


def _directory_kind(where: Path) -> str | None:
    """Whether the store's directory (or its main files) cannot be written, or its disk is full."""
    paths = [where, where / "catalog.sqlite", where / "chroma", where / "chroma" / "chroma.sqlite3"]
    if any(p.exists() and not os.access(p, os.W_OK) for p in paths):
        return "read-only"
    try:
        if os.statvfs(where).f_bavail == 0:
            return "no space"
    except OSError:
        pass
    return None


def _causes(exc: BaseException | None):
    """The exception and those it was raised from or during (chromadb re-raises httpx's as ValueError)."""
    while exc is not None:
        yield exc
        exc = exc.__cause__ or exc.__context__


def chroma_server_problem(location: ChromaLocation, exc: BaseException) -> str:
    """A sentence for a failure to open the collection on a Chroma server, from the exception types."""
    import ssl

    import httpx
    from chromadb.errors import AuthorizationError, ChromaAuthError, NotFoundError

    where = f"Chroma {location.describe()}"
    for cause in _causes(exc):
        status = cause.response.status_code if isinstance(cause, httpx.HTTPStatusError) else None
        if isinstance(cause, (ChromaAuthError, AuthorizationError)) or status in (401, 403):
            return (f"the {where} refused the request (HTTP {status or 'auth error'}): check "
                    "KIOSQUE_STORE_CHROMA_AUTH_TOKEN and KIOSQUE_STORE_CHROMA_AUTH_HEADER")
        if isinstance(cause, NotFoundError):
            return (f"the {where}: {cause}. Create it on the server, or set KIOSQUE_STORE_CHROMA_TENANT / "
                    "KIOSQUE_STORE_CHROMA_DATABASE")
        if isinstance(cause, ssl.SSLError):
            return (f"no TLS connection to the {where} ({cause}): check KIOSQUE_STORE_CHROMA_SSL and "
                    "KIOSQUE_STORE_CHROMA_CA_FILE")
        if isinstance(cause, httpx.RemoteProtocolError) and not location.ssl:
            return (f"the {where} closed the connection without answering: if it (or its proxy) speaks https, "
                    "set KIOSQUE_STORE_CHROMA_SSL=true")
    return f"cannot reach the {where} ({exc}); start it with `chroma run --path DIR --host HOST --port PORT`"
