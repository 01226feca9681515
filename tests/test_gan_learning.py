"""Tiny trainings that must show learning within seconds: the ring's modes, the WGAN-GP critic's estimate, the
DCGAN's Frechet distance on 8x8 digits and CycleGAN's cycle loss."""
import json

import pytest
import torch

from unmt.adversarial.trainer import AlternatingConfig, AlternatingTrainer
from unmt.gan.build import build_nets, build_task
from unmt.gan.config import GanLossConfig, load_gan_config
from unmt.gan.cyclegan_nets import CycleGenerator, PatchDiscriminator
from unmt.gan.cyclegan_task import CycleGANTask
from unmt.gan.datasets import load_gan_data
from unmt.gan.evaluate import generate
from unmt.gan.images import load_sklearn_digits, resize
from unmt.gan.metrics_mixture import earth_mover_distance
from unmt.gan.objectives import objective_for
from unmt.gan.train import GanRun

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


def _evals(run_dir):
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in records if r["kind"] == "eval"], [r for r in records if r["kind"] == "train"]


def test_ring_gan_captures_more_modes_than_at_initialisation(tmp_path):
    config = load_gan_config(
        "configs/gan_ring.yaml", ["train.steps=800", "train.eval_every=800", "train.eval_samples=1000", "data.std=0.05"]
    )
    GanRun(config, tmp_path).run()
    evals, _ = _evals(tmp_path)
    first, last = evals[0], evals[-1]
    assert last["modes_captured"] > first["modes_captured"]
    assert last["emd"] < 0.5 * first["emd"]
    assert (tmp_path / "pictures" / "curves.png").is_file() and (tmp_path / "latest").is_file()


def test_wgan_gp_critic_estimate_approaches_the_true_distance_from_below():
    """With the generator frozen, a gradient-penalised (about 1-Lipschitz) critic's estimate E f(x) - E f(g(z))
    must be positive and close to, but not far above, the exact Wasserstein-1 distance."""
    torch.manual_seed(0)
    config = load_gan_config("configs/gan_ring.yaml", ["loss.type=wgan_gp"])
    rng = torch.Generator().manual_seed(0)
    nets, data = build_nets(config), load_gan_data(config, rng)
    task = build_task(config, nets, rng)
    optimizer = torch.optim.Adam(nets["discriminator"].parameters(), 1e-3, betas=(0.5, 0.9))
    estimates = []
    for _ in range(300):
        loss, metrics = task.discriminator_loss(data.next_batch())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        estimates.append(metrics["wasserstein_estimate"])
    with torch.no_grad():
        true_distance = earth_mover_distance(generate(nets["generator"], 1000, rng), data.sample(1000, rng))
    estimate = sum(estimates[-20:]) / 20
    assert 0.6 * true_distance < estimate < 1.1 * true_distance
    assert estimate > estimates[0]


def test_dcgan_on_8x8_digits_moves_towards_the_real_features(tmp_path):
    overrides = ["train.steps=150", "train.eval_every=150", "model.channels=16"]
    GanRun(load_gan_config("configs/gan_dcgan_digits.yaml", overrides), tmp_path).run()
    evals, _ = _evals(tmp_path)
    assert evals[-1]["frechet"] < 0.5 * evals[0]["frechet"]
    assert (tmp_path / "classifiers" / "real.safetensors").is_file()
    assert (tmp_path / "pictures" / "nearest.png").is_file()


def test_cyclegan_cycle_loss_falls_between_two_synthetic_digit_domains():
    """X: 8x8 digits upsampled to 16x16; Y: the same digits with inverted contrast. No external files needed."""
    torch.manual_seed(0)
    images, _ = load_sklearn_digits()
    x_all = resize(images, 16)
    y_all = -x_all.flip(0)
    nets = {
        "g": CycleGenerator(8, 1), "f": CycleGenerator(8, 1), "d_x": PatchDiscriminator(8),
        "d_y": PatchDiscriminator(8)
    }
    rng = torch.Generator().manual_seed(0)
    task = CycleGANTask(nets, objective_for(GanLossConfig(type="least_squares")), 10.0, 5.0, 50, rng)
    g_params = [p for k in ("g", "f") for p in nets[k].parameters()]
    d_params = [p for k in ("d_x", "d_y") for p in nets[k].parameters()]
    trainer = AlternatingTrainer(task, torch.optim.Adam(d_params, 2e-4, betas=(0.5, 0.999)),
                                 torch.optim.Adam(g_params, 1e-3, betas=(0.5, 0.999)), AlternatingConfig())

    def draw():
        rows = torch.randint(len(x_all), (16,), generator=rng), torch.randint(len(y_all), (16,), generator=rng)
        return x_all[rows[0]], y_all[rows[1]]

    cycles = [trainer.step(draw)["cycle_loss"] for _ in range(60)]
    assert sum(cycles[-10:]) / 10 < 0.6 * sum(cycles[:5]) / 5
