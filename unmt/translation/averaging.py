"""An exponential moving average of the translation model's weights (Polyak averaging).

On small data the live weights wander around a plateau from one evaluation to the next; their average sits
nearer its middle. The average is what gets evaluated, selected by the round-trip criterion and shipped to
`unmt translate`; training itself, back-translation included, keeps using the live weights.
"""
from __future__ import annotations

import copy
import itertools

import torch

AVERAGE_WEIGHTS = (
    "average"  # a checkpoint's average.safetensors, beside model.safetensors (the live weights, for resuming)
)


class WeightAverage:
    def __init__(self, model: torch.nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"weight-average decay must lie strictly between 0 and 1, got {decay}")
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)

    def decay_at(self, step: int) -> float:
        """The decay warms up as (step - 1) / (step + 8): step 1 copies the live weights, and until the configured
        decay takes over the average spans about the last ninth of training. A constant 0.995 from step 1 still
        gave half its weight to the untrained model at step 150 (test BLEU 0.01 against the live weights' 2.9)."""
        return 0.0 if step <= 1 else min(self.decay, (step - 1) / (step + 8))

    @torch.no_grad()
    def update(self, live: torch.nn.Module, step: int) -> None:
        """Moves the average towards `live` after training step `step` (counted from 1; at 0 or below it copies)."""
        keep = self.decay_at(step)
        # parameters() lists a tied tensor once, so no weight is averaged twice
        averaged, current = list(_tensors(self.model)), list(_tensors(live))
        if len(averaged) != len(current):
            raise ValueError(f"the average holds {len(averaged)} tensors, the live model {len(current)}")
        # one call for all tensors (what torch.optim's foreach updates use): each tensor's lerp_ as before
        torch._foreach_lerp_(averaged, current, 1.0 - keep)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.model.state_dict()

    def load_state_dict(self, weights: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(weights)


def _tensors(model: torch.nn.Module):
    return itertools.chain(model.parameters(), model.buffers())
