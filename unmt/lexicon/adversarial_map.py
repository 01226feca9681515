"""A linear map learned without any dictionary: W is the generator, and a discriminator tries to tell mapped
source vectors W·x from target vectors y (Conneau et al. 2018). It runs on the same AlternatingTrainer and
loss functions as the latent discriminator of translation and the image GANs.

After every generator update W is pulled back towards the orthogonal matrices, W <- (1 + b) W - b (W W^T) W:
an orthogonal map preserves distances, so the monolingual neighbourhoods survive the mapping.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from unmt.adversarial.losses import gan_discriminator_loss, non_saturating_generator_loss
from unmt.adversarial.trainer import AlternatingConfig, AlternatingTrainer
from unmt.errors import DataError
from unmt.lexicon.align import mean_csls_cosine
from unmt.lexicon.embeddings import WordEmbeddings

log = logging.getLogger("unmt")


@dataclass
class AdversarialMapConfig:
    epochs: int = 5
    steps_per_epoch: int = 2000
    batch_size: int = 32
    most_frequent: int = 2000  # only frequent words are fed to the discriminator: their vectors are reliable
    hidden: int = 256
    input_dropout: float = 0.1
    smoothing: float = 0.0  # one-sided label smoothing of the discriminator's "target" label
    lr: float = 0.3  # SGD, both sides; 0.1 (Conneau et al.'s rate) left W at the identity on our synthetic test
    lr_decay: float = 0.98  # per epoch
    orthogonality: float = 0.01  # b in the update above
    seed: int = 0


class MappingTask:
    """Adversarial task for AlternatingTrainer; a batch is (source vectors, target vectors)."""

    def __init__(self, mapping: nn.Linear, discriminator: nn.Module, smoothing: float):
        self.mapping, self.discriminator, self.smoothing = mapping, discriminator, smoothing

    def discriminator_loss(self, batch):
        source, target = batch
        with torch.no_grad():
            mapped = self.mapping(source)
        real, fake = self.discriminator(target), self.discriminator(mapped)
        loss = gan_discriminator_loss(real, fake, real_label=1.0 - self.smoothing)
        accuracy = ((real > 0).float().mean() + (fake < 0).float().mean()).item() / 2
        return loss, {"d_loss": loss.item(), "d_accuracy": accuracy}

    def generator_loss(self, batch):
        source, _ = batch
        loss = non_saturating_generator_loss(self.discriminator(self.mapping(source)))
        return loss, {"g_loss": loss.item()}


def _discriminator(dim: int, hidden: int, input_dropout: float) -> nn.Module:
    return nn.Sequential(
        nn.Dropout(input_dropout),
        nn.Linear(dim, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, hidden),
        nn.LeakyReLU(0.2),
        nn.Linear(hidden, 1),
        nn.Flatten(0),
    )


def orthogonalize_(weight: torch.Tensor, beta: float) -> None:
    with torch.no_grad():
        weight.copy_((1 + beta) * weight - beta * weight @ weight.T @ weight)


def adversarial_map(
    source: WordEmbeddings, target: WordEmbeddings, config: AdversarialMapConfig | None = None
) -> tuple[np.ndarray, list[dict]]:
    """Returns the W (dim, dim) of the epoch with the best unsupervised criterion, and one record per epoch."""
    config = config or AdversarialMapConfig()
    if source.vectors.shape[1] != target.vectors.shape[1]:
        raise DataError(
            f"source embeddings have {source.vectors.shape[1]} dimensions and target {target.vectors.shape[1]}: "
            "they must be equal to be mapped onto each other"
        )
    with torch.random.fork_rng():  # seed the initialisation without disturbing the caller's random stream
        torch.manual_seed(config.seed)
        return _train(source, target, config)


def _train(
    source: WordEmbeddings, target: WordEmbeddings, config: AdversarialMapConfig
) -> tuple[np.ndarray, list[dict]]:
    dim = source.vectors.shape[1]
    mapping = nn.Linear(dim, dim, bias=False)
    nn.init.eye_(mapping.weight)
    discriminator = _discriminator(dim, config.hidden, config.input_dropout)
    g_optimizer = torch.optim.SGD(mapping.parameters(), lr=config.lr)
    d_optimizer = torch.optim.SGD(discriminator.parameters(), lr=config.lr)
    trainer = AlternatingTrainer(
        MappingTask(mapping, discriminator, config.smoothing), d_optimizer, g_optimizer, AlternatingConfig()
    )
    source_vectors = torch.from_numpy(source.vectors[: config.most_frequent]).float()
    target_vectors = torch.from_numpy(target.vectors[: config.most_frequent]).float()
    generator = torch.Generator().manual_seed(config.seed)

    def pick(vectors: torch.Tensor) -> torch.Tensor:
        return vectors[torch.randint(len(vectors), (config.batch_size,), generator=generator)]

    def batch():
        return pick(source_vectors), pick(target_vectors)

    best_W, best_score, history = mapping.weight.detach().numpy().astype(np.float64).copy(), float("-inf"), []
    for epoch in range(config.epochs):
        accuracy = []
        for _ in range(config.steps_per_epoch):
            metrics = trainer.step(batch)
            orthogonalize_(mapping.weight, config.orthogonality)
            accuracy.append(metrics["d_accuracy"])
        W = mapping.weight.detach().numpy().astype(np.float64)
        score = mean_csls_cosine(source, target, W)
        history.append({"epoch": epoch + 1, "criterion": score, "d_accuracy": float(np.mean(accuracy))})
        log.info(
            "adversarial epoch %d: criterion %.4f, discriminator accuracy %.3f", epoch + 1, score, np.mean(accuracy)
        )
        if score > best_score:
            best_W, best_score = W.copy(), score
        for optimizer in (g_optimizer, d_optimizer):
            for group in optimizer.param_groups:
                group["lr"] *= config.lr_decay
    return best_W, history
