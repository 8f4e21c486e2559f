"""Choosing the device, the precision and the batch size (known without loading a model), and the one
place where the process is set up for inference."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import torch

from index.embedders import make_embedder
from index.embedders.hardware import (
    DeviceUnavailable, Gpu, choose_batch_size, choose_precision, cpu_bf16_support, resolve_device,
)
from index.embedders.runtime import ModelCache
from tests.conftest import MODELS_DIR, ROOT

H200 = Gpu(0, "NVIDIA H200", 141 * 2**30, bf16=True)
T4 = Gpu(1, "Tesla T4", 15 * 2**30, bf16=False)
SMALL = Gpu(0, "small", 6 * 2**30, bf16=True)


def test_cpu_precision_follows_native_bf16():
    assert choose_precision("auto", flags=frozenset({"avx512_bf16"})) == "bf16"
    assert choose_precision("auto", flags=frozenset({"amx_bf16"})) == "bf16"
    assert choose_precision("auto", flags=frozenset({"avx2"})) == "fp32"
    assert choose_precision("fp32", flags=frozenset({"amx_bf16"})) == "fp32"
    assert cpu_bf16_support(frozenset({"avx2"})) is None


def test_gpu_precision_is_bf16_from_ampere_on_else_fp16():
    assert choose_precision("auto", "cuda:0", gpu=H200) == "bf16"
    assert choose_precision("auto", "cuda:1", gpu=T4) == "fp16"
    assert choose_precision("fp32", "cuda:0", gpu=H200) == "fp32"
    assert choose_precision("fp16", "cuda:0", gpu=H200) == "fp16"


def test_fp16_on_the_cpu_is_refused_with_what_to_use():
    with pytest.raises(DeviceUnavailable, match="fp16 is for GPUs"):
        choose_precision("fp16", "cpu")


def test_batch_size_is_chosen_for_the_device():
    assert choose_batch_size(0, "cpu") == 32
    assert choose_batch_size(0, backend="openai") == 32
    assert choose_batch_size(0, "cuda:0", gpu=H200) == 256  # capped
    assert choose_batch_size(0, "cuda:1", gpu=T4) == 96  # 32 per 4 GiB
    assert choose_batch_size(0, "cuda:0", gpu=SMALL) == 32  # at least
    assert choose_batch_size(48, "cuda:0", gpu=H200) == 48  # a configured size wins


def test_devices_resolve_against_the_gpus_present():
    assert resolve_device("cpu") == ("cpu", None)
    assert resolve_device("cuda", [H200]) == ("cuda:0", H200)
    assert resolve_device("cuda:1", [H200, T4]) == ("cuda:1", T4)
    with pytest.raises(DeviceUnavailable, match=r"has 1 CUDA device\(s\): cuda:0 to cuda:0"):
        resolve_device("cuda:1", [H200])
    with pytest.raises(DeviceUnavailable, match="unknown embedding device 'gpu'"):
        resolve_device("gpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message given where no GPU is present")
def test_cuda_without_a_gpu_is_one_clear_error(cache_dir):
    with pytest.raises(DeviceUnavailable) as info:
        make_embedder(cache_dir=cache_dir, models_dir=MODELS_DIR, device="cuda", use_cache=False)
    message = str(info.value)
    assert "no CUDA device is available" in message and "KIOSQUE_EMBED_DEVICE=cpu" in message
    if torch.version.cuda is None:
        assert "CPU-only build" in message


def test_building_an_embedder_leaves_the_process_alone(cache_dir):
    """No environment variable and no torch thread count changes when a library user builds one."""
    env_before, threads_before = dict(os.environ), torch.get_num_threads()
    models = ModelCache()
    first = make_embedder(cache_dir=cache_dir, models_dir=MODELS_DIR, use_cache=False, models=models)
    second = make_embedder(cache_dir=cache_dir, models_dir=MODELS_DIR, use_cache=False, models=models)
    assert dict(os.environ) == env_before and torch.get_num_threads() == threads_before
    assert len(models) == 1 and first.encoder is second.encoder  # loaded once, in the cache it was given
    models.clear()
    assert len(models) == 0


def test_the_application_configures_the_runtime_once_at_start_up_and_logs_it(tmp_path):
    """A fresh process, as `kiosque` starts: short OpenMP spins before torch loads, offline hub, the
    configured torch threads; the changes logged once (at debug level); what the user set is kept."""
    script = """
import json, logging, os, sys
logging.basicConfig(level=logging.DEBUG, format="%(name)s: %(message)s")
from bot.settings import load_settings
from bot.wiring import Kiosque
settings = load_settings(None, store__dir=sys.argv[1])
settings.embed.threads = 1
Kiosque(settings)
Kiosque(settings)  # a second application in the same process changes nothing more
import torch
print(json.dumps({k: os.environ.get(k) for k in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "HF_HUB_OFFLINE",
                                                  "TOKENIZERS_PARALLELISM")}
                 | {"threads": torch.get_num_threads()}))
"""
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "HF_HUB_OFFLINE")}
    env.update(PYTHONPATH=str(ROOT), TOKENIZERS_PARALLELISM="true")
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "store")], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout.strip().splitlines()[-1])
    assert state == {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "3000", "HF_HUB_OFFLINE": "1",
                     "TOKENIZERS_PARALLELISM": "true", "threads": 1}
    logged = [line for line in done.stderr.splitlines() if line.startswith("kiosque.runtime: inference runtime")]
    assert len(logged) == 1, done.stderr
    assert "OMP_WAIT_POLICY=PASSIVE" in logged[0] and "GOMP_SPINCOUNT=3000" in logged[0]
    assert "torch threads=1" in logged[0]
    assert "TOKENIZERS_PARALLELISM" not in logged[0]  # the user's own value is kept, not overwritten
