"""Discriminators. The latent one reads encoder states and predicts which language they came from."""
from __future__ import annotations

from torch import nn

from unmt.models.dropout import Dropout


class LatentDiscriminator(nn.Module):
    """An MLP applied to every encoder state independently (Lample et al. 2018: 3 layers, LeakyReLU)."""

    def __init__(self, d_model: int, hidden: int = 512, layers: int = 3, n_languages: int = 2, dropout: float = 0.1):
        super().__init__()
        blocks: list[nn.Module] = []
        width = d_model
        for _ in range(layers - 1):
            blocks += [nn.Linear(width, hidden), nn.LeakyReLU(0.2), Dropout(dropout)]
            width = hidden
        blocks.append(nn.Linear(width, n_languages))
        self.net = nn.Sequential(*blocks)

    def forward(self, states):  # (N, C) -> (N, n_languages) logits
        return self.net(states)
