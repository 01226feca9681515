"""The one alternating discriminator/generator update, shared by translation and the image GANs.

A task supplies the two losses; the trainer owns the order of updates, the optimisers, gradient clipping and
the check that every loss is finite. Keeping this in one place is what lets the latent language discriminator
of UNMT and a WGAN critic be trained by exactly the same code.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Protocol

import torch

from unmt.adversarial.losses import clip_weights_


class NonFiniteLossError(RuntimeError):
    """A loss became NaN or infinite; training must stop before the bad update reaches the weights."""


class AdversarialTask(Protocol):
    def discriminator_loss(self, batch: Any) -> tuple[torch.Tensor, dict[str, float]]: ...

    def generator_loss(self, batch: Any) -> tuple[torch.Tensor, dict[str, float]]: ...


@dataclass
class AlternatingConfig:
    n_critic: int = 1  # discriminator updates per generator update
    d_grad_clip: float = 0.0  # max gradient norm for the discriminator; 0 = no clipping
    g_grad_clip: float = 0.0  # max gradient norm for the generator side; 0 = no clipping
    d_weight_clip: float = 0.0  # WGAN weight clipping of the critic after each update; 0 = off
    # Compute both losses under torch.autocast in this dtype (e.g. torch.bfloat16) on `device_type`; weights,
    # gradients and optimiser state stay float32. None = full precision.
    autocast_dtype: torch.dtype | None = None
    device_type: str = "cpu"


class AlternatingTrainer:
    """Runs n_critic discriminator updates, then one generator update, per `step`.

    The discriminator's optimiser only holds discriminator parameters and the generator's only generator
    parameters, so gradients that the generator loss leaves on the discriminator never move it: they are
    cleared before its next update.
    """

    def __init__(
        self,
        task: AdversarialTask,
        d_optimizer: torch.optim.Optimizer | None,
        g_optimizer: torch.optim.Optimizer,
        config: AlternatingConfig = AlternatingConfig(),
        g_scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    ):
        self.task, self.config = task, config
        self.d_optimizer, self.g_optimizer, self.g_scheduler = d_optimizer, g_optimizer, g_scheduler
        self.step_count = 0

    def step(self, next_batch: Callable[[], Any] | Iterator[Any]) -> dict[str, float]:
        """One round; `next_batch` gives a fresh batch per discriminator update, the generator uses the last."""
        draw = next_batch if callable(next_batch) else (lambda: next(next_batch))
        metrics: dict[str, float] = {}
        batch = None
        if self.d_optimizer is not None:
            for _ in range(self.config.n_critic):
                batch = draw()
                with self._autocast():
                    loss, d_metrics = self.task.discriminator_loss(batch)
                self._update(loss, self.d_optimizer, self.config.d_grad_clip, "discriminator")
                if self.config.d_weight_clip > 0:
                    clip_weights_(_parameters(self.d_optimizer), self.config.d_weight_clip)
                metrics.update(d_metrics)
        if batch is None:
            batch = draw()
        with self._autocast():
            loss, g_metrics = self.task.generator_loss(batch)
        self._update(loss, self.g_optimizer, self.config.g_grad_clip, "generator")
        if self.g_scheduler is not None:
            self.g_scheduler.step()
        metrics.update(g_metrics)
        self.step_count += 1
        return metrics

    def _autocast(self) -> torch.autocast:
        dtype = self.config.autocast_dtype
        return torch.autocast(self.config.device_type, dtype=dtype, enabled=dtype is not None)

    def _update(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, clip: float, side: str) -> None:
        value = loss.item()
        if not math.isfinite(value):
            raise NonFiniteLossError(
                f"the {side} loss became {value} at step {self.step_count + 1}; the update was not applied"
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(_parameters(optimizer), clip)
        optimizer.step()

    def state_dict(self) -> dict:
        return {
            "step": self.step_count,
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict() if self.d_optimizer else None,
            "g_scheduler": self.g_scheduler.state_dict() if self.g_scheduler else None,
        }

    def load_state_dict(self, state: dict) -> None:
        self.step_count = state["step"]
        self.g_optimizer.load_state_dict(state["g_optimizer"])
        if self.d_optimizer is not None and state["d_optimizer"] is not None:
            self.d_optimizer.load_state_dict(state["d_optimizer"])
        if self.g_scheduler is not None and state["g_scheduler"] is not None:
            self.g_scheduler.load_state_dict(state["g_scheduler"])


def _parameters(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [p for group in optimizer.param_groups for p in group["params"]]
