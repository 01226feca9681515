"""The translation model's learning-rate schedule."""
from __future__ import annotations

import torch


def inverse_sqrt_schedule(
    optimizer: torch.optim.Optimizer, warmup: int, restart_at: int = 0
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up to the base rate, then decay with 1/sqrt(step) (Vaswani et al. 2017).

    The schedule starts over at step `restart_at` (the end of masked-LM pretraining): the decoder and the
    cross-attention only begin to learn there, and would otherwise start on a rate already decayed for them."""
    warmup = max(1, warmup)

    def factor(step: int) -> float:
        step = step - restart_at if step >= restart_at else step
        return min((step + 1) / warmup, (warmup / (step + 1)) ** 0.5)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
