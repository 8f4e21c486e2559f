"""Process-wide state of inference, in one place: what the application sets at start-up, and the models
it keeps loaded.

Building an embedder never changes the process: no environment variable, no torch thread count. An
application (Kiosque's is ``bot/wiring.py``) calls `configure_runtime` once at start-up; it logs each
change it makes, and leaves alone what the user already set. A library user who embeds Kiosque in
another program decides whether to call it.

- OpenMP waits: short spins, then sleep. Threads that spin-wait after each parallel region hold on to
  the core that other work (the attention workers, another process) needs: on the 2-core benchmark
  machine, shared with other processes, torch's default spin (~3 ms) cost a fifth of the encoder's
  throughput whenever another process was busy. Never spinning (``OMP_WAIT_POLICY=PASSIVE``) costs a
  sleep and a wake-up between every two operations instead: ~5 ms on each query embedded and 7-9 ms
  on each warm answer (docs/benchmarks.md). ``GOMP_SPINCOUNT=3000`` (~30 µs, GNU OpenMP, which Linux
  builds of torch use) bridges the gaps between operations and sleeps after; ``OMP_WAIT_POLICY=PASSIVE``
  stays for other OpenMP runtimes (GNU OpenMP lets the spin count take precedence). Both only take
  effect if set before torch (and with it the OpenMP runtime) is loaded.
- Hugging Face libraries offline and quiet: no model hub is reachable, so never try (fail at once
  instead of timing out), and no progress bars in logs.
- torch's thread count, when one is configured.

Loaded models are kept in a `ModelCache` (several embedders over the same weights — the bot, eval,
tests — share one copy of ~500 MB). `SHARED_MODELS` is the process's default one; pass another to
`make_embedder` to keep models apart, or call ``SHARED_MODELS.clear()`` to free them.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

log = logging.getLogger("kiosque.runtime")

T = TypeVar("T")
A = TypeVar("A")
B = TypeVar("B")

#: environment variables Hugging Face libraries read when they are imported
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    "TRANSFORMERS_VERBOSITY": "error",
    "TOKENIZERS_PARALLELISM": "false",
}


#: spins of an OpenMP thread before it sleeps (GNU OpenMP counts ~100 a microsecond): see the docstring
OPENMP_SPIN_COUNT = 3000


def configure_runtime(*, threads: int = 0, short_waits: bool = True, offline: bool = True) -> dict[str, str]:
    """Set up the process for inference (see the module docstring); returns what was changed.

    ``threads``: torch threads (0 = leave torch's default, one per core). Variables the user already set
    are kept. Safe to call again: a second call changes nothing and logs nothing."""
    wanted: dict[str, str] = dict(OFFLINE_ENVIRONMENT) if offline else {}
    if short_waits:
        if "torch" in sys.modules and "OMP_WAIT_POLICY" not in os.environ:
            log.debug("OpenMP waits not set: torch is already loaded, it would have no effect")
        else:
            wanted["OMP_WAIT_POLICY"] = "PASSIVE"
            wanted["GOMP_SPINCOUNT"] = str(OPENMP_SPIN_COUNT)
    changed = {name: value for name, value in wanted.items() if name not in os.environ}
    os.environ.update(changed)
    if threads:
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)
            changed["torch threads"] = str(threads)
    if changed:  # at debug level: every `kiosque` command starts here, and a user has nothing to do about it
        log.debug("inference runtime: %s", ", ".join(f"{k}={v}" for k, v in changed.items()))
    return changed


class ModelCache:
    """Loaded models by key, loaded once per process even when several threads ask at once."""

    def __init__(self) -> None:
        self._models: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T], what: str = "") -> T:
        with self._lock:
            if key not in self._models:
                started = time.perf_counter()
                self._models[key] = load()
                log.debug("loaded %s in %.1f s (kept for this process)", what or key, time.perf_counter() - started)
            return self._models[key]  # type: ignore[return-value]

    def clear(self) -> None:
        """Forget every loaded model (embedders already built keep theirs)."""
        with self._lock:
            self._models.clear()

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._models


#: the models this process keeps loaded, unless an embedder is given its own cache
SHARED_MODELS = ModelCache()


def side_by_side(first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """``(first(), second())`` computed at once, ``second`` on a worker thread, each on its share of
    torch's threads: for two independent forward passes of one answer (the reader's token states
    and its reading model's), or two halves of an encoder's batches. A question's passes are small (a
    few hundred tokens): one thread runs each about as fast as two do (each op is too short to split
    well), so on 2 cores the two take ~95 ms side by side where they took ~143 in turn
    (docs/benchmarks.md, "Stop 36"). In turn where torch has one thread, and on a worker itself.

    Each calling thread has its own worker, started by it: it inherits the caller's scheduling
    priority (a feed poll's low one stays low), and an answer's pass never queues behind a poll's."""
    import torch

    threads = torch.get_num_threads()
    if threads < 2 or getattr(_local, "is_worker", False):
        return first(), second()
    theirs = threads // 2
    torch.set_num_threads(threads - theirs)
    try:
        pending = _side_worker().submit(_on_threads, theirs, second)
        return first(), pending.result()
    finally:  # after the worker set its own count: threads started later start with the caller's
        torch.set_num_threads(threads)


_local = threading.local()


def _side_worker() -> ThreadPoolExecutor:
    """This thread's worker (it goes when the thread goes: the executor is then collected)."""
    worker = getattr(_local, "worker", None)
    if worker is None:
        worker = _local.worker = ThreadPoolExecutor(1, thread_name_prefix="kiosque-side")
    return worker


def _on_threads(threads: int, call: Callable[[], B]) -> B:
    import torch

    _local.is_worker = True
    if torch.get_num_threads() != threads:  # the worker keeps its count between calls
        torch.set_num_threads(threads)
    return call()
