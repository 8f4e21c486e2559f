"""What the hardware runs well: bf16 on the CPU only where it is native (Intel AMX or AVX512-BF16;
emulated it is slower than fp32), else int8 for Kiosque's own encoder (faster than fp32 on CPUs
without bf16, most at question time; vectors within 0.998 cosine) and fp32 for the others; bf16 or
fp16 on a GPU; and a batch size that fits the device.

Everything here is known without loading a model, so `kiosque status` can say what would run."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from index.embedders.base import EmbedderUnavailable

#: texts per forward pass on a CPU (with texts sorted by length this keeps padding small) and per
#: request to an embedding server (Hugging Face text-embeddings-inference refuses more than 32 by default)
CPU_BATCH = 32
SERVER_BATCH = 32
#: on a GPU: 32 texts per 4 GiB of device memory, between these bounds (e5-small at 512 tokens needs
#: ~10 MB a text in fp16; larger models need more, throughput stops growing well before 256)
GPU_BATCH_PER_4GIB, GPU_BATCH_MIN, GPU_BATCH_MAX = 32, 32, 256

DEVICE_PATTERN = re.compile(r"^(cpu|cuda(:\d+)?|mps)$")


class DeviceUnavailable(EmbedderUnavailable):
    """The embedding device that was asked for is not there."""


@dataclass(frozen=True)
class Gpu:
    index: int
    name: str
    memory_bytes: int
    bf16: bool

    @property
    def memory_gib(self) -> float:
        return self.memory_bytes / 2**30


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def cpu_bf16_support(flags: frozenset[str] | None = None) -> str | None:
    """"amx" or "avx512_bf16" when the CPU (``flags``: this one's by default) computes bf16
    natively, else None."""
    flags = cpu_flags() if flags is None else flags
    if "amx_bf16" in flags:
        return "amx"
    if "avx512_bf16" in flags:
        return "avx512_bf16"
    return None


def cuda_gpus() -> list[Gpu]:
    """The CUDA devices torch sees (none with a CPU-only torch build or without a driver)."""
    import torch

    if not torch.cuda.is_available():
        return []
    gpus = []
    for i in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(i)
        # bf16 runs natively from compute capability 8.0 (Ampere) on
        gpus.append(Gpu(i, props.name, int(props.total_memory), bool(props.major >= 8)))
    return gpus


def _why_no_cuda() -> str:
    import torch

    if torch.version.cuda is None:
        return (f"this torch ({torch.__version__}) is a CPU-only build: install a CUDA build of torch "
                "(unset KIOSQUE_TORCH_INDEX before scripts/setup)")
    return f"torch {torch.__version__} (CUDA {torch.version.cuda}) sees no CUDA device: check the driver and CUDA_VISIBLE_DEVICES"


def resolve_device(requested: str, gpus: list[Gpu] | None = None) -> tuple[str, Gpu | None]:
    """The torch device for ``requested`` ("cpu", "cuda", "cuda:N", "mps") and the GPU it names;
    raises DeviceUnavailable with what to do when it is not there. ``gpus``: this machine's by default."""
    if not DEVICE_PATTERN.match(requested):
        raise DeviceUnavailable(f"unknown embedding device {requested!r} (use cpu, cuda, cuda:N or mps)")
    if requested == "cpu":
        return "cpu", None
    if requested == "mps":
        import torch

        if not torch.backends.mps.is_available():
            raise DeviceUnavailable("the embedding device 'mps' was asked for, but torch sees no Apple GPU; "
                                    "set KIOSQUE_EMBED_DEVICE=cpu")
        return "mps", None
    gpus = cuda_gpus() if gpus is None else gpus
    index = int(requested.split(":", 1)[1]) if ":" in requested else 0
    if not gpus:
        raise DeviceUnavailable(f"the embedding device {requested!r} was asked for (KIOSQUE_EMBED_DEVICE), but no "
                                f"CUDA device is available: {_why_no_cuda()}; or set KIOSQUE_EMBED_DEVICE=cpu")
    if index >= len(gpus):
        raise DeviceUnavailable(f"the embedding device {requested!r} was asked for, but this machine has "
                                f"{len(gpus)} CUDA device(s): cuda:0 to cuda:{len(gpus) - 1}")
    return f"cuda:{index}", gpus[index]


#: the backend that runs int8 (Kiosque's own encoder: int8 weights and activations in its linear layers)
INT8_BACKEND = "torch-packed"


def choose_precision(requested: str, device: str = "cpu", flags: frozenset[str] | None = None,
                     gpu: Gpu | None = None, backend: str = "") -> str:
    """'auto' is bf16 where it is native: on the CPU with AMX/AVX512-BF16, else int8 for the torch-packed
    ``backend`` (fp32 for the others); on a GPU bf16 from Ampere on (else fp16). fp16 is for GPUs only
    (on a CPU it is emulated and slow); int8 for the torch-packed backend on the CPU only."""
    on_gpu = device.startswith("cuda") or device == "mps"
    if requested == "fp16" and not on_gpu:
        raise DeviceUnavailable("precision fp16 is for GPUs; on the CPU use auto, bf16, int8 or fp32 "
                                "(KIOSQUE_EMBED_PRECISION)")
    if requested == "int8" and (on_gpu or backend != INT8_BACKEND):
        where = device if on_gpu else f"the {backend or 'chosen'} backend"
        raise DeviceUnavailable(f"precision int8 runs on the CPU with the {INT8_BACKEND} backend (the built-in model), "
                                f"not on {where}; use auto, bf16 or fp32 (KIOSQUE_EMBED_PRECISION)")
    if requested != "auto":
        return requested
    if device.startswith("cuda"):
        if gpu is None:
            gpu = resolve_device(device)[1]
        return "bf16" if gpu is not None and gpu.bf16 else "fp16"
    if device == "mps":
        return "fp16"
    if cpu_bf16_support(flags):
        return "bf16"
    return "int8" if backend == INT8_BACKEND and _int8_runs() else "fp32"


def _int8_runs() -> bool:
    """Whether this torch multiplies int8 exactly here (it may not on other architectures): the one
    place 'auto' learns it, so `status` says what the encoder will run. Imports torch."""
    from index.embedders.packed import int8_matmul_available

    return int8_matmul_available()


def choose_batch_size(requested: int, device: str = "cpu", backend: str = "", gpu: Gpu | None = None) -> int:
    """``requested`` when given (> 0); else one for the device: CPU_BATCH on a CPU, SERVER_BATCH per
    request to a server, on a GPU 32 texts per 4 GiB of its memory within [32, 256]."""
    if requested > 0:
        return requested
    if backend == "openai":
        return SERVER_BATCH
    if device.startswith("cuda"):
        if gpu is None:
            gpu = resolve_device(device)[1]
        per_memory = GPU_BATCH_PER_4GIB * int(gpu.memory_gib // 4) if gpu is not None else GPU_BATCH_MIN
        return max(GPU_BATCH_MIN, min(GPU_BATCH_MAX, per_memory))
    return CPU_BATCH
