"""One evaluation of a GAN run, by data kind: mode metrics and EMD on mixtures, classifier metrics on digits,
label preservation in both directions for CycleGAN. Networks are put in eval mode and restored afterwards."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import torch
from torch import nn

from unmt.gan.classifier import cached_classifier
from unmt.gan.datasets import DomainPairData, ImageData, MixtureData
from unmt.gan.metrics_digits import digit_metrics, paired_change
from unmt.gan.metrics_mixture import earth_mover_distance, mode_metrics


@contextmanager
def evaluating(nets: dict[str, nn.Module]):
    modes = {name: net.training for name, net in nets.items()}
    for net in nets.values():
        net.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for name, net in nets.items():
            net.train(modes[name])


def generate(generator: nn.Module, n: int, rng: torch.Generator, batch: int = 500) -> torch.Tensor:
    latents = torch.randn(n, generator.latent_dim, generator=rng)
    return torch.cat([generator(chunk) for chunk in latents.split(batch)])


def translate(net: nn.Module, images: torch.Tensor, batch: int = 500) -> torch.Tensor:
    return torch.cat([net(chunk) for chunk in images.split(batch)])


def correct_labels(classifier, images: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    probs, _ = classifier.predict(images)
    return probs.argmax(-1) == labels


def evaluate_run(nets: dict[str, nn.Module], data, n_samples: int, classifier_dir: Path, seed: int) -> dict:
    rng = torch.Generator().manual_seed(seed + 12345)  # evaluation noise, independent of the training stream
    with evaluating(nets):
        if isinstance(data, MixtureData):
            samples = generate(nets["generator"], n_samples, rng)
            result = mode_metrics(samples, data.modes, data.std)
            result["emd"] = earth_mover_distance(samples, data.sample(n_samples, rng))
            return result
        if isinstance(data, ImageData):
            (reference, _), (floor_set, _) = data.halves()
            classifier, accuracy = cached_classifier(classifier_dir / "real", data.images, data.labels)
            generated = generate(nets["generator"], len(floor_set), rng)
            return {**digit_metrics(classifier, generated, reference, floor_set), "classifier_accuracy": accuracy}
        return _label_preservation(nets, data, classifier_dir)


def _label_preservation(nets: dict[str, nn.Module], data: DomainPairData, classifier_dir: Path) -> dict:
    """Accuracy of a target-domain classifier on translated held-out images, against their source labels, next
    to the source-only baseline: the same classifier on the untranslated images."""
    classifier_x, accuracy_x = cached_classifier(classifier_dir / "domain_x", *data.x_labelled)
    classifier_y, accuracy_y = cached_classifier(classifier_dir / "domain_y", *data.y_labelled)
    (x, x_labels), (y, y_labels) = data.x_eval, data.y_eval
    result = {}
    for direction, net, classifier, images, labels in (("x_to_y", nets["g"], classifier_y, x, x_labels),
                                                       ("y_to_x", nets["f"], classifier_x, y, y_labels)):
        after = correct_labels(classifier, translate(net, images), labels)
        before = correct_labels(classifier, images, labels)
        result[f"{direction}_accuracy"] = float(after.float().mean())
        result[f"{direction}_source_only"] = float(before.float().mean())
        result.update({f"{direction}_{key}": value for key, value in paired_change(before, after).items()})
    return {
        **result,
        "cycle_l1_x": float((translate(nets["f"], translate(nets["g"], x)) - x).abs().mean()),
        "cycle_l1_y": float((translate(nets["g"], translate(nets["f"], y)) - y).abs().mean()),
        "classifier_x_accuracy": accuracy_x,
        "classifier_y_accuracy": accuracy_y,
    }
