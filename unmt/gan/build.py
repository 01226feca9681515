"""Builds a run's networks, task, optimisers and AlternatingTrainer from its configuration.

Networks are named, and the names are the checkpoint file names: `generator`/`discriminator` for MLP and DCGAN,
`g`/`f`/`d_x`/`d_y` for CycleGAN. GENERATOR_SIDE lists which names the generator optimiser owns.
"""
from __future__ import annotations

import torch
from torch import nn

from unmt.adversarial.trainer import AlternatingConfig, AlternatingTrainer
from unmt.gan.config import GanConfig, image_size
from unmt.gan.cyclegan_nets import CycleGenerator, PatchDiscriminator
from unmt.gan.cyclegan_task import CycleGANTask
from unmt.gan.dcgan import DCGANDiscriminator, DCGANGenerator
from unmt.gan.mlp import MLPDiscriminator, MLPGenerator
from unmt.gan.objectives import objective_for
from unmt.gan.tasks import GANTask

GENERATOR_SIDE = ("generator", "g", "f")


def build_nets(config: GanConfig) -> dict[str, nn.Module]:
    m = config.model
    if m.arch == "mlp":
        return {
            "generator": MLPGenerator(m.latent_dim, m.hidden, m.layers, m.g_batch_norm),
            "discriminator": MLPDiscriminator(m.hidden, m.layers, m.d_batch_norm, pack=m.pack),
        }
    if m.arch == "dcgan":
        size = image_size(config.data)
        return {
            "generator": DCGANGenerator(m.latent_dim, size, m.channels, m.g_batch_norm, m.constant_filters),
            "discriminator": DCGANDiscriminator(size, m.channels, m.d_batch_norm),
        }
    return {
        "g": CycleGenerator(m.channels, m.residual_blocks),
        "f": CycleGenerator(m.channels, m.residual_blocks),
        "d_x": PatchDiscriminator(m.channels),
        "d_y": PatchDiscriminator(m.channels),
    }


def build_task(config: GanConfig, nets: dict[str, nn.Module], rng: torch.Generator):
    objective = objective_for(config.loss)
    if config.model.arch == "cyclegan":
        loss = config.loss
        return CycleGANTask(nets, objective, loss.cycle_weight, loss.identity_weight, loss.pool_size, rng)
    return GANTask(nets["generator"], nets["discriminator"], objective, rng)


def _optimizer(parameters: list[torch.Tensor], lr: float, config: GanConfig) -> torch.optim.Optimizer:
    t = config.train
    if t.optimizer == "rmsprop":  # the WGAN paper: momentum-free, since momentum destabilised the critic
        return torch.optim.RMSprop(parameters, lr=lr)
    return torch.optim.Adam(parameters, lr=lr, betas=(t.beta1, t.beta2))


def build_trainer(config: GanConfig, nets: dict[str, nn.Module], task, gradient_sync=None) -> AlternatingTrainer:
    """`gradient_sync`: how ranks combine their gradients on several processes (World.average_gradients_)."""
    t = config.train
    g_params = [p for name, net in nets.items() if name in GENERATOR_SIDE for p in net.parameters()]
    d_params = [p for name, net in nets.items() if name not in GENERATOR_SIDE for p in net.parameters()]
    alternating = AlternatingConfig(
        n_critic=t.n_critic, d_weight_clip=config.loss.weight_clip, gradient_sync=gradient_sync
    )
    d_optimizer, g_optimizer = _optimizer(d_params, t.d_lr, config), _optimizer(g_params, t.g_lr, config)
    schedules = {}
    if t.lr_decay == "linear":  # a GAN never converges to a fixed point at constant lr; annealing lets it settle
        def linear(step: int) -> float:
            return max(0.0, 1.0 - step / t.steps)

        schedules = {f"{side}_scheduler": torch.optim.lr_scheduler.LambdaLR(o, linear)
                     for side, o in (("d", d_optimizer), ("g", g_optimizer))}
    return AlternatingTrainer(task, d_optimizer, g_optimizer, alternating, **schedules)
