"""Process-wide inference state: two forward passes of one answer run side by side, each on its
share of torch's threads, and the caller gets its own thread count back."""

from __future__ import annotations

import threading

import pytest
import torch

from index.embedders.runtime import side_by_side


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def seen():
    return threading.current_thread().name, torch.get_num_threads()


def test_two_passes_run_at_once_each_on_one_of_two_threads(two_threads):
    both_running = threading.Barrier(2, timeout=10)  # neither returns until the other has started

    def first():
        both_running.wait()
        return seen()

    def second():
        both_running.wait()
        return seen()

    (mine, my_threads), (theirs, their_threads) = side_by_side(first, second)
    assert mine == threading.current_thread().name and theirs != mine
    assert my_threads == their_threads == 1
    assert torch.get_num_threads() == 2  # the caller's count is back


def test_with_one_thread_they_run_in_turn_on_the_callers_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        order = []
        assert side_by_side(lambda: order.append("first") or 1, lambda: order.append("second") or 2) == (1, 2)
        assert order == ["first", "second"]
    finally:
        torch.set_num_threads(before)


def test_an_error_in_the_first_pass_reaches_the_caller_with_its_threads_back(two_threads):
    def fails():
        raise ValueError("the first pass failed")

    with pytest.raises(ValueError, match="first pass"):
        side_by_side(fails, lambda: 2)
    assert torch.get_num_threads() == 2


def test_an_error_in_the_second_pass_reaches_the_caller(two_threads):
    def fails():
        raise ValueError("the second pass failed")

    with pytest.raises(ValueError, match="second pass"):
        side_by_side(lambda: 1, fails)
    assert torch.get_num_threads() == 2


def test_called_again_on_its_own_worker_it_runs_in_turn():
    """A pass on the side worker that asks for two more (an encoder's batches) cannot wait on the
    worker it runs on: they run in turn there instead of never. (With four threads the worker has
    two, enough to split again.)"""
    before = torch.get_num_threads()
    torch.set_num_threads(4)
    try:
        result = []
        t = threading.Thread(target=lambda: result.append(
            side_by_side(lambda: 1, lambda: side_by_side(lambda: 2, lambda: 3))), daemon=True)
        t.start()
        t.join(30)
        assert result == [(1, (2, 3))]
    finally:
        torch.set_num_threads(before)


def test_each_thread_has_its_own_worker_at_its_own_priority(two_threads):
    """A feed poll's thread runs at a lower priority so that answers get the CPU: the half of its work
    that goes to a worker must too, and an answer's pass must not queue behind it."""
    import os

    def worker_of_a_thread_at(niceness: int):
        seen = []

        def run():
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
            seen.append(side_by_side(lambda: None, lambda: (threading.current_thread(),  # not its ident: reused
                                                             os.getpriority(os.PRIO_PROCESS, threading.get_native_id())))[1])

        t = threading.Thread(target=run)
        t.start()
        t.join(30)
        return seen[0]

    base = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    lower = min(base + 5, 19)  # Linux's lowest priority is 19 (a suite run under `nice -n 19` stays there)
    (low_worker, low), (other_worker, other) = worker_of_a_thread_at(lower), worker_of_a_thread_at(base)
    assert (low, other) == (lower, base)
    assert low_worker is not other_worker
