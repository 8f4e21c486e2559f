"""The store's lifecycle: what closing it releases."""

from __future__ import annotations

import numpy as np

from tests.conftest import make_store


def _chroma_systems_for(path) -> list[str]:
    from chromadb.api.shared_system_client import SharedSystemClient

    return [key for key in SharedSystemClient._identifier_to_system if str(path) in key]


def test_closing_a_store_releases_chromas_in_process_system(tmp_path):
    """Chroma keeps one system per directory per process; a store closed and reopened after another
    process wrote to it (a crashed ingest, the CLI) must read the files afresh. Keeping the old system
    lost a chunk added after a crash from the dense search in about one run in ten (CI, stop 21)."""
    store = make_store(tmp_path / "store")
    store.vectors.add(["a"], np.ones((1, 4), dtype=np.float32), ["texte"], [{"gen": 1}])
    assert _chroma_systems_for(store.config.chroma.path)
    store.close()
    assert not _chroma_systems_for(store.config.chroma.path)

    reopened = make_store(tmp_path / "store")
    assert [cid for cid, _ in reopened.vectors.query(np.ones(4, dtype=np.float32), 1)] == ["a"]
    reopened.close()
