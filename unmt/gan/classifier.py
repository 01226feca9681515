"""A small digit classifier trained locally on real images: the measuring instrument of the digit metrics.

It stands in for the Inception network of IS/FID, which would be both out of domain for 8x8 digits and too
big for a 2-core CPU. It trains in seconds and is cached in the run folder (safetensors + JSON), so every
evaluation of a run uses the same instrument.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file
from torch import nn

FEATURES = 64


class DigitClassifier(nn.Module):
    """Works on any square size from 8 up: two stride-2 convolutions, then a 2x2 average pool."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(),
            nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(64, 64, 3, stride=2, padding=1), nn.ReLU(),
            nn.AdaptiveAvgPool2d(2), nn.Flatten(),
            nn.Linear(256, FEATURES), nn.ReLU(),
        )
        self.head = nn.Linear(FEATURES, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))

    @torch.no_grad()
    def predict(self, images: torch.Tensor, batch: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
        """(class probabilities (N, 10), penultimate features (N, FEATURES)), in eval mode."""
        self.eval()
        probs, feats = [], []
        for chunk in images.split(batch):
            features = self.body(chunk)
            feats.append(features)
            probs.append(F.softmax(self.head(features), dim=-1))
        return torch.cat(probs), torch.cat(feats)


def train_classifier(
    images: torch.Tensor, labels: torch.Tensor, seed: int, epochs: int = 8
) -> tuple[DigitClassifier, float]:
    """Trains on 90% of the images and returns the classifier with its accuracy on the other 10%."""
    rng = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():  # a fixed initialisation without disturbing the caller's random stream
        torch.manual_seed(seed)
        model = DigitClassifier()
    order = torch.randperm(len(images), generator=rng)
    n_val = max(len(images) // 10, 1)
    val, train = order[:n_val], order[n_val:]
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    with torch.enable_grad():  # callers may be inside an evaluation's no_grad block
        _fit(model, optimizer, images[train], labels[train], epochs, rng)
    probs, _ = model.predict(images[val])
    return model, float((probs.argmax(-1) == labels[val]).float().mean())


def _fit(model, optimizer, images, labels, epochs, rng) -> None:
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(images), generator=rng).split(64):
            loss = F.cross_entropy(model(images[batch]), labels[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()


def cached_classifier(
    cache: Path, images: torch.Tensor, labels: torch.Tensor, seed: int = 0
) -> tuple[DigitClassifier, float]:
    """Loads `cache`.safetensors if present, else trains and writes it (with its held-out accuracy in JSON)."""
    weights, info = cache.with_suffix(".safetensors"), cache.with_suffix(".json")
    model = DigitClassifier()
    if weights.is_file() and info.is_file():
        model.load_state_dict(load_file(str(weights)))
        return model, json.loads(info.read_text())["held_out_accuracy"]
    model, accuracy = train_classifier(images, labels, seed)
    cache.parent.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(weights))
    info.write_text(json.dumps({"held_out_accuracy": accuracy, "images": len(images), "seed": seed}))
    return model, accuracy
