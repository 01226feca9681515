"""CycleGAN's networks (Zhu et al. 2017), scaled down for 16x16 / 28x28 digits on a CPU.

Generator: c7s1-k, d2k (stride 2), residual blocks at half resolution, u-k (fractional stride), c7s1-1 + Tanh,
with instance norm, as in the paper. Discriminator: a PatchGAN that scores overlapping patches (one logit per
patch); the adversarial losses average over patches.
"""
from __future__ import annotations

import torch
from torch import nn


class ResidualBlock(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"),
            nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding=1, padding_mode="reflect"),
            nn.InstanceNorm2d(channels, affine=True),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class CycleGenerator(nn.Module):
    def __init__(self, channels: int, residual_blocks: int):
        super().__init__()
        wide = 2 * channels
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, 7, padding=3, padding_mode="reflect"),
            nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(),
            nn.Conv2d(channels, wide, 3, stride=2, padding=1),
            nn.InstanceNorm2d(wide, affine=True),
            nn.ReLU(),
            *[ResidualBlock(wide) for _ in range(residual_blocks)],
            nn.ConvTranspose2d(wide, channels, 3, stride=2, padding=1, output_padding=1),
            nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(),
            nn.Conv2d(channels, 1, 7, padding=3, padding_mode="reflect"),
            nn.Tanh(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class PatchDiscriminator(nn.Module):
    """Returns (N, P) patch logits; a 16x16 input gives 4x4 = 16 patches."""

    def __init__(self, channels: int):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, channels, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1),
            nn.InstanceNorm2d(2 * channels, affine=True),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * channels, 1, 3, padding=1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)
