"""Several translation models decoding as one: at every step the next-token distribution is the mean of theirs.

Averaging probabilities (not logits) is the usual ensemble of NMT decoders: a token one member is sure of and
another finds merely plausible keeps a high score. The members must share a vocabulary; their shapes may differ.
The class offers the part of Transformer's interface that greedy and beam search use, so both decode an ensemble
unchanged."""
from __future__ import annotations

import dataclasses
import math

import torch
from torch import nn

from unmt.models.transformer import Transformer


class Ensemble(nn.Module):
    def __init__(self, members: list[Transformer]):
        super().__init__()
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least two models, got {len(members)}")
        sizes = {member.config.vocab_size for member in members}
        if len(sizes) != 1:
            raise ValueError(f"ensemble members must share one vocabulary, got sizes {sorted(sizes)}")
        self.members = nn.ModuleList(members)
        # Inputs must fit every member's position table.
        shortest = min(member.config.max_positions for member in members)
        self.config = dataclasses.replace(members[0].config, max_positions=shortest)
        self._widths = [member.config.d_model for member in members]

    def encode(self, src: torch.Tensor, src_pad_mask: torch.Tensor) -> torch.Tensor:
        """The members' encoder outputs side by side on the feature axis, (B, S, sum of widths): one tensor, so that
        the searches can select and repeat batch rows of it as they do for a single model."""
        return torch.cat([member.encode(src, src_pad_mask) for member in self.members], dim=-1)

    def new_cache(self) -> list:
        return [member.new_cache() for member in self.members]

    def decode_step(self, token, memory, src_pad_mask, cache: list, step: int) -> torch.Tensor:
        """Log of the members' mean next-token probability, (B, V): normalised, so it serves as logits too."""
        memories = memory.split(self._widths, dim=-1)
        log_probs = [
            torch.log_softmax(
                member.decode_step(token, member_memory, src_pad_mask, member_cache, step).float(), dim=-1
            )
            for member, member_memory, member_cache in zip(self.members, memories, cache, strict=True)
        ]
        return torch.logsumexp(torch.stack(log_probs), dim=0) - math.log(len(self.members))

    @staticmethod
    def reorder_cache(cache: list, order: torch.Tensor) -> list:
        return [Transformer.reorder_cache(member_cache, order) for member_cache in cache]
