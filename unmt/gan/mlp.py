"""Fully connected generator and discriminator for the 2-D mixtures (the networks of the mode-collapse papers:
a few hidden layers of a hundred-odd units)."""
from __future__ import annotations

import torch
from torch import nn


def _stack(sizes: list[int], activation: type[nn.Module], batch_norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for width_in, width_out in zip(sizes[:-2], sizes[1:-1]):
        layers.append(nn.Linear(width_in, width_out))
        if batch_norm:
            layers.append(nn.BatchNorm1d(width_out))
        layers.append(activation())
    layers.append(nn.Linear(sizes[-2], sizes[-1]))
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    def __init__(self, latent_dim: int, hidden: int, layers: int, batch_norm: bool = False, out_dim: int = 2):
        super().__init__()
        self.latent_dim = latent_dim
        self.net = _stack([latent_dim] + [hidden] * layers + [out_dim], nn.ReLU, batch_norm)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """Returns one raw logit (or critic score) per sample, shape (N,), or with pack > 1 one per group of `pack`
    consecutive samples, shape (N / pack,): PacGAN's packing. Seeing several samples jointly lets D notice that
    fakes are too alike (a collapsed generator), which a per-sample D cannot."""

    def __init__(self, hidden: int, layers: int, batch_norm: bool = False, in_dim: int = 2, pack: int = 1):
        super().__init__()
        self.packed_dim = in_dim * pack
        self.net = _stack([self.packed_dim] + [hidden] * layers + [1], lambda: nn.LeakyReLU(0.2), batch_norm)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x.reshape(-1, self.packed_dim)).squeeze(-1)
