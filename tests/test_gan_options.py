"""PacGAN packing (model.pack) and linear learning-rate decay (train.lr_decay): shapes, validation, the decay
schedule on both sides, and its survival through a checkpoint."""
import pytest
import torch

from unmt.config import ConfigError
from unmt.gan.build import build_nets, build_task, build_trainer
from unmt.gan.config import load_gan_config
from unmt.gan.mlp import MLPDiscriminator
from unmt.run_directory import RunDirectory, latest_checkpoint, load_trainer_state


def test_a_packed_discriminator_scores_groups_of_consecutive_samples():
    torch.manual_seed(0)
    d = MLPDiscriminator(16, 2, pack=4)
    x = torch.randn(12, 2)
    scores = d(x)
    assert scores.shape == (3,)
    assert torch.allclose(scores, d.net(x.reshape(3, 8)).squeeze(-1))
    changed = x.clone()
    changed[5] += 1.0  # second group only
    new = d(changed)
    assert torch.equal(new[0], scores[0]) and torch.equal(new[2], scores[2]) and not torch.equal(new[1], scores[1])


def test_a_packed_gan_trains_one_step_with_every_mixture_loss():
    for loss in (
        ["loss.type=nonsaturating"], ["loss.type=wgan_gp"], ["loss.type=wasserstein", "loss.weight_clip=0.01"]
    ):
        config = load_gan_config(
            "configs/gan_grid.yaml", ["model.pack=4", "model.hidden=8", "train.batch_size=32", *loss]
        )
        nets = build_nets(config)
        trainer = build_trainer(config, nets, build_task(config, nets, torch.Generator().manual_seed(0)))
        metrics = trainer.step(lambda: torch.randn(32, 2))
        assert all(torch.isfinite(torch.tensor(v)) for v in metrics.values())


@pytest.mark.parametrize(
    "overrides, fragment",
    [
        (["model.pack=3"], "multiple of model.pack"),
        (["model.pack=0"], "'model.pack' must be at least 1"),
        (["train.lr_decay=cosine"], "'train.lr_decay' must be one of none, linear"),
    ],
)
def test_bad_packing_and_decay_settings_are_config_errors(overrides, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_gan_config("configs/gan_ring.yaml", ["train.batch_size=256", *overrides])


def test_packing_is_refused_outside_the_mlp():
    with pytest.raises(ConfigError, match="only for model.arch=mlp"):
        load_gan_config("configs/gan_dcgan_digits.yaml", ["model.pack=2"])


def _trainer(overrides):
    config = load_gan_config(
        "configs/gan_ring.yaml",
        ["model.hidden=8", "train.steps=10", "train.g_lr=0.001", "train.d_lr=0.002", *overrides],
    )
    nets = build_nets(config)
    return config, nets, build_trainer(config, nets, build_task(config, nets, torch.Generator().manual_seed(0)))


def _rates(trainer):
    return trainer.d_optimizer.param_groups[0]["lr"], trainer.g_optimizer.param_groups[0]["lr"]


def test_linear_decay_lowers_both_rates_on_the_generator_clock_and_resumes(tmp_path):
    config, nets, trainer = _trainer(["train.lr_decay=linear", "train.n_critic=2"])
    batch = torch.randn(16, 2)
    for _ in range(4):
        trainer.step(lambda: batch)
    assert _rates(trainer) == pytest.approx((0.002 * 0.6, 0.001 * 0.6))
    (tmp_path / "config.json").write_text("{}")
    weights = {n: net.state_dict() for n, net in nets.items()}
    RunDirectory(tmp_path).save_checkpoint(4, weights, trainer.state_dict(), {"step": 4, "seconds": 0.0})
    _, _, fresh = _trainer(["train.lr_decay=linear", "train.n_critic=2"])
    fresh.load_state_dict(load_trainer_state(latest_checkpoint(tmp_path))[0])
    fresh.step(lambda: batch)
    assert _rates(fresh) == pytest.approx((0.002 * 0.5, 0.001 * 0.5))


def test_without_decay_the_rates_stay_put():
    _, _, trainer = _trainer(["train.lr_decay=none"])
    batch = torch.randn(16, 2)
    for _ in range(4):
        trainer.step(lambda: batch)
    assert _rates(trainer) == (0.002, 0.001)
