"""The UNMT run configuration: typed sections with help text, YAML + `--set` loading, and the cross-field rules.

The defaults are the demo: `unmt train --src en --tgt fr` on the embedded toy corpus, 10 minutes on a 2-core
CPU (configs/toy.yaml spells them out); real corpora want a config of their own (configs/multi30k_en_fr.yaml).
`unmt options` prints every key with its help; the README's option reference is generated from the same text.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from unmt.data.noise import NoiseConfig
from unmt.models.transformer import TransformerConfig as _Model
from unmt.typed_config import ConfigError, Schedule, changed_settings, from_dict, option, read_values, section, to_dict

__all__ = ["Config", "ConfigError", "load_config", "changes_since", "changed_settings", "to_dict", "from_dict",
           "read_values", "RENAMED"]

log = logging.getLogger("unmt")


@dataclass
class DataConfig:
    """Subword vocabulary, batching and the toy corpus."""
    vocab_size: int = option(1000, "joint SentencePiece vocabulary size", at_least=16)
    vocab_type: Literal["bpe", "unigram"] = option("bpe", "SentencePiece model type")
    max_len: int = option(40, "training sentences longer than this many subwords are skipped", at_least=1)
    max_tokens: int = option(500, "padded source tokens per language per batch", at_least=1)
    toy_sentences: int = option(20000, "sentences per language of the toy corpus (no --data)", at_least=10)
    restrict_output: bool = option(True, "a decoder writing language L emits only subwords of L's corpus")


@dataclass
class ModelConfig:
    """The shared transformer encoder-decoder (defaults: unmt.models.transformer.TransformerConfig)."""
    d_model: int = option(_Model.d_model, "width of every residual stream", at_least=2)
    n_heads: int = option(_Model.n_heads, "attention heads; must divide d_model", at_least=1)
    encoder_layers: int = option(_Model.encoder_layers, "encoder layers (shared by both languages)", at_least=1)
    decoder_layers: int = option(
        _Model.decoder_layers, "decoder layers (shared; the first token names the language)", at_least=1
    )
    ffn_dim: int = option(_Model.ffn_dim, "hidden width of the feed-forward blocks", at_least=1)
    dropout: Schedule = option(
        Schedule.parse(_Model.dropout), "dropout rate, or a schedule over UNMT steps", at_least=0, below=1
    )
    activation: Literal["relu", "gelu"] = option(_Model.activation, "feed-forward activation")


@dataclass
class DiscriminatorConfig:
    """The latent language discriminator on the encoder states."""
    hidden: int = option(512, "hidden width", at_least=1)
    layers: int = option(3, "layers", at_least=1)
    dropout: float = option(0.1, "dropout of its hidden layers", at_least=0, below=1)
    lr: float = option(5e-4, "Adam learning rate", above=0)
    smoothing: float = option(0.1, "label smoothing of its language targets", at_least=0, below=1)
    fooling_target: Literal["flip", "uniform"] = option("flip", "what the encoder pushes the discriminator towards")


@dataclass
class OptimConfig:
    """The translation model's optimiser (Adam, inverse square-root schedule)."""
    lr: float = option(1e-3, "peak learning rate (0 freezes the model)", at_least=0)
    warmup_steps: int = option(50, "linear warm-up steps (again after masked-LM pretraining)", at_least=0)
    grad_clip: float = option(1.0, "maximum gradient norm; 0 = no clipping", at_least=0)
    label_smoothing: float = option(0.1, "label smoothing of every translation loss", at_least=0, below=1)
    weight_average: float = option(
        0.0, "decay of a moving average of the weights, evaluated and shipped; 0 = off", at_least=0, below=1
    )
    accumulate_steps: int = option(1, "batches whose gradients are summed per update", at_least=1)


@dataclass
class LossesConfig:
    """Weights of the training objectives: a number or a schedule `step:value,...` over UNMT steps."""
    ae: Schedule = option(Schedule.parse("1"), "denoising auto-encoding C(x) -> x", at_least=0)
    bt: Schedule = option(Schedule.parse("0:0,100:0,200:1"), "on-the-fly back-translation C(y) -> x", at_least=0)
    adv: Schedule = option(Schedule.parse("0.1"), "the encoder's adversarial (fooling) term", at_least=0)
    kd: Schedule = option(
        Schedule.parse("0"), "learning the teachers' translations x -> y (needs back_translation.teachers)", at_least=0
    )
    mt: Schedule = option(
        Schedule.parse("0"), "supervised translation on parallel.<lang> pairs of the data directory", at_least=0
    )


@dataclass
class BackTranslationConfig:
    """Who back-translates and how."""
    temperature: float = option(0.0, "0 = greedy back-translation; > 0 samples at that temperature", at_least=0)
    word_by_word_steps: int = option(
        300, "first UNMT steps that back-translate word by word with an induced lexicon", at_least=0
    )
    lexicon_method: Literal[
        "anchors", "identical", "adversarial", "self_learning", "identical_self_learning", "auto", "vectors", "pair"
    ] = option(
        "anchors",
        "how that lexicon is induced from the monolingual corpora (as unmt align --method; "
        "vectors: nearest neighbours in pretraining's vector files; "
        "pair: chosen from what the corpora share, see docs/guide.md)",
    )
    dictionary: str = option(
        "", "a bilingual dictionary file ('source target' per line, MUSE's format) that is that lexicon instead"
    )
    reverse_dictionary: str = option(
        "", "the target-to-source dictionary file; default: back_translation.dictionary inverted"
    )
    dictionary_order: Literal["first", "frequency"] = option(
        "frequency",
        "which of a dictionary word's translations the lexicon takes: the file's first, "
        "or the one the target corpus uses most",
    )
    dictionary_fill: bool = option(
        True,
        "corpus words the dictionary lacks take their nearest neighbour in word embeddings aligned from its pairs "
        "(false: they are copied untranslated)",
    )
    lexicon_from: str = option(
        "", "a trained run whose translations of both corpora give that lexicon instead (a second iteration)"
    )
    lexical_bias: float = option(
        0.0,
        "after the word-by-word phase, a bonus added to the logit of each source word's lexicon translation while "
        "the model back-translates, until it is emitted (soft lexical constraints; 0 = off)",
        at_least=0,
    )
    from_average: bool = option(False, "back-translate with the weight average (needs optim.weight_average > 0)")
    teachers: list[str] = option([], "trained runs that back-translate instead (a frozen ensemble)")


@dataclass
class PretrainingConfig:
    """What happens before, or at the start of, UNMT proper."""

    init_embeddings: Literal[
        "random", "identical", "adversarial", "self_learning", "identical_self_learning", "auto", "dictionary", "pair"
    ] = option(
        "identical",
        "start the subword embeddings in a skip-gram space aligned by this method "
        "(as unmt align --method; random = plain init; dictionary: seeded by back_translation.dictionary; "
        "pair: chosen from what the corpora share, the dictionary when one is given)",
    )
    src_vectors: str = option(
        "",
        "source-language vectors (fastText/word2vec .vec text) in one space with tgt_vectors, "
        "which start the embeddings instead",
    )
    tgt_vectors: str = option(
        "", "target-language vectors in that shared space (MUSE's aligned vectors, or unmt align's output)"
    )
    mlm_steps: int = option(
        0, "masked-LM pretraining steps of the shared encoder before UNMT (XLM); 0 = none", at_least=0
    )
    mlm_probability: float = option(
        0.15, "share of subwords masked per sentence during that pretraining", above=0, below=1
    )


@dataclass
class EvaluationConfig:
    """Periodic evaluation, checkpoints and model selection."""
    every: int = option(100, "steps between evaluations and checkpoints", at_least=1)
    sentences: int = option(200, "valid sentences per language for the round-trip criterion", at_least=1)
    select_by: Literal["round_trip", "valid_bleu"] = option(
        "round_trip", "what picks the best checkpoint (valid_bleu needs parallel valid files)"
    )


@dataclass
class RuntimeConfig:
    """Budgets, seed and hardware."""
    seed: int = option(1, "random seed of data order, noise, initialisation and sampling")
    max_steps: int = option(100000, "stop after this many steps", at_least=1)
    max_minutes: float = option(10.0, "stop after this much training (all sessions); 0 = no limit", at_least=0)
    threads: int = option(0, "torch CPU threads; 0 = torch's default", at_least=0)
    precision: Literal["fp32", "bf16", "auto"] = option(
        "fp32",
        "bf16: training forward passes under bfloat16 autocast (weights stay float32); "
        "auto: bf16 on a GPU with bf16 arithmetic, else fp32",
    )
    device: Literal["auto", "cpu", "cuda"] = option("auto", "auto = cuda when available")
    tensorboard: bool = option(True, "write TensorBoard events beside metrics.jsonl (needs the tensorboard extra)")


@dataclass
class Config:
    data: DataConfig = section(DataConfig)
    model: ModelConfig = section(ModelConfig)
    noise: NoiseConfig = section(NoiseConfig, "C(x) for denoising")
    bt_noise: NoiseConfig = section(lambda: NoiseConfig(0.0, 0, 0.0), "C(y) on back-translations")
    discriminator: DiscriminatorConfig = section(DiscriminatorConfig)
    optim: OptimConfig = section(OptimConfig)
    losses: LossesConfig = section(LossesConfig)
    back_translation: BackTranslationConfig = section(BackTranslationConfig)
    pretraining: PretrainingConfig = section(PretrainingConfig)
    evaluation: EvaluationConfig = section(EvaluationConfig)
    runtime: RuntimeConfig = section(RuntimeConfig)


# Keys of the one flat `train` section before it was split; still read, with a warning, for one release.
RENAMED = {
    "train.seed": "runtime.seed", "train.max_steps": "runtime.max_steps", "train.max_minutes": "runtime.max_minutes",
    "train.threads": "runtime.threads", "train.precision": "runtime.precision", "train.device": "runtime.device",
    "train.eval_every": "evaluation.every", "train.eval_sentences": "evaluation.sentences",
    "train.select_by": "evaluation.select_by",
    "train.lr": "optim.lr", "train.warmup_steps": "optim.warmup_steps", "train.grad_clip": "optim.grad_clip",
    "train.label_smoothing": "optim.label_smoothing", "train.weight_average": "optim.weight_average",
    "train.lambda_ae": "losses.ae", "train.lambda_bt": "losses.bt", "train.lambda_adv": "losses.adv",
    "train.lambda_kd": "losses.kd", "train.lambda_mt": "losses.mt",
    "train.bt_temperature": "back_translation.temperature",
    "train.word_by_word_steps": "back_translation.word_by_word_steps",
    "train.lexicon_method": "back_translation.lexicon_method", "train.lexicon_from": "back_translation.lexicon_from",
    "train.bt_from_average": "back_translation.from_average", "train.bt_teachers": "back_translation.teachers",
    "train.init_embeddings": "pretraining.init_embeddings", "train.mlm_steps": "pretraining.mlm_steps",
    "train.mlm_probability": "pretraining.mlm_probability",
    "train.restrict_output": "data.restrict_output",
}


def migrate(values: dict, warn: bool = True) -> dict:
    """Moves the old flat `train.*` keys of a raw config dict to their sections; an unknown old key is refused
    by name, and the section `train` must be empty afterwards."""
    old = values.get("train")
    if old is None:
        return values
    if not isinstance(old, dict):
        raise ConfigError("'train' must be a mapping of keys to values")
    values = {**values, "train": dict(old)}
    for key in list(old):
        new = RENAMED.get(f"train.{key}")
        if new is None:
            raise ConfigError(f"unknown config key 'train.{key}'; the train section was split: see `unmt options`")
        section_name, name = new.split(".")
        target = values.setdefault(section_name, {})
        if not isinstance(target, dict):
            raise ConfigError(f"'{section_name}' must be a mapping of keys to values")
        if name in target:
            raise ConfigError(f"both 'train.{key}' and its new name '{new}' are set: keep '{new}'")
        values[section_name] = {**target, name: values["train"].pop(key)}
        if warn:
            log.warning("config key 'train.%s' is now '%s'; the old name is read until the next release", key, new)
    del values["train"]
    return values


def load_config(path: Path | None = None, overrides: list[str] = ()) -> Config:
    config = from_dict(Config, migrate(read_values(path, overrides)))
    validate(config)
    return config


def changes_since(saved: dict, config: Config) -> list[str]:
    """What `config` changes against a run's saved config.yaml. A key the saved file lacks (the run predates the
    option) counts as its default, which is what that run trained with; old key names count as their new ones."""
    try:
        saved = to_dict(from_dict(Config, migrate(saved, warn=False)))
    except ConfigError:  # a key since removed: compare the file as it stands
        pass
    return changed_settings(saved, to_dict(config))


def validate(config: Config) -> None:
    """The rules that relate several keys; each key's own type and bounds were checked when it was read."""
    m, d, o, bt, losses = config.model, config.data, config.optim, config.back_translation, config.losses
    p = config.pretraining
    checks = [
        (m.d_model % m.n_heads == 0, f"model.d_model ({m.d_model}) must be a multiple of model.n_heads ({m.n_heads})"),
        (d.max_tokens >= d.max_len, f"data.max_tokens ({d.max_tokens}) must be at least data.max_len ({d.max_len})"),
        (
            not bt.lexicon_from or bt.word_by_word_steps > 0,
            "back_translation.lexicon_from gives the word-by-word lexicon: "
            "it needs back_translation.word_by_word_steps > 0",
        ),
        (
            bool(p.src_vectors) == bool(p.tgt_vectors),
            "pretraining.src_vectors and pretraining.tgt_vectors come together: one vector file per language",
        ),
        (
            not (p.src_vectors and p.init_embeddings == "random"),
            "pretraining.init_embeddings is random but "
            "pretraining.src_vectors starts the embeddings from files: choose one",
        ),
        (
            bt.lexicon_method != "vectors" or bool(p.src_vectors),
            "back_translation.lexicon_method vectors reads the lexicon off "
            "pretraining.src_vectors and tgt_vectors: give them",
        ),
        (
            not (bt.dictionary and bt.lexicon_from),
            "back_translation.dictionary and back_translation.lexicon_from both give the lexicon: choose one",
        ),
        (
            not bt.dictionary or bt.word_by_word_steps > 0,
            "back_translation.dictionary gives the word-by-word lexicon: "
            "it needs back_translation.word_by_word_steps > 0",
        ),
        (
            (config.noise.word_translate == 0 and config.bt_noise.word_translate == 0)
            or (bt.word_by_word_steps > 0 and not bt.teachers),
            "noise.word_translate swaps words for their word-by-word translations: "
            "it needs back_translation.word_by_word_steps > 0 and no back_translation.teachers",
        ),
        (
            bt.lexical_bias == 0 or (bt.word_by_word_steps > 0 and not bt.teachers),
            "back_translation.lexical_bias steers the model's back-translations with the word-by-word lexicon: "
            "it needs back_translation.word_by_word_steps > 0 and no back_translation.teachers",
        ),
        (
            p.init_embeddings != "dictionary" or bool(bt.dictionary),
            "pretraining.init_embeddings dictionary seeds the alignment with back_translation.dictionary: give one",
        ),
        (
            not bt.reverse_dictionary or bool(bt.dictionary),
            "back_translation.reverse_dictionary needs back_translation.dictionary (the source-to-target one)",
        ),
        (
            not bt.from_average or o.weight_average > 0,
            "back_translation.from_average needs optim.weight_average > 0: an average to translate with",
        ),
        (
            not (bt.from_average and bt.teachers),
            "back_translation.from_average and back_translation.teachers both name who back-translates: choose one",
        ),
        (
            not losses.kd.ever_positive() or bool(bt.teachers),
            "losses.kd distils teachers' translations: it needs back_translation.teachers",
        ),
    ]
    for ok, message in checks:
        if not ok:
            raise ConfigError(message)
