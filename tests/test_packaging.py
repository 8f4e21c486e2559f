"""What the wheel must carry. The full check (build, install outside the checkout, ingest, ask) is
scripts/check-wheel, which CI runs after the tests; this catches a runtime file left out of the
package data in a second."""

from __future__ import annotations

import re
import tomllib
from importlib.resources import files

from tests.conftest import ROOT


def test_every_prompt_file_ships_as_package_data_of_bot_prompts():
    tool = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert "bot.prompts" in tool["packages"] and tool["package-dir"]["bot.prompts"] == "prompts"
    patterns = tool["package-data"]["bot.prompts"]
    prompts = ROOT / "prompts"
    texts = {p for p in prompts.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc")}
    shipped = {p for pattern in patterns for p in prompts.glob(pattern)}  # setuptools globs them so
    assert (ROOT / "prompts/messages/en.toml") in texts and not texts - shipped, (texts - shipped, patterns)


def test_prompts_are_read_through_the_package_not_the_checkout():
    from bot.messages import CATALOGUE, prompt, say

    shipped = files("bot.prompts")
    assert prompt("judge.md") == shipped.joinpath("judge.md").read_text(encoding="utf-8")
    assert str(CATALOGUE) == str(shipped.joinpath("messages"))
    assert say("fr", "answer.item", answer="Oui", n=2) == "**Oui** [2]"


def test_recorded_commands_use_paths_relative_to_the_checkout():
    """docs/benchmarks.md and evals/README.md record how figures were obtained: their commands must run
    from any checkout, not name one machine's directories."""
    for doc in ("docs/benchmarks.md", "evals/README.md"):
        for n, line in enumerate((ROOT / doc).read_text(encoding="utf-8").splitlines(), start=1):
            command = line.strip().strip("`")
            if command.startswith((".venv/bin/", "kiosque ", "scripts/")) or "`kiosque " in line:
                assert not re.search(r"(?:^|[\s=`])/(?:work|tmp|root|home|srv|mnt)\b", line), f"{doc}:{n}: {line}"


def test_no_tracked_file_is_over_20_mb():
    """A clone stays cheap and every file fits the hosts' limits: weights shipped in the repository
    (the reading model) are stored small enough, not pushed as they come out of training."""
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    sizes = {name.decode(): (ROOT / name.decode()).stat().st_size for name in tracked if name and (ROOT / name.decode()).is_file()}
    assert sizes and max(sizes.values()) > 0
    assert not {name: size for name, size in sizes.items() if size > 20_000_000}
