"""Which precision the CPU runs fast: bf16 needs native support (Intel AMX or AVX512-BF16),
otherwise it is emulated and slower than fp32."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


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


def choose_precision(requested: str, device: str = "cpu", flags: frozenset[str] | None = None) -> str:
    """'auto' becomes bf16 where it is native (CPU) or on CUDA, fp32 otherwise."""
    if requested != "auto":
        return requested
    if device.startswith("cuda"):
        return "bf16"
    return "bf16" if cpu_bf16_support(flags) else "fp32"
