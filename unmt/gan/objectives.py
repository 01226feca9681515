"""Picks the discriminator/generator loss pair of unmt.adversarial.losses that a config's `loss.type` names.

Nothing is computed here: the losses live in the shared core, this only binds their options.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Callable

import torch

from unmt.adversarial import losses
from unmt.gan.config import GanLossConfig

Tensor = torch.Tensor


@dataclass(frozen=True)
class Objective:
    discriminator: Callable[[Tensor, Tensor], Tensor]  # (scores on real, scores on fake) -> loss
    generator: Callable[[Tensor], Tensor]  # scores on fake -> loss
    gp_weight: float  # > 0: add the WGAN-GP gradient penalty to the discriminator loss
    is_critic: bool  # scores estimate a Wasserstein distance (WGAN, WGAN-GP), so their gap is worth logging


def objective_for(config: GanLossConfig) -> Objective:
    kind = config.type
    if kind in ("minimax", "nonsaturating"):
        generator = losses.minimax_generator_loss if kind == "minimax" else losses.non_saturating_generator_loss
        return Objective(partial(losses.gan_discriminator_loss, real_label=config.real_label), generator, 0.0, False)
    if kind in ("wasserstein", "wgan_gp"):
        gp = config.gp_weight if kind == "wgan_gp" else 0.0
        return Objective(losses.wasserstein_critic_loss, losses.wasserstein_generator_loss, gp, True)
    if kind == "hinge":
        return Objective(losses.hinge_discriminator_loss, losses.hinge_generator_loss, 0.0, False)
    if kind == "least_squares":
        return Objective(losses.least_squares_discriminator_loss, losses.least_squares_generator_loss, 0.0, False)
    raise ValueError(f"unknown loss type {kind!r}")
