"""Dropout with cheaper masks on the CPU.

torch's CPU dropout draws one random number per element from a generator that runs on one thread: in a Multi30k
training step the masks took more time than any operator but the matrix products (docs/speed.md). Here each
64-bit draw of the same generator gives four 16-bit uniform integers, and an element is kept where its integer
is at or above the drop threshold: four times fewer draws for the same Bernoulli masks, up to the rate's
rounding to a multiple of 1/65536. On other devices torch's own dropout is kept: GPU generators make masks in
parallel, at no cost worth saving.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

_LEVELS = 1 << 16  # a draw's 16-bit slices are uniform over [-2**15, 2**15)


def dropout(x: torch.Tensor, p: float, training: bool = True) -> torch.Tensor:
    """Zeroes each element with probability p (rounded to a multiple of 1/65536) and scales the rest by 1/(1-p)."""
    if not training or p == 0:
        return x
    if x.device.type != "cpu" or p >= 1:
        return F.dropout(x, p, training=True)
    drawn = torch.empty((x.numel() + 3) // 4, dtype=torch.int64).random_(-(2**63), None)  # every bit random
    slices = drawn.view(torch.int16)[: x.numel()].view(x.shape)
    dropped = slices < round(p * _LEVELS) - _LEVELS // 2
    return _ScaleAndDrop.apply(x, dropped, 1.0 / (1.0 - p))


class _ScaleAndDrop(torch.autograd.Function):
    """x times scale, zero where dropped, in two passes over x; saves the boolean mask (as torch's dropout does)
    rather than a float one."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, dropped: torch.Tensor, scale: float) -> torch.Tensor:
        ctx.save_for_backward(dropped)
        ctx.scale = scale
        return x.mul(scale).masked_fill_(dropped, 0)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        (dropped,) = ctx.saved_tensors
        return grad.mul(ctx.scale).masked_fill_(dropped, 0), None, None


class Dropout(nn.Dropout):
    """nn.Dropout with the cheaper CPU masks; its rate `p` is set as nn.Dropout's is."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return dropout(x, self.p, self.training)
