"""What the accelerator or CPU can do natively, where a setting depends on it."""
from __future__ import annotations

import torch


def has_bf16(device: torch.device) -> bool:
    """bfloat16 arithmetic in hardware: a CUDA GPU that supports it, or a CPU with AVX512-BF16 or AMX-BF16 (without
    them torch emulates bf16 on the CPU, many times slower than fp32: docs/experiment-log.md)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            flags = next((line for line in cpuinfo if line.startswith("flags")), "").split()
    except OSError:  # not Linux: no way to tell here, so no claim of bf16
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags
