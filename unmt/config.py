"""Typed run configuration: dataclasses, YAML loading, `--set a.b=value` overrides, and validation.

Every mistake (unknown key, wrong type, impossible value) becomes a ConfigError with one sentence that names
the key, raised before any work starts.
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from unmt.data.noise import NoiseConfig
from unmt.schedules import PiecewiseLinear


class ConfigError(ValueError):
    pass


# The defaults are the demo: `unmt train --src en --tgt fr` on the embedded toy corpus, 10 minutes on a 2-core
# CPU (configs/toy.yaml spells them out). Real corpora want a config of their own, e.g. configs/multi30k_en_fr.yaml.


@dataclass
class DataConfig:
    vocab_size: int = 1000  # joint SentencePiece size (a small corpus may yield fewer pieces)
    vocab_type: str = "bpe"  # bpe | unigram
    max_len: int = 40  # training sentences longer than this many subwords are skipped
    max_tokens: int = 500  # padded source tokens per language per batch
    toy_sentences: int = 20000  # monolingual sentences per language of the embedded toy corpus


@dataclass
class ModelConfig:
    d_model: int = 128
    n_heads: int = 4
    encoder_layers: int = 2
    decoder_layers: int = 2
    ffn_dim: int = 512
    # A rate, or a schedule `step:value,...` over UNMT steps like the loss weights: on a step-starved run dropout
    # pays only once the model has seen its data a few times.
    dropout: str = "0.0"
    activation: str = "relu"


@dataclass
class DiscriminatorConfig:
    hidden: int = 512
    layers: int = 3
    dropout: float = 0.1
    lr: float = 5e-4
    smoothing: float = 0.1  # label smoothing of the discriminator's language targets
    fooling_target: str = "flip"  # flip | uniform: what the encoder pushes the discriminator towards


@dataclass
class TrainConfig:
    seed: int = 1
    lr: float = 1e-3
    warmup_steps: int = 50
    max_steps: int = 100000
    max_minutes: float = 10.0  # wall-clock budget including evaluation; 0 = none
    eval_every: int = 100  # steps between evaluations and checkpoints
    eval_sentences: int = 200  # valid sentences per language for the round-trip criterion
    label_smoothing: float = 0.1
    grad_clip: float = 1.0
    lambda_ae: str = "1"  # weight of denoising; a number or a schedule `step:value,...`
    lambda_bt: str = "0:0,100:0,200:1"  # weight of back-translation
    lambda_adv: str = "0.1"  # weight of the encoder's adversarial (fooling) term
    bt_temperature: float = 0.0  # 0 = greedy back-translation; > 0 samples at that temperature
    restrict_output: bool = True  # a decoder writing language L may only emit subwords seen in L's corpus
    word_by_word_steps: int = 300  # back-translate with an induced word-by-word lexicon for this many first steps
    lexicon_method: str = "anchors"  # anchors | identical | adversarial: how that lexicon is induced
    # A trained run (name under the checkpoints folder, or a path) whose translations of both training corpora give
    # that lexicon instead (IBM Model 1 on each sentence beside its translation): a second iteration starts from
    # what the first model learned. Empty: induce it by lexicon_method.
    lexicon_from: str = ""
    init_embeddings: str = "identical"  # random | identical | adversarial: subword embeddings from an aligned space
    mlm_steps: int = 0  # masked-LM pretraining steps of the shared encoder before UNMT (XLM); 0 = none
    mlm_probability: float = 0.15  # share of subwords masked per sentence during that pretraining
    # > 0: an exponential moving average of the weights with this decay is evaluated, selected and shipped
    # (training keeps the live weights); 0.995 averages over roughly the last 200 steps.
    weight_average: float = 0.0
    # Back-translate with that average instead of the live weights (a "mean teacher"): the averaged model
    # translates better, so the synthetic sources it writes are better. Needs weight_average > 0.
    bt_from_average: bool = False
    # Run folders of trained models that back-translate instead of the model being trained, as one ensemble, frozen
    # (ensemble distillation). Greedy outputs of frozen models never change, so each sentence is translated once and
    # remembered. A new run with teachers takes their subword model; all must share it.
    bt_teachers: list[str] = field(default_factory=list)
    # Weight of also learning the teachers' translations as targets, x -> y (sequence-level knowledge distillation,
    # Kim & Rush 2016), beside back-translation's y -> x. Needs bt_teachers.
    lambda_kd: str = "0"
    # Weight of supervised translation on the data directory's parallel.<src> / parallel.<tgt> pairs, both
    # directions (a schedule like the others). 0 keeps a run unsupervised; with every other weight 0 it is the
    # supervised reference of the same model and budget; beside them, semi-supervised training.
    lambda_mt: str = "0"
    select_by: str = "round_trip"  # round_trip (unsupervised) | valid_bleu (needs parallel valid files)
    threads: int = 0  # torch CPU threads; 0 = torch's default
    # fp32 | bf16: training's forward passes (back-translation included) under bfloat16 autocast; the weights and
    # the optimiser stay float32, evaluation runs in float32. Pays where the hardware has bf16 arithmetic.
    precision: str = "fp32"
    device: str = "auto"  # auto | cpu | cuda


@dataclass
class Config:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    noise: NoiseConfig = field(default_factory=NoiseConfig)  # C(x) for denoising
    bt_noise: NoiseConfig = field(default_factory=lambda: NoiseConfig(0.0, 0, 0.0))  # C(y) on back-translations
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    train: TrainConfig = field(default_factory=TrainConfig)


def to_dict(config) -> dict:
    return dataclasses.asdict(config)


class _Absent:
    def __repr__(self) -> str:
        return "(absent)"


_ABSENT = _Absent()


def changed_settings(before: dict, after: dict, where: str = "") -> list[str]:
    """'section.key: old -> new' for every leaf that differs between two nested config dicts; a key only one side
    has (a run saved before the option existed) shows as (absent) on the other."""
    changes = []
    for key in sorted(set(before) | set(after)):
        name, old, new = f"{where}{key}", before.get(key, _ABSENT), after.get(key, _ABSENT)
        if isinstance(old, dict) and isinstance(new, dict):
            changes += changed_settings(old, new, f"{name}.")
        elif old != new:
            changes.append(f"{name}: {old!r} -> {new!r}")
    return changes


def changes_since(saved: dict, config: "Config") -> list[str]:
    """What `config` changes against a run's saved config.yaml. A key the saved file lacks (the run predates the
    option) counts as its default, which is what that run trained with."""
    try:
        saved = to_dict(from_dict(Config, saved))
    except ConfigError:  # a key since removed or renamed: compare the file as it stands
        pass
    return changed_settings(saved, to_dict(config))


def from_dict(cls, values: dict, where: str = ""):
    """Builds dataclass `cls` from a nested dict, rejecting unknown keys and values of the wrong type."""
    if not isinstance(values, dict):
        raise ConfigError(f"'{where or 'config'}' must be a mapping of keys to values, got {values!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        prefix = f"{where}." if where else ""
        raise ConfigError(f"unknown config key '{prefix}{unknown[0]}'; known keys here: {', '.join(sorted(known))}")
    kwargs = {}
    for name, value in values.items():
        key = f"{where}.{name}" if where else name
        kwargs[name] = _coerce(hints[name], value, key)
    return cls(**kwargs)


def _coerce(kind, value, key):
    if dataclasses.is_dataclass(kind):
        return from_dict(kind, value or {}, key)
    if kind is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if kind is float and isinstance(value, str):  # YAML 1.1 reads 5e-4 (no dot) as a string
        try:
            return float(value)
        except ValueError:
            pass
    if kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)  # schedules like `lambda_adv: 0.1` are written as numbers in YAML
    if isinstance(kind, type) and isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    if isinstance(kind, types.UnionType):
        return value
    if typing.get_origin(kind) is list:  # a YAML list; one bare item (`--set key=path`) is read as a list of it
        item_kind = typing.get_args(kind)[0]
        items = value if isinstance(value, list) else [value]
        return [_coerce(item_kind, item, f"{key}[{i}]") for i, item in enumerate(items)]
    raise ConfigError(f"'{key}' must be of type {getattr(kind, '__name__', kind)}, got {value!r}")


def apply_override(values: dict, assignment: str) -> None:
    """Applies `a.b=value` to a nested dict; the value is read as YAML (so 3, 0.5, true, "0:1,100:0")."""
    if "=" not in assignment:
        raise ConfigError(f"--set expects key=value, got {assignment!r}")
    dotted, raw = assignment.split("=", 1)
    node = values
    parts = dotted.strip().split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"'{dotted}' does not name a config key: '{part}' is a value, not a section")
    node[parts[-1]] = yaml.safe_load(raw) if raw.strip() else ""


def read_values(path: Path | None, overrides: list[str]) -> dict:
    """The nested dict of a YAML file (or nothing) with `--set` overrides applied; not yet typed."""
    values: dict = {}
    if path is not None:
        try:
            values = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except FileNotFoundError:
            raise ConfigError(f"config file {path} does not exist") from None
        except yaml.YAMLError as error:
            raise ConfigError(f"config file {path} is not valid YAML: {str(error).splitlines()[0]}") from None
    for assignment in overrides:
        apply_override(values, assignment)
    return values


def load_config(path: Path | None = None, overrides: list[str] = ()) -> Config:
    config = from_dict(Config, read_values(path, overrides))
    validate(config)
    return config


def validate(config: Config) -> None:
    m, d, t = config.model, config.data, config.train
    checks = [
        (m.d_model % m.n_heads == 0, f"model.d_model ({m.d_model}) must be a multiple of model.n_heads ({m.n_heads})"),
        (m.activation in ("relu", "gelu"), f"model.activation must be relu or gelu, got {m.activation!r}"),
        (d.vocab_type in ("bpe", "unigram"), f"data.vocab_type must be bpe or unigram, got {d.vocab_type!r}"),
        (d.vocab_size >= 16, "data.vocab_size must be at least 16"),
        (d.max_tokens >= d.max_len, f"data.max_tokens ({d.max_tokens}) must be at least data.max_len ({d.max_len})"),
        (t.select_by in ("round_trip", "valid_bleu"), "train.select_by must be round_trip or valid_bleu"),
        (t.lexicon_method in ("anchors", "identical", "adversarial"), "train.lexicon_method: anchors | identical | adversarial"),
        (not t.lexicon_from or t.word_by_word_steps > 0, "train.lexicon_from gives the word-by-word lexicon: it needs train.word_by_word_steps > 0"),
        (t.init_embeddings in ("random", "identical", "adversarial"), "train.init_embeddings: random | identical | adversarial"),
        (t.device in ("auto", "cpu", "cuda"), "train.device must be auto, cpu or cuda"),
        (t.precision in ("fp32", "bf16"), f"train.precision must be fp32 or bf16, got {t.precision!r}"),
        (config.discriminator.fooling_target in ("flip", "uniform"), "discriminator.fooling_target: flip | uniform"),
        (t.eval_every > 0 and t.max_steps > 0, "train.eval_every and train.max_steps must be positive"),
        (t.mlm_steps >= 0, "train.mlm_steps must be >= 0"),
        (0 < t.mlm_probability < 1, "train.mlm_probability must be in (0, 1)"),
        (0 <= t.weight_average < 1, "train.weight_average must be in [0, 1): the decay of the average, 0 = off"),
        (not t.bt_from_average or t.weight_average > 0, "train.bt_from_average needs train.weight_average > 0: an average to translate with"),
        (not (t.bt_from_average and t.bt_teachers), "train.bt_from_average and train.bt_teachers both name who back-translates: choose one"),
    ]
    for noise_name in ("noise", "bt_noise"):
        noise = getattr(config, noise_name)
        checks.append((0 <= noise.word_dropout < 1, f"{noise_name}.word_dropout must be in [0, 1)"))
        checks.append((0 <= noise.word_blank < 1, f"{noise_name}.word_blank must be in [0, 1)"))
        checks.append((noise.word_shuffle >= 0, f"{noise_name}.word_shuffle must be >= 0"))
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
    specs = {"train.lambda_ae": t.lambda_ae, "train.lambda_bt": t.lambda_bt, "train.lambda_kd": t.lambda_kd,
             "train.lambda_mt": t.lambda_mt, "train.lambda_adv": t.lambda_adv, "model.dropout": m.dropout}
    schedules = {}
    for name, spec in specs.items():
        try:
            schedules[name] = PiecewiseLinear.parse(spec)
        except ValueError as error:
            raise ConfigError(f"{name}: {error}") from None
    if not all(0 <= value < 1 for _, value in schedules["model.dropout"].points):
        raise ConfigError("model.dropout must be in [0, 1) at every step")
    if any(value != 0 for _, value in schedules["train.lambda_kd"].points) and not t.bt_teachers:
        raise ConfigError("train.lambda_kd distils teachers' translations: it needs train.bt_teachers")
