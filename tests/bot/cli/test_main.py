"""The `kiosque` command itself: what it says about itself."""

from __future__ import annotations

from importlib.metadata import version

from typer.testing import CliRunner

from bot.cli.main import app


def test_version_is_the_installed_package_version():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.strip() == f"kiosque {version('kiosque')}"
