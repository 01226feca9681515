"""CycleGAN as an adversarial task: G maps domain X to Y, F maps Y to X, D_Y and D_X tell real from translated.

A batch is a pair (x, y) of unpaired images. The discriminator side trains D_X and D_Y together (one optimiser)
on real images against pooled translations; the generator side trains G and F together on
    adversarial(D_Y(G(x))) + adversarial(D_X(F(y)))
    + cycle_weight * (|F(G(x)) - x|_1 + |G(F(y)) - y|_1)
    + identity_weight * (|G(y) - y|_1 + |F(x) - x|_1).
"""
from __future__ import annotations

import torch
from torch import nn

from unmt.gan.objectives import Objective
from unmt.gan.pool import ImagePool


class CycleGANTask:
    def __init__(self, nets: dict[str, nn.Module], objective: Objective, cycle_weight: float, identity_weight: float,
                 pool_size: int, rng: torch.Generator):
        self.g, self.f, self.d_x, self.d_y = nets["g"], nets["f"], nets["d_x"], nets["d_y"]
        self.objective, self.cycle_weight, self.identity_weight = objective, cycle_weight, identity_weight
        self.pool_x, self.pool_y = ImagePool(pool_size, rng), ImagePool(pool_size, rng)

    def discriminator_loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        x, y = batch
        with torch.no_grad():
            fake_y, fake_x = self.pool_y.query(self.g(x)), self.pool_x.query(self.f(y))
        loss_y = self.objective.discriminator(self.d_y(y), self.d_y(fake_y))
        loss_x = self.objective.discriminator(self.d_x(x), self.d_x(fake_x))
        return loss_x + loss_y, {"d_x_loss": loss_x.item(), "d_y_loss": loss_y.item()}

    def generator_loss(self, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, float]]:
        x, y = batch
        fake_y, fake_x = self.g(x), self.f(y)
        adversarial = self.objective.generator(self.d_y(fake_y)) + self.objective.generator(self.d_x(fake_x))
        cycle = (self.f(fake_y) - x).abs().mean() + (self.g(fake_x) - y).abs().mean()
        total = adversarial + self.cycle_weight * cycle
        metrics = {"g_adversarial": adversarial.item(), "cycle_loss": cycle.item()}
        if self.identity_weight > 0:
            identity = (self.g(y) - y).abs().mean() + (self.f(x) - x).abs().mean()
            total = total + self.identity_weight * identity
            metrics["identity_loss"] = identity.item()
        return total, metrics
