"""The catalog's schema version: checked before anything is written; older catalogs are migrated,
newer ones and files that are not catalogs are refused untouched."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from index.catalog import MIGRATIONS, SCHEMA_VERSION, Catalog, Migration
from index.errors import CatalogError


def files_of(path: Path) -> dict[str, bytes]:
    """The catalog file and its WAL companions, byte for byte."""
    return {p.name: p.read_bytes() for p in sorted(path.parent.glob(path.name + "*"))}


def set_version(path: Path, version: str) -> None:
    db = sqlite3.connect(path)
    with db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    db.close()


def test_a_new_catalog_takes_every_step_and_reopening_writes_nothing(tmp_path):
    path = tmp_path / "catalog.sqlite"
    catalog = Catalog(path)
    assert catalog.get_meta("schema_version") == str(SCHEMA_VERSION) == str(len(MIGRATIONS))
    assert catalog.generation == 0 and catalog.counts()["articles"] == 0
    catalog.close()
    before = files_of(path)
    Catalog(path).close()
    assert files_of(path) == before


def test_a_catalog_of_a_newer_kiosque_is_refused_untouched(tmp_path):
    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()
    set_version(path, str(SCHEMA_VERSION + 1))
    before = files_of(path)
    with pytest.raises(CatalogError) as caught:
        Catalog(path)
    assert str(caught.value) == (
        f"the catalog at {path} was written by a newer Kiosque (schema version {SCHEMA_VERSION + 1}; this one reads "
        f"up to {SCHEMA_VERSION}): upgrade Kiosque, or index into a new store with --store DIR. The store was not "
        "changed.")
    assert files_of(path) == before


@pytest.mark.parametrize("content", [b"not a database at all\n" * 200, None])
def test_what_is_not_a_catalog_is_refused_untouched(tmp_path, content):
    path = tmp_path / "catalog.sqlite"
    if content is None:  # a SQLite database of something else
        db = sqlite3.connect(path)
        db.execute("CREATE TABLE notes (x)")
        db.commit()
        db.close()
    else:
        path.write_bytes(content)
    before = files_of(path)
    with pytest.raises(CatalogError, match="is not a Kiosque catalog"):
        Catalog(path)
    assert files_of(path) == before


class NextCatalog(Catalog):
    """What the catalog of the next schema version looks like to this code: one more step."""

    migrations = (*MIGRATIONS, Migration("readers' notes", "CREATE TABLE notes (article_id TEXT, note TEXT);"
                                                           "INSERT INTO notes VALUES ('a', 'migrated')"))


def test_an_older_catalog_is_migrated_once_keeping_its_data(tmp_path):
    path = tmp_path / "catalog.sqlite"
    old = Catalog(path)
    old.set_meta("keyword_dir", "gen-3")
    old.close()
    new = NextCatalog(path)
    assert new.get_meta("schema_version") == str(SCHEMA_VERSION + 1) and new.get_meta("keyword_dir") == "gen-3"
    assert new.db.execute("SELECT note FROM notes").fetchall() == [("migrated",)]
    new.close()
    NextCatalog(path).close()  # already migrated: the step does not run twice
    with pytest.raises(CatalogError, match="newer Kiosque"):  # and this version now refuses it
        Catalog(path)


def test_a_failing_step_leaves_the_catalog_as_it_was(tmp_path):
    path = tmp_path / "catalog.sqlite"
    Catalog(path).close()

    def fail(db):
        raise ValueError("no room for notes")

    class Broken(Catalog):
        migrations = (*MIGRATIONS, Migration("readers' notes", "CREATE TABLE notes (x)", fail))

    with pytest.raises(CatalogError, match=rf"could not bring .* to schema version {SCHEMA_VERSION + 1} \(readers' "
                                           r"notes: ValueError: no room for notes\); it was left as it was"):
        Broken(path)
    catalog = Catalog(path)  # still the version it was, and usable
    assert catalog.get_meta("schema_version") == str(SCHEMA_VERSION)
    assert "notes" not in {r[0] for r in catalog.db.execute("SELECT name FROM sqlite_master")}
    catalog.close()
