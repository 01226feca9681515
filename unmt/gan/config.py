"""The GAN run configuration, in the typed dialect of every trainer (unmt.typed_config): each key's type, default,
help and bounds in its field, `Literal` choices; `validate` keeps only the rules that relate several keys (which
loss goes with which architecture and data). Every mistake is a ConfigError naming the key, raised before any work.
`unmt gan options` prints the reference.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from unmt.typed_config import ConfigError, from_dict, option, read_values, section

MIXTURES = ("ring", "grid")
IMAGES = ("digits8", "mnist", "usps")
PAIRED_DOMAINS = ("mnist_usps",)


@dataclass
class GanDataConfig:
    """What the GAN learns to draw: a 2-D mixture, digits, or two digit domains (CycleGAN)."""
    name: Literal["ring", "grid", "digits8", "mnist", "usps", "mnist_usps"] = option(
        "ring", "data set; mnist_usps: CycleGAN between X = MNIST and Y = USPS")
    folder: str = option("", "folder with the MNIST/USPS files; needed for mnist, usps and mnist_usps")
    std: float = option(0.0, "mixture noise; 0 = the VEEGAN/PacGAN value (ring 0.01, grid 0.05)", at_least=0)
    radius: float = option(1.0, "ring radius", above=0)
    spacing: float = option(2.0, "grid spacing", above=0)
    image_size: Literal[0, 8, 16, 28] = option(
        0, "image side; 0 = native (digits8: 8, mnist: 28, usps: 16, mnist_usps: 16)"
    )


@dataclass
class GanModelConfig:
    """The generator and discriminator networks."""

    arch: Literal["mlp", "dcgan", "cyclegan"] = option(
        "mlp", "mlp (2-D data), dcgan (images), cyclegan (two image domains)"
    )
    latent_dim: int = option(2, "latent dimensions", at_least=1)
    hidden: int = option(128, "mlp width", at_least=1)
    layers: int = option(3, "mlp hidden layers", at_least=1)
    pack: int = option(
        1, "mlp: PacGAN (Lin et al. 2018), D judges this many samples at once, which exposes mode collapse", at_least=1
    )
    channels: int = option(32, "base number of conv filters", at_least=1)
    g_batch_norm: bool = option(True, "batch norm in the generator")
    d_batch_norm: bool = option(True, "batch norm in the discriminator")
    constant_filters: bool = option(
        False, "the WGAN paper's 'tweaks removed': the same number of filters in every G layer"
    )
    residual_blocks: int = option(2, "cyclegan generator depth", at_least=0)


@dataclass
class GanLossConfig:
    """The adversarial objective and its regularisers."""
    type: Literal["minimax", "nonsaturating", "wasserstein", "wgan_gp", "hinge", "least_squares"] = option(
        "nonsaturating", "the GAN loss")
    real_label: float = option(1.0, "< 1: one-sided label smoothing (minimax / nonsaturating only)", above=0, at_most=1)
    weight_clip: float = option(
        0.0, "critic weight clipping; wasserstein needs it (0.01 in the WGAN paper)", at_least=0
    )
    gp_weight: float = option(10.0, "wgan_gp penalty weight", at_least=0)
    cycle_weight: float = option(10.0, "cyclegan L1 cycle-consistency weight", at_least=0)
    identity_weight: float = option(5.0, "cyclegan identity weight (0.5 * cycle_weight in the paper)", at_least=0)
    pool_size: int = option(50, "cyclegan history of generated images shown to the discriminators", at_least=0)


@dataclass
class GanTrainConfig:
    """Optimisers, budgets and cadence."""
    seed: int = option(1, "random seed")
    steps: int = option(2000, "generator updates", at_least=1)
    batch_size: int = option(64, "samples per batch", at_least=2)
    n_critic: int = option(1, "discriminator updates per generator update", at_least=1)
    optimizer: Literal["adam", "rmsprop"] = option("adam", "optimiser of both networks")
    g_lr: float = option(2e-4, "generator learning rate", above=0)
    d_lr: float = option(2e-4, "discriminator learning rate", above=0)
    beta1: float = option(0.5, "Adam beta1", at_least=0, below=1)
    beta2: float = option(0.999, "Adam beta2", at_least=0, below=1)
    lr_decay: Literal["none", "linear"] = option(
        "none", "linear: both learning rates fall linearly to 0 at train.steps, to settle samples"
    )
    log_every: int = option(50, "steps between train lines", at_least=1)
    eval_every: int = option(500, "steps between metrics, sample grid and checkpoint", at_least=1)
    eval_samples: int = option(
        2500, "generated samples per evaluation (2,500 is the VEEGAN/PacGAN protocol)", at_least=10
    )
    max_minutes: float = option(0.0, "wall-clock budget; 0 = none", at_least=0)
    threads: int = option(1, "torch CPU threads", at_least=0)
    tensorboard: bool = option(True, "TensorBoard events beside the metrics lines (needs the tensorboard extra)")


@dataclass
class GanConfig:
    data: GanDataConfig = section(GanDataConfig)
    model: GanModelConfig = section(GanModelConfig)
    loss: GanLossConfig = section(GanLossConfig)
    train: GanTrainConfig = section(GanTrainConfig)


def load_gan_config(path: Path | None = None, overrides: list[str] = ()) -> GanConfig:
    config = from_dict(GanConfig, read_values(path, overrides))
    validate_gan_config(config)
    return config


def image_size(data: GanDataConfig) -> int:
    native = {"digits8": 8, "mnist": 28, "usps": 16, "mnist_usps": 16}
    return data.image_size or native[data.name]


def validate_gan_config(config: GanConfig) -> None:
    """The rules that relate several keys; each key's own type, choices and bounds were checked when it was read."""
    d, m, loss, t = config.data, config.model, config.loss, config.train
    checks = [
        (
            d.name in ("digits8",) + MIXTURES or bool(d.folder),
            f"data.folder must name the MNIST/USPS folder for data.name={d.name} (or pass --data)",
        ),
        (m.arch != "mlp" or d.name in MIXTURES, f"model.arch=mlp is for the 2-D mixtures, not data.name={d.name}"),
        (
            m.arch != "dcgan" or d.name in IMAGES,
            f"model.arch=dcgan needs data.name digits8, mnist or usps, not {d.name}",
        ),
        (
            m.arch != "cyclegan" or d.name in PAIRED_DOMAINS,
            f"model.arch=cyclegan needs data.name=mnist_usps, not {d.name}",
        ),
        (m.pack == 1 or m.arch == "mlp", "model.pack > 1 (packing) is only for model.arch=mlp"),
        (t.batch_size % m.pack == 0, f"train.batch_size ({t.batch_size}) must be a multiple of model.pack ({m.pack})"),
        (
            loss.real_label == 1 or loss.type in ("minimax", "nonsaturating"),
            "loss.real_label < 1 only applies to minimax or nonsaturating",
        ),
        (
            loss.type != "wasserstein" or loss.weight_clip > 0,
            "loss.type=wasserstein needs loss.weight_clip > 0 (0.01 in the WGAN paper) to keep the critic Lipschitz",
        ),
        (
            loss.type != "wgan_gp" or loss.weight_clip == 0,
            "loss.type=wgan_gp replaces clipping: set loss.weight_clip to 0",
        ),
        (
            loss.type != "wgan_gp" or not m.d_batch_norm or m.arch == "mlp",
            "loss.type=wgan_gp needs model.d_batch_norm=false: the penalty is per sample and batch norm mixes samples",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
