"""The GAN run configuration: dataclasses, YAML + `--set key=value` loading, and validation.

The YAML parsing and type checks are those of the translation config (unmt.config); the sections and the
cross-checks (which loss goes with which architecture and data) are the GAN's own. Every mistake is a
ConfigError naming the key, raised before any work starts.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from unmt.config import ConfigError, from_dict, read_values

MIXTURES = ("ring", "grid")
IMAGES = ("digits8", "mnist", "usps")
PAIRED_DOMAINS = ("mnist_usps",)
LOSSES = ("minimax", "nonsaturating", "wasserstein", "wgan_gp", "hinge", "least_squares")


@dataclass
class GanDataConfig:
    name: str = "ring"  # ring | grid | digits8 | mnist | usps | mnist_usps (CycleGAN: X = MNIST, Y = USPS)
    folder: str = ""  # folder with the MNIST/USPS files; needed for mnist, usps and mnist_usps
    std: float = 0.0  # mixture noise; 0 = the VEEGAN/PacGAN value (ring 0.01, grid 0.05)
    radius: float = 1.0  # ring radius
    spacing: float = 2.0  # grid spacing
    image_size: int = 0  # 0 = native (digits8: 8, mnist: 28, usps: 16, mnist_usps: 16)


@dataclass
class GanModelConfig:
    arch: str = "mlp"  # mlp (2-D data) | dcgan (images) | cyclegan (two image domains)
    latent_dim: int = 2
    hidden: int = 128  # mlp width
    layers: int = 3  # mlp hidden layers
    pack: int = 1  # mlp: PacGAN (Lin et al. 2018) -- D judges `pack` samples at once, which exposes mode collapse
    channels: int = 32  # base number of conv filters
    g_batch_norm: bool = True
    d_batch_norm: bool = True
    constant_filters: bool = False  # WGAN paper's "tweaks removed": the same number of filters in every G layer
    residual_blocks: int = 2  # cyclegan generator depth


@dataclass
class GanLossConfig:
    type: str = "nonsaturating"  # minimax | nonsaturating | wasserstein | wgan_gp | hinge | least_squares
    real_label: float = 1.0  # < 1: one-sided label smoothing (minimax / nonsaturating only)
    weight_clip: float = 0.0  # critic weight clipping; wasserstein needs it (0.01 in the WGAN paper)
    gp_weight: float = 10.0  # wgan_gp penalty weight
    cycle_weight: float = 10.0  # cyclegan L1 cycle-consistency weight
    identity_weight: float = 5.0  # cyclegan identity weight (0.5 * cycle_weight in the paper)
    pool_size: int = 50  # cyclegan history of generated images shown to the discriminators


@dataclass
class GanTrainConfig:
    seed: int = 1
    steps: int = 2000  # generator updates
    batch_size: int = 64
    n_critic: int = 1  # discriminator updates per generator update
    optimizer: str = "adam"  # adam | rmsprop
    g_lr: float = 2e-4
    d_lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    lr_decay: str = "none"  # none | linear: both learning rates fall linearly to 0 at train.steps, to settle samples
    log_every: int = 50
    eval_every: int = 500  # metrics, sample grid and checkpoint
    eval_samples: int = 2500  # generated samples per evaluation (2,500 is the VEEGAN/PacGAN protocol)
    max_minutes: float = 0.0  # wall-clock budget; 0 = none
    threads: int = 1  # torch CPU threads
    tensorboard: bool = True  # TensorBoard events beside metrics.jsonl (needs the tensorboard extra)


@dataclass
class GanConfig:
    data: GanDataConfig = field(default_factory=GanDataConfig)
    model: GanModelConfig = field(default_factory=GanModelConfig)
    loss: GanLossConfig = field(default_factory=GanLossConfig)
    train: GanTrainConfig = field(default_factory=GanTrainConfig)


def load_gan_config(path: Path | None = None, overrides: list[str] = ()) -> GanConfig:
    config = from_dict(GanConfig, read_values(path, overrides))
    validate_gan_config(config)
    return config


def image_size(data: GanDataConfig) -> int:
    native = {"digits8": 8, "mnist": 28, "usps": 16, "mnist_usps": 16}
    return data.image_size or native[data.name]


def _checks(config: GanConfig) -> list[tuple[bool, str]]:
    d, m, l, t = config.data, config.model, config.loss, config.train
    return [
        (d.name in MIXTURES + IMAGES + PAIRED_DOMAINS, f"data.name must be one of {', '.join(MIXTURES + IMAGES + PAIRED_DOMAINS)}, got {d.name!r}"),
        (d.name in ("digits8",) + MIXTURES or bool(d.folder), f"data.folder must name the MNIST/USPS folder for data.name={d.name} (or pass --data)"),
        (d.std >= 0 and d.radius > 0 and d.spacing > 0, "data.std must be >= 0 and data.radius, data.spacing > 0"),
        (d.image_size in (0, 8, 16, 28), f"data.image_size must be 0 (native), 8, 16 or 28, got {d.image_size}"),
        (m.arch in ("mlp", "dcgan", "cyclegan"), f"model.arch must be mlp, dcgan or cyclegan, got {m.arch!r}"),
        (m.arch != "mlp" or d.name in MIXTURES, f"model.arch=mlp is for the 2-D mixtures, not data.name={d.name}"),
        (m.arch != "dcgan" or d.name in IMAGES, f"model.arch=dcgan needs data.name digits8, mnist or usps, not {d.name}"),
        (m.arch != "cyclegan" or d.name in PAIRED_DOMAINS, f"model.arch=cyclegan needs data.name=mnist_usps, not {d.name}"),
        (m.latent_dim >= 1 and m.hidden >= 1 and m.layers >= 1, "model.latent_dim, model.hidden, model.layers must be >= 1"),
        (m.pack >= 1 and (m.pack == 1 or m.arch == "mlp"), "model.pack must be >= 1 and packing is only for model.arch=mlp"),
        (m.pack < 1 or t.batch_size % m.pack == 0, f"train.batch_size ({t.batch_size}) must be a multiple of model.pack ({m.pack})"),
        (m.channels >= 1 and m.residual_blocks >= 0, "model.channels must be >= 1 and model.residual_blocks >= 0"),
        (l.type in LOSSES, f"loss.type must be one of {', '.join(LOSSES)}, got {l.type!r}"),
        (0 < l.real_label <= 1, f"loss.real_label must be in (0, 1], got {l.real_label}"),
        (l.real_label == 1 or l.type in ("minimax", "nonsaturating"), "loss.real_label < 1 only applies to minimax or nonsaturating"),
        (l.weight_clip >= 0 and l.gp_weight >= 0, "loss.weight_clip and loss.gp_weight must be >= 0"),
        (l.type != "wasserstein" or l.weight_clip > 0, "loss.type=wasserstein needs loss.weight_clip > 0 (0.01 in the WGAN paper) to keep the critic Lipschitz"),
        (l.type != "wgan_gp" or l.weight_clip == 0, "loss.type=wgan_gp replaces clipping: set loss.weight_clip to 0"),
        (l.type != "wgan_gp" or not m.d_batch_norm or m.arch == "mlp", "loss.type=wgan_gp needs model.d_batch_norm=false: the penalty is per sample and batch norm mixes samples"),
        (l.cycle_weight >= 0 and l.identity_weight >= 0 and l.pool_size >= 0, "loss.cycle_weight, loss.identity_weight, loss.pool_size must be >= 0"),
        (t.steps > 0 and t.batch_size > 1 and t.n_critic >= 1, "train.steps and train.n_critic must be >= 1 and train.batch_size >= 2"),
        (t.lr_decay in ("none", "linear"), f"train.lr_decay must be none or linear, got {t.lr_decay!r}"),
        (t.optimizer in ("adam", "rmsprop"), f"train.optimizer must be adam or rmsprop, got {t.optimizer!r}"),
        (t.g_lr > 0 and t.d_lr > 0, "train.g_lr and train.d_lr must be positive"),
        (0 <= t.beta1 < 1 and 0 <= t.beta2 < 1, "train.beta1 and train.beta2 must be in [0, 1)"),
        (t.log_every > 0 and t.eval_every > 0 and t.eval_samples >= 10, "train.log_every, train.eval_every must be > 0 and train.eval_samples >= 10"),
        (t.max_minutes >= 0 and t.threads >= 0, "train.max_minutes and train.threads must be >= 0"),
    ]


def validate_gan_config(config: GanConfig) -> None:
    for ok, message in _checks(config):
        if not ok:
            raise ConfigError(message)
