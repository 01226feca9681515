"""The machine's own ceiling for benchmarks/speed.py: the measured dense matmul rate, fp32 (and bf16 where the
hardware has it), square and at a model's own shapes."""
from __future__ import annotations

import statistics
import time

import torch

from unmt.hardware import has_bf16


def sync(device: torch.device) -> None:
    """Waits for the device's queued work, so that a wall-clock reading covers it."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def matmul_rate(
    m: int, k: int, n: int, dtype: torch.dtype, device: torch.device, seconds: float, reps: int = 5
) -> float:
    """Median GFLOP/s of (m, k) @ (k, n) over `reps` timed repetitions of about seconds/reps each."""
    a, b = torch.randn(m, k, device=device).to(dtype), torch.randn(k, n, device=device).to(dtype)
    for _ in range(2):
        a @ b
    sync(device)
    started = time.perf_counter()
    a @ b
    sync(device)
    iterations = max(1, int(seconds / reps / max(time.perf_counter() - started, 1e-7)))
    rates = []
    for _ in range(reps):
        started = time.perf_counter()
        for _ in range(iterations):
            a @ b
        sync(device)
        rates.append(2 * m * k * n * iterations / (time.perf_counter() - started) / 1e9)
    return statistics.median(rates)


def ceiling(device: torch.device, shapes: dict[str, tuple[int, int, int]], seconds: float) -> dict:
    dtypes = {"fp32": torch.float32, **({"bf16": torch.bfloat16} if has_bf16(device) else {})}
    rates = {name: {label: round(matmul_rate(*shape, dtype, device, seconds), 1) for label, shape in shapes.items()}
             for name, dtype in dtypes.items()}
    return {"gflops": rates, "shapes_mkn": shapes, "fp32_ceiling_gflops": max(rates["fp32"].values()),
            "hardware_bf16": has_bf16(device),
            "cpu_capability": torch.backends.cpu.get_cpu_capability() if device.type == "cpu" else None}
