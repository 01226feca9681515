"""DCGAN (Radford et al. 2016) for small grey images, following the paper's architecture guidelines:
strided convolutions in D and fractional-strided (transposed) convolutions in G instead of pooling, batch norm
in both (not on G's output nor on D's input layer), ReLU in G with a Tanh output, LeakyReLU(0.2) in D, and no
fully connected hidden layers (only G's projection of z and D's final flatten-to-logit).

Sizes 8, 16 and 28 all use two stride-2 steps from a (size/4)^2 start: 2 -> 4 -> 8, 4 -> 8 -> 16, 7 -> 14 -> 28.
Switches for the WGAN paper's robustness study: batch norm on/off in each network, and `constant_filters`
(the same number of filters in every generator layer instead of halving them towards the output).
"""
from __future__ import annotations

import torch
from torch import nn

SIZES = (8, 16, 28)


def _norm(channels: int, enabled: bool) -> nn.Module:
    return nn.BatchNorm2d(channels) if enabled else nn.Identity()


class DCGANGenerator(nn.Module):
    def __init__(
        self, latent_dim: int, image_size: int, channels: int, batch_norm: bool = True, constant_filters: bool = False
    ):
        super().__init__()
        if image_size not in SIZES:
            raise ValueError(f"DCGAN supports image sizes {SIZES}, got {image_size}")
        self.latent_dim, self.start = latent_dim, image_size // 4
        wide = channels if constant_filters else 2 * channels
        self.wide = wide
        self.project = nn.Linear(latent_dim, wide * self.start**2)
        self.body = nn.Sequential(
            _norm(wide, batch_norm),
            nn.ReLU(),
            nn.ConvTranspose2d(wide, channels, 4, stride=2, padding=1),
            _norm(channels, batch_norm),
            nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1),
            nn.Tanh(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.body(self.project(z).view(-1, self.wide, self.start, self.start))


class DCGANDiscriminator(nn.Module):
    """Returns one raw logit (or critic score) per image, shape (N,)."""

    def __init__(self, image_size: int, channels: int, batch_norm: bool = True):
        super().__init__()
        if image_size not in SIZES:
            raise ValueError(f"DCGAN supports image sizes {SIZES}, got {image_size}")
        end = image_size // 4
        self.body = nn.Sequential(
            nn.Conv2d(1, channels, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1),
            _norm(2 * channels, batch_norm),
            nn.LeakyReLU(0.2),
            nn.Flatten(),
            nn.Linear(2 * channels * end * end, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x).squeeze(-1)
