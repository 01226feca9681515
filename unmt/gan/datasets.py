"""The training data of a GAN run, as chosen by `data.name`, with a `next_batch()` for AlternatingTrainer.

mixtures   fresh samples from the exact mixture at every batch (the density, not a finite sample, is the target)
images     random batches from a fixed set; the set is cut into two fixed halves so that metrics can compare
           generated samples with half A and report the real-vs-real floor (half B against half A)
mnist_usps X = MNIST (cropped to its digit box, resized), Y = USPS; each cut into unlabelled training images and
           held-out labelled evaluation images (MNIST: the last 2,000 of a fixed shuffle; USPS: its test split)
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from unmt.gan import images as digit_images
from unmt.gan.config import GanConfig, image_size
from unmt.gan.mixtures import grid_modes, ring_modes, sample_mixture

STANDARD_STD = {"ring": 0.01, "grid": 0.05}  # VEEGAN / PacGAN
MNIST_EVAL_SIZE = 2000


@dataclass
class MixtureData:
    modes: torch.Tensor
    std: float
    batch_size: int
    rng: torch.Generator

    def next_batch(self) -> torch.Tensor:
        return sample_mixture(self.modes, self.std, self.batch_size, self.rng)

    def sample(self, n: int, rng: torch.Generator) -> torch.Tensor:
        return sample_mixture(self.modes, self.std, n, rng)


@dataclass
class ImageData:
    images: torch.Tensor  # (N, 1, S, S) in [-1, 1]
    labels: torch.Tensor  # used only by the metrics, never by the GAN
    batch_size: int
    rng: torch.Generator

    def next_batch(self) -> torch.Tensor:
        return self.images[torch.randint(len(self.images), (self.batch_size,), generator=self.rng)]

    def halves(self) -> tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]:
        """Two disjoint halves (images, labels) of a fixed shuffle, the same in every run."""
        order = torch.randperm(len(self.images), generator=torch.Generator().manual_seed(0))
        first, second = order[: len(order) // 2], order[len(order) // 2 :]
        return (self.images[first], self.labels[first]), (self.images[second], self.labels[second])


@dataclass
class DomainPairData:
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_eval: tuple[torch.Tensor, torch.Tensor]  # held-out (images, labels) of X
    y_eval: tuple[torch.Tensor, torch.Tensor]
    x_labelled: tuple[torch.Tensor, torch.Tensor]  # labelled X training images: only for the metric's classifier
    y_labelled: tuple[torch.Tensor, torch.Tensor]
    batch_size: int
    rng: torch.Generator

    def next_batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        def pick(images: torch.Tensor) -> torch.Tensor:
            return images[torch.randint(len(images), (self.batch_size,), generator=self.rng)]

        return pick(self.x_train), pick(self.y_train)


def _folder(config: GanConfig) -> Path:
    return Path(config.data.folder)


def _image_set(config: GanConfig) -> tuple[torch.Tensor, torch.Tensor]:
    name, size = config.data.name, image_size(config.data)
    if name == "digits8":
        images, labels = digit_images.load_sklearn_digits()
    elif name == "mnist":
        images, labels = digit_images.load_mnist_test(_folder(config))
    else:
        images, labels = digit_images.load_usps(_folder(config), "train")
    return digit_images.resize(images, size), labels


def _domain_pair(config: GanConfig, rng: torch.Generator) -> DomainPairData:
    size = image_size(config.data)
    mnist, mnist_labels = digit_images.load_mnist_test(_folder(config))
    mnist = digit_images.mnist_to_usps_frame(mnist, size)
    order = torch.randperm(len(mnist), generator=torch.Generator().manual_seed(0))
    train, held_out = order[:-MNIST_EVAL_SIZE], order[-MNIST_EVAL_SIZE:]
    usps, usps_labels = digit_images.load_usps(_folder(config), "train")
    usps_test, usps_test_labels = digit_images.load_usps(_folder(config), "test")
    usps, usps_test = digit_images.resize(usps, size), digit_images.resize(usps_test, size)
    return DomainPairData(
        x_train=mnist[train], y_train=usps,
        x_eval=(mnist[held_out], mnist_labels[held_out]), y_eval=(usps_test, usps_test_labels),
        x_labelled=(mnist[train], mnist_labels[train]), y_labelled=(usps, usps_labels),
        batch_size=config.train.batch_size, rng=rng,
    )


def load_gan_data(config: GanConfig, rng: torch.Generator) -> MixtureData | ImageData | DomainPairData:
    d = config.data
    if d.name in STANDARD_STD:
        modes = ring_modes(8, d.radius) if d.name == "ring" else grid_modes(5, d.spacing)
        return MixtureData(modes, d.std or STANDARD_STD[d.name], config.train.batch_size, rng)
    if d.name == "mnist_usps":
        return _domain_pair(config, rng)
    images, labels = _image_set(config)
    return ImageData(images, labels, config.train.batch_size, rng)
