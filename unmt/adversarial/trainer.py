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
from unmt.errors import UserError


class NonFiniteLossError(UserError):
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
    accumulate: int = 1  # batches whose gradients are summed (each loss weighted 1/accumulate) per update
    # Called after the backward passes of an update with the updated parameters and whether this process's loss was
    # finite; returns whether every process's was (many processes: adds their gradients). None = one process.
    gradient_sync: Callable[[list[torch.Tensor], bool], bool] | None = None


class AlternatingTrainer:
    """Runs n_critic discriminator updates, then one generator update, per `step`.

    The discriminator's optimiser only holds discriminator parameters and the generator's only generator
    parameters, so gradients that the generator loss leaves on the discriminator never move it: they are
    cleared before its next update. Each side may have a learning-rate scheduler; both advance once per step,
    so they share one clock.
    """

    def __init__(
        self,
        task: AdversarialTask,
        d_optimizer: torch.optim.Optimizer | None,
        g_optimizer: torch.optim.Optimizer,
        config: AlternatingConfig | None = None,
        g_scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
        d_scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    ):
        self.task, self.config = task, config or AlternatingConfig()
        self.d_optimizer, self.g_optimizer = d_optimizer, g_optimizer
        self.g_scheduler, self.d_scheduler = g_scheduler, d_scheduler
        self.step_count = 0

    def step(self, next_batch: Callable[[], Any] | Iterator[Any], update_discriminator: bool = True,
             task: AdversarialTask | None = None) -> dict[str, float]:
        """One round; `next_batch` gives fresh batches per discriminator update, the generator uses the last ones.
        With `update_discriminator` False (nothing at this step uses it) only the generator side learns. `task`:
        this step's losses, where they change from step to step (UNMT's phases); else the trainer's own."""
        task = task or self.task
        draw = next_batch if callable(next_batch) else (lambda: next(next_batch))
        metrics: dict[str, float] = {}
        batches = None
        if self.d_optimizer is not None and update_discriminator:
            for _ in range(self.config.n_critic):
                batches = [draw() for _ in range(self.config.accumulate)]
                metrics.update(
                    self._update(
                        task.discriminator_loss, batches, self.d_optimizer, self.config.d_grad_clip, "discriminator"
                    )
                )
                if self.config.d_weight_clip > 0:
                    clip_weights_(_parameters(self.d_optimizer), self.config.d_weight_clip)
        if batches is None:
            batches = [draw() for _ in range(self.config.accumulate)]
        metrics.update(
            self._update(task.generator_loss, batches, self.g_optimizer, self.config.g_grad_clip, "generator")
        )
        for scheduler in (self.d_scheduler, self.g_scheduler):
            if scheduler is not None:
                scheduler.step()
        self.step_count += 1
        return metrics

    def _autocast(self) -> torch.autocast:
        dtype = self.config.autocast_dtype
        return torch.autocast(self.config.device_type, dtype=dtype, enabled=dtype is not None)

    def _update(
        self, loss_of, batches: list, optimizer: torch.optim.Optimizer, clip: float, side: str
    ) -> dict[str, float]:
        """Backward passes over `batches`, then one optimiser step, unless a loss (here, or on any other process)
        is not finite: then nothing is applied and NonFiniteLossError stops training."""
        optimizer.zero_grad(set_to_none=True)
        metrics: dict[str, float] = {}
        bad = None
        for batch in batches:
            with self._autocast():
                loss, batch_metrics = loss_of(batch)
            value = loss.item()
            if not math.isfinite(value):
                bad = value
                break  # its gradients would poison the sum; the others still take part in the sync below
            (loss / len(batches) if len(batches) > 1 else loss).backward()
            for key, item in batch_metrics.items():
                metrics[key] = metrics.get(key, 0.0) + item / len(batches)
        everywhere = bad is None
        if self.config.gradient_sync is not None:
            if bad is not None:
                optimizer.zero_grad(set_to_none=True)
            everywhere = self.config.gradient_sync(_parameters(optimizer), bad is None)
        if not everywhere:
            became = f"became {bad}" if bad is not None else "became non-finite on another process"
            raise NonFiniteLossError(
                f"the {side} loss {became} at step {self.step_count + 1}; the update was not applied"
            )
        if clip > 0:
            torch.nn.utils.clip_grad_norm_(_parameters(optimizer), clip)
        optimizer.step()
        return metrics

    def set_rates(self, g_lr: float, d_lr: float | None = None) -> None:
        """Makes these the base learning rates, at the point of their schedules where the trainer stands: a run
        resumed with another rate takes it instead of the one its optimiser state carries."""
        sides = [(self.g_optimizer, self.g_scheduler, g_lr)]
        if self.d_optimizer is not None and d_lr is not None:
            sides.append((self.d_optimizer, self.d_scheduler, d_lr))
        for optimizer, scheduler, rate in sides:
            factor = 1.0
            if scheduler is not None:
                scheduler.base_lrs = [rate for _ in scheduler.base_lrs]
                factor = scheduler.lr_lambdas[0](scheduler.last_epoch) if hasattr(scheduler, "lr_lambdas") else 1.0
            for group in optimizer.param_groups:
                group.update(lr=rate * factor, initial_lr=rate)

    def state_dict(self) -> dict:
        return {
            "step": self.step_count,
            "g_optimizer": self.g_optimizer.state_dict(),
            "d_optimizer": self.d_optimizer.state_dict() if self.d_optimizer else None,
            "g_scheduler": self.g_scheduler.state_dict() if self.g_scheduler else None,
            "d_scheduler": self.d_scheduler.state_dict() if self.d_scheduler else None,
        }

    def load_state_dict(self, state: dict) -> None:
        self.step_count = state["step"]
        _load_optimizer(self.g_optimizer, state["g_optimizer"])
        if self.d_optimizer is not None and state["d_optimizer"] is not None:
            _load_optimizer(self.d_optimizer, state["d_optimizer"])
        g_saved, d_saved = state.get("g_scheduler"), state.get("d_scheduler")
        if isinstance(g_saved, list):  # written before each side had its own scheduler: [discriminator, generator]
            d_saved, g_saved = g_saved
        for scheduler, saved in ((self.g_scheduler, g_saved), (self.d_scheduler, d_saved)):
            if scheduler is not None and saved is not None:
                scheduler.load_state_dict(saved)


# How an optimiser computes its update, not what the update is: chosen by the process that resumes (its code and
# device), where torch's load_state_dict would take the saving process's choice along with the hyperparameters.
IMPLEMENTATION_FLAGS = ("foreach", "fused")


def _load_optimizer(optimizer: torch.optim.Optimizer, saved: dict) -> None:
    chosen = [{flag: group.get(flag) for flag in IMPLEMENTATION_FLAGS} for group in optimizer.param_groups]
    optimizer.load_state_dict(saved)
    for group, flags in zip(optimizer.param_groups, chosen):
        group.update(flags)


def _parameters(optimizer: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [p for group in optimizer.param_groups for p in group["params"]]
