"""PNG pictures of a GAN run (matplotlib, Agg backend: no display needed).

sample grid, 2-D scatter against the modes, latent interpolation strip, generated images beside their nearest
training images (a memorisation check), CycleGAN translation rows, and loss/metric curves from metrics.jsonl.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from unmt.run_directory import read_metrics  # noqa: E402


def _tile(images: torch.Tensor, columns: int) -> torch.Tensor:
    """(N, 1, S, S) in [-1, 1] -> one array in [0, 1], cells separated by a 1-pixel grey line."""
    n, _, size, _ = images.shape
    rows, cell = -(-n // columns), size + 1
    canvas = torch.full((rows * cell + 1, columns * cell + 1), 0.5)
    for i, image in enumerate(images):
        r, c = divmod(i, columns)
        canvas[1 + r * cell : 1 + r * cell + size, 1 + c * cell : 1 + c * cell + size] = (image[0] + 1) / 2
    return canvas.clamp(0, 1)


def _save(figure, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)


def image_grid(images: torch.Tensor, path: Path, title: str = "", columns: int = 8) -> None:
    figure, axis = plt.subplots(figsize=(columns, -(-len(images) // columns)))
    axis.imshow(_tile(images.detach().cpu(), columns).numpy(), cmap="gray", vmin=0, vmax=1)
    axis.set_axis_off()
    axis.set_title(title)
    _save(figure, path)


def scatter_samples(samples: torch.Tensor, modes: torch.Tensor, path: Path, title: str = "") -> None:
    samples, modes = samples.detach().cpu().numpy(), modes.numpy()
    figure, axis = plt.subplots(figsize=(5, 5))
    axis.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4, label="generated")
    axis.scatter(modes[:, 0], modes[:, 1], s=40, marker="x", color="red", label="modes")
    axis.set_aspect("equal")
    axis.legend(loc="upper right")
    axis.set_title(title)
    _save(figure, path)


def interpolation_strip(generator, path: Path, rng: torch.Generator, rows: int = 4, steps: int = 10) -> None:
    """Rows of G(z) along straight lines between random latent pairs; smooth change means the generator did not
    just memorise isolated points."""
    start, end = (
        torch.randn(rows, generator.latent_dim, generator=rng),
        torch.randn(rows, generator.latent_dim, generator=rng),
    )
    weights = torch.linspace(0, 1, steps)
    latents = torch.stack([(1 - w) * start + w * end for w in weights], dim=1).reshape(rows * steps, -1)
    with torch.no_grad():
        outputs = generator(latents)
    if outputs.dim() == 2:  # 2-D data: draw each interpolation as a path through the plane
        figure, axis = plt.subplots(figsize=(5, 5))
        for row in outputs.reshape(rows, steps, 2).numpy():
            axis.plot(row[:, 0], row[:, 1], marker="o", markersize=3)
        axis.set_aspect("equal")
        axis.set_title("latent interpolation paths")
        _save(figure, path)
    else:
        image_grid(outputs, path, "latent interpolation (one line of z per row)", columns=steps)


def nearest_neighbours(generated: torch.Tensor, training: torch.Tensor, path: Path) -> None:
    """Each generated image (left of a pair) beside its nearest training image in pixel space (right)."""
    distances = torch.cdist(generated.flatten(1), training.flatten(1))
    nearest = training[distances.argmin(dim=1)]
    pairs = torch.stack([generated, nearest], dim=1).flatten(0, 1)
    image_grid(pairs, path, "generated | nearest training image", columns=8)


def translation_rows(
    x: torch.Tensor, translated: torch.Tensor, reconstructed: torch.Tensor, path: Path, title: str
) -> None:
    image_grid(
        torch.cat([x, translated, reconstructed]), path, f"{title}: input / translated / cycled back", columns=len(x)
    )


def curves(metrics_file: Path, path: Path) -> None:
    """Training losses (left) and evaluation metrics (right) against the step."""
    records = read_metrics(metrics_file)
    train = [r for r in records if r.get("kind") == "train"]
    evals = [r for r in records if r.get("kind") == "eval"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    for key in sorted({k for r in train for k in r if k not in ("kind", "step", "seconds")}):
        left.plot([r["step"] for r in train if key in r], [r[key] for r in train if key in r], label=key)
    left.set_xlabel("step")
    if left.lines:
        left.legend(fontsize=7)
    numeric = sorted(
        {k for r in evals for k, v in r.items() if isinstance(v, (int, float)) and k not in ("step", "seconds")}
    )
    numeric = [k for k in numeric if len({r.get(k) for r in evals}) > 1]  # constants (e.g. modes_total) say nothing
    for key in numeric:
        right.plot([r["step"] for r in evals if key in r], [r[key] for r in evals if key in r], marker="o", label=key)
    right.set_xlabel("step")
    right.set_yscale("symlog")
    if right.lines:
        right.legend(fontsize=7)
    _save(figure, path)
