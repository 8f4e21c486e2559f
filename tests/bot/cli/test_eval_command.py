"""`kiosque eval` refuses unusable input before doing any work: exit code 2, a message naming every
problem, and no output directory."""

from __future__ import annotations

import json

import pytest

from tests.bot.cli.test_index_commands import kiosque
from tests.conftest import ROOT, kiosque_env


@pytest.fixture
def env(tmp_path, cache_dir):
    return kiosque_env(tmp_path / "store", cache_dir)


def test_a_malformed_question_file_lists_its_lines_and_writes_nothing(tmp_path, env):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "Qui ?"}\n{"id": "b", "question": \n'
                   '{"id": "a", "question": "Encore ?", "answerable": false, "relevant_articles": ["x"]}\n')
    out = tmp_path / "run"
    proc = kiosque("eval", str(bad), "--out", str(out), env=env, check=False)
    assert proc.returncode == 2, proc.stderr
    assert "3 problems, nothing was run" in proc.stderr
    assert "line 2: not valid JSON" in proc.stderr
    assert "line 3: an unanswerable question" in proc.stderr and "line 3: id 'a' is already used on line 1" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not out.exists() and not (tmp_path / "store").exists()  # not even the store was opened


@pytest.mark.parametrize("args, message", [
    (["--fail-under", "recall=0.5"], "unknown metric 'recall'"),
    (["--fail-under", "false_refusal_rate=0.5"], "use --fail-over"),
    (["--fail-under", "judge_correctness=0.5"], "needs --judge"),
    (["--baseline", "no-such-run"], "no such directory"),
])
def test_bad_options_are_refused_before_any_work(tmp_path, env, args, message):
    proc = kiosque("eval", str(ROOT / "evals" / "seeds.jsonl"), "--out", str(tmp_path / "run"), *args, env=env,
                   check=False)
    assert proc.returncode == 2 and message in proc.stderr, proc.stderr
    assert not (tmp_path / "run").exists()


def test_an_empty_store_is_refused(tmp_path, env):
    qs = tmp_path / "q.jsonl"
    qs.write_text(json.dumps({"id": "q", "question": "Qui ?"}) + "\n")
    proc = kiosque("eval", str(qs), "--out", str(tmp_path / "run"), env=env, check=False)
    assert proc.returncode == 2 and "is empty: run `kiosque ingest` first" in proc.stderr
    assert not (tmp_path / "run").exists()


def test_an_out_path_that_is_a_file_is_refused(tmp_path, env):
    taken = tmp_path / "taken"
    taken.write_text("not a run")
    proc = kiosque("eval", str(ROOT / "evals" / "seeds.jsonl"), "--out", str(taken), env=env, check=False)
    assert proc.returncode == 2 and "exists and is not a directory" in proc.stderr
    assert taken.read_text() == "not a run"
