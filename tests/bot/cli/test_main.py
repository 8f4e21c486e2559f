"""The `kiosque` command itself: what it says about itself."""

from __future__ import annotations

import re
from importlib.metadata import version

from typer.testing import CliRunner

from bot.cli.main import app


def test_version_is_the_installed_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"kiosque {version('kiosque')}"


def test_a_mistyped_mode_is_refused_with_the_choices():
    result = CliRunner().invoke(app, ["ask", "Qui ?", "--mode", "generatve"])
    assert result.exit_code == 2
    words = " ".join(re.sub(r"[│╭╮╰╯─]", " ", result.output).split())  # out of click's box, one line
    assert "Invalid value for '--mode': Value error, 'generatve' is not one of 'extractive', 'generative'." in words


def test_an_invalid_setting_in_the_environment_is_one_line_and_exit_code_2(tmp_path):
    result = CliRunner().invoke(app, ["status", "--store", str(tmp_path / "store")],
                                env={"KIOSQUE_RETRIEVAL_RRF_K": "-3"})
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "error: invalid setting retrieval.rrf_k = '-3' (KIOSQUE_RETRIEVAL_RRF_K): Input should be greater than or "
        "equal to 1"]
    assert not (tmp_path / "store").exists()  # nothing was opened


def test_a_store_written_by_a_newer_kiosque_is_refused_in_one_line(tmp_path):
    from index.catalog import SCHEMA_VERSION, Catalog

    catalog = Catalog(tmp_path / "store" / "catalog.sqlite")
    catalog.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    catalog.close()
    result = CliRunner().invoke(app, ["status", "--store", str(tmp_path / "store")])
    assert result.exit_code == 1
    [line] = result.output.strip().splitlines()
    assert line.startswith("error: the catalog at ") and "written by a newer Kiosque" in line
