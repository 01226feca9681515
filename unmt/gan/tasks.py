"""The unconditional GAN as an adversarial task for AlternatingTrainer: a batch is a tensor of real samples
(2-D points or images); fakes come from fresh latent noise at every call."""
from __future__ import annotations

import torch
from torch import nn

from unmt.adversarial.losses import gradient_penalty
from unmt.gan.objectives import Objective


class GANTask:
    def __init__(
        self, generator: nn.Module, discriminator: nn.Module, objective: Objective, generator_rng: torch.Generator
    ):
        self.generator, self.discriminator, self.objective = generator, discriminator, objective
        self.rng = generator_rng

    def latent(self, n: int) -> torch.Tensor:
        return torch.randn(n, self.generator.latent_dim, generator=self.rng)

    def discriminator_loss(self, real: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        with torch.no_grad():
            fake = self.generator(self.latent(len(real)))
        real_scores, fake_scores = self.discriminator(real), self.discriminator(fake)
        loss = self.objective.discriminator(real_scores, fake_scores)
        metrics = {"d_loss": loss.item()}
        if self.objective.gp_weight > 0:
            penalty = gradient_penalty(self.discriminator, real, fake, self.objective.gp_weight)
            loss = loss + penalty
            metrics["gradient_penalty"] = penalty.item()
        if self.objective.is_critic:  # the critic's estimate of W(real, fake): should fall as G improves
            metrics["wasserstein_estimate"] = (real_scores.mean() - fake_scores.mean()).item()
        else:
            metrics["d_real"] = torch.sigmoid(real_scores).mean().item()
            metrics["d_fake"] = torch.sigmoid(fake_scores).mean().item()
        return loss, metrics

    def generator_loss(self, real: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        fake = self.generator(self.latent(len(real)))
        loss = self.objective.generator(self.discriminator(fake))
        return loss, {"g_loss": loss.item()}
