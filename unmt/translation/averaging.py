"""An exponential moving average of the translation model's weights (Polyak averaging).

On small data the live weights wander around a plateau from one evaluation to the next; their average sits
nearer its middle. The average is what gets evaluated, selected by the round-trip criterion and shipped to
`unmt translate`; training itself, back-translation included, keeps using the live weights.
"""
from __future__ import annotations

import torch
from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

AVERAGE_WEIGHTS = "average"  # a checkpoint's average.safetensors, beside model.safetensors (the live weights, for resuming)


class WeightAverage:
    def __init__(self, model: torch.nn.Module, decay: float):
        if not 0.0 < decay < 1.0:
            raise ValueError(f"weight-average decay must lie strictly between 0 and 1, got {decay}")
        # use_buffers: buffers are copied along with the weights, so the average is a complete model by itself.
        self._averaged = AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)
        self._averaged.requires_grad_(False)
        self.model.eval()

    @property
    def model(self) -> torch.nn.Module:
        """The averaged model, a separate module with the live model's architecture."""
        return self._averaged.module

    @torch.no_grad()
    def update(self, live: torch.nn.Module) -> None:
        """One step of the average towards `live`; the first call copies it."""
        self._averaged.update_parameters(live)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.model.state_dict()

    def load_state_dict(self, weights: dict[str, torch.Tensor]) -> None:
        """Restores a saved average, so that the next update continues it instead of starting over."""
        self.model.load_state_dict(weights)
        self._averaged.n_averaged.fill_(1)
