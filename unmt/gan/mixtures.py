"""The two synthetic 2-D benchmarks of the mode-collapse literature (VEEGAN, PacGAN): mixtures of Gaussians
whose modes are known exactly, so that "how many modes did the generator find" has an exact answer.

ring: 8 Gaussians with means on a circle, (radius*cos(2*pi*i/8), radius*sin(2*pi*i/8)).
grid: 25 Gaussians with means on a 5x5 lattice, (-4 + 2i, -4 + 2j) for the default spacing of 2.
Every mode has the same weight and the same isotropic standard deviation.
"""
from __future__ import annotations

import math

import torch


def ring_modes(n_modes: int = 8, radius: float = 1.0) -> torch.Tensor:
    angles = torch.arange(n_modes, dtype=torch.float64) * (2 * math.pi / n_modes)
    return (radius * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def grid_modes(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    offsets = (torch.arange(side, dtype=torch.float32) - (side - 1) / 2) * spacing
    xs, ys = torch.meshgrid(offsets, offsets, indexing="ij")
    return torch.stack([xs.flatten(), ys.flatten()], dim=1)


def sample_mixture(modes: torch.Tensor, std: float, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """n points: a uniformly chosen mode plus isotropic Gaussian noise of standard deviation `std`."""
    which = torch.randint(len(modes), (n,), generator=generator)
    return modes[which] + std * torch.randn(n, 2, generator=generator)
