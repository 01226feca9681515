"""The parts of a UNMT run, each built by a function from what it is given and returned whole: the data files and
vocabulary, the corpora and evaluation sets, the networks, the back-translator, the step and its trainer.
unmt.translation.train.TrainingRun calls them in order and then only trains.
"""
from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import yaml

from unmt.adversarial.trainer import AlternatingConfig, AlternatingTrainer
from unmt.checkpoint import load_run_info
from unmt.config import Config, ConfigError, changes_since
from unmt.data.corpus import BatchStream, DataFiles, MonolingualCorpus, load_text_dataset, read_lines
from unmt.data.parallel import SPLIT as PARALLEL
from unmt.data.toy import write_toy_corpus
from unmt.data.vocab import Vocabulary
from unmt.distributed import World
from unmt.hardware import has_bf16
from unmt.models.discriminators import LatentDiscriminator
from unmt.models.transformer import Transformer, TransformerConfig
from unmt.run_layout import CONFIG, SUBWORD_MODEL
from unmt.translation.averaging import WeightAverage
from unmt.translation.back_translator import BackTranslator
from unmt.translation.data_limits import with_vocabulary_size
from unmt.translation.run_data import output_masks, parallel_corpus, valid_sentences
from unmt.translation.schedule import inverse_sqrt_schedule
from unmt.translation.step import UNMTStep

log = logging.getLogger("unmt")

SHAPE = ("d_model", "n_heads", "encoder_layers", "decoder_layers", "ffn_dim", "activation")  # what a checkpoint fixes


def check_shape_against_run(run_dir: Path, config: Config) -> None:
    """A checkpoint fixes the model's shape: a resume that asks for another is refused before anything loads."""
    saved = load_run_info(run_dir)["model"]
    wanted = asdict(config.model)
    changed = [f"model.{key}: {saved[key]!r} -> {wanted[key]!r}" for key in SHAPE if saved.get(key) != wanted[key]]
    if changed:
        raise ConfigError(f"run {run_dir} was trained with another model shape ({'; '.join(changed)}); a resumed "
                          "run keeps its shape: drop those settings, or train a new run with --run")


def reconcile_with_run(run_dir: Path, config: Config) -> Config:
    """A resumed run's one configuration, settled before anything is built: the configuration given now wins, with
    the vocabulary size the run really has; each setting it changes against the saved config.yaml is warned about."""
    config = with_vocabulary_size(config, load_run_info(run_dir)["model"]["vocab_size"])
    saved = run_dir / CONFIG
    if saved.is_file():
        for change in changes_since(yaml.safe_load(saved.read_text(encoding="utf-8")) or {}, config):
            log.warning("resuming with a changed setting: %s", change)
    return config


def data_files(data_dir: Path | None, run_dir: Path, languages: tuple[str, str], config: Config) -> DataFiles:
    """The run's data files, checked; without a data folder, the embedded toy corpus generated into the run."""
    if data_dir is None:
        data_dir = run_dir / "data"
        if not (data_dir / f"train.{languages[0]}").is_file():
            write_toy_corpus(data_dir, *languages, n_train=config.data.toy_sentences, seed=config.runtime.seed)
    files = DataFiles(Path(data_dir), languages)
    files.check()
    if config.evaluation.select_by == "valid_bleu" and not files.has("valid"):
        raise ConfigError("evaluation.select_by=valid_bleu needs parallel valid.<lang> files in the data directory")
    return files


def open_vocabulary(files: DataFiles, run_dir: Path, config: Config, reuse_saved: bool,
                    teacher_vocabulary: bytes | None) -> Vocabulary:
    """The run's subword model: the saved one (a resumed run, or a rank other than 0), the teachers', or one
    learned from the training corpora; saved into the run when new."""
    languages, spm_path = files.languages, run_dir / SUBWORD_MODEL
    if reuse_saved and spm_path.is_file():
        vocab = Vocabulary.load(spm_path, languages)
    elif teacher_vocabulary is not None:
        vocab = Vocabulary(teacher_vocabulary, languages)
        vocab.save(spm_path)
    else:
        data = config.data
        log.info("learning a joint %s vocabulary of %d pieces", data.vocab_type, data.vocab_size)
        lines = {lang: _stream_lines(files.path("train", lang)) for lang in languages}
        vocab = Vocabulary.train(lines, data.vocab_size, data.vocab_type)
        vocab.save(spm_path)
    if teacher_vocabulary is not None and teacher_vocabulary != vocab.model_proto:
        raise ConfigError(f"back_translation.teachers: the teachers' subword model is not this run's ({spm_path}); "
                          "a run can only learn from teachers that share its vocabulary")
    return vocab


@dataclass(frozen=True)
class RunData:
    """What a run trains and evaluates on, each set read once."""
    corpora: dict[str, MonolingualCorpus]
    streams: dict[str, BatchStream]  # language (and PARALLEL when supervised) -> its batches
    valid: dict[str, list[str]]  # the round-trip criterion's sentences
    parallel_valid: dict[str, list[str]] | None  # valid.<lang> whole, when checkpoints are selected by valid BLEU
    test: dict[str, list[str]] | None
    output_masks: dict[str, torch.Tensor]  # language -> subwords it may emit ({} when unrestricted)


def load_data(files: DataFiles, vocab: Vocabulary, config: Config, world: World) -> RunData:
    data, seed, languages = config.data, config.runtime.seed, files.languages
    corpora = {lang: MonolingualCorpus(load_text_dataset(files.path("train", lang)), vocab, data.max_len)
               for lang in languages}
    share = (world.rank, world.size)
    streams = {lang: BatchStream(corpora[lang], data.max_tokens, seed=seed * 10 + i, share=share)
               for i, lang in enumerate(languages)}
    if config.losses.mt.ever_positive():
        pairs = parallel_corpus(files, languages, vocab, data.max_len)
        streams[PARALLEL] = BatchStream(pairs, data.max_tokens, seed=seed * 10 + 2, share=share)
    valid_lines = {lang: read_lines(files.path("valid", lang)) for lang in languages} if files.has("valid") else None
    parallel_valid = valid_lines if config.evaluation.select_by == "valid_bleu" else None
    test = {lang: read_lines(files.path("test", lang)) for lang in languages} if files.has("test") else None
    valid = valid_sentences(files, languages, config.evaluation.sentences, valid_lines)
    return RunData(
        corpora, streams, valid, parallel_valid, test, output_masks(corpora, len(vocab)) if data.restrict_output else {}
    )


@dataclass(frozen=True)
class Networks:
    model_config: TransformerConfig
    model: Transformer
    average: WeightAverage | None  # the exponential average of the model's weights, when the run keeps one
    discriminator: LatentDiscriminator


def build_networks(config: Config, vocab_size: int, device: torch.device) -> Networks:
    # The model starts at the dropout schedule's first rate; every step sets its scheduled rate.
    model_config = TransformerConfig(
        vocab_size=vocab_size, **{**asdict(config.model), "dropout": config.model.dropout(0)}
    )
    model = Transformer(model_config).to(device)
    decay = config.optim.weight_average
    average = WeightAverage(model, decay) if decay > 0 else None
    d = config.discriminator
    discriminator = LatentDiscriminator(config.model.d_model, d.hidden, d.layers, 2, d.dropout).to(device)
    return Networks(model_config, model, average, discriminator)


def trains_in_bf16(precision: str, device: torch.device) -> bool:
    # auto takes bf16 on GPUs only: on CPUs with bf16 arithmetic the whole step was measured x0.52-1.41 of fp32,
    # by CPU and model size (docs/speed.md), so no CPU flag says it will pay
    return precision == "bf16" or (precision == "auto" and device.type == "cuda" and has_bf16(device))


def build_back_translator(config: Config, nets: Networks, teacher, vocab: Vocabulary, device: torch.device,
                          masks: dict[str, torch.Tensor], word_by_word) -> BackTranslator:
    """Who back-translates: frozen teachers, or the model (or its average); `word_by_word`: language -> lexicon
    translator for the first steps, or None."""
    bt = config.back_translation
    model = teacher if teacher is not None else (nets.average.model if bt.from_average else nets.model)
    generator = torch.Generator(device=device).manual_seed(config.runtime.seed)
    return BackTranslator(
        model,
        vocab,
        device,
        bt.temperature,
        generator,
        {lang: m.to(device) for lang, m in masks.items()},
        frozen=teacher is not None,
        word_by_word=word_by_word,
        lexical_bias=bt.lexical_bias,
    )


def build_trainer(config: Config, nets: Networks, vocab: Vocabulary, languages: tuple[str, str], device: torch.device,
                  back_translator: BackTranslator, world: World) -> AlternatingTrainer:
    """The UNMT step and the alternating trainer that updates through it."""
    optim = config.optim
    # foreach: one call per update stage for all tensors instead of a Python loop over them (torch's default on
    # GPUs already; on CPUs it is opt-in). Its updates are bit-identical to the loop's.
    g_optimizer = torch.optim.Adam(nets.model.parameters(), lr=optim.lr, betas=(0.9, 0.98), foreach=True)
    # A discriminator whose fooling term is weighted 0 at every step feeds nothing back: it is not trained.
    d_optimizer = None
    if config.losses.adv.ever_positive():
        d_optimizer = torch.optim.Adam(
            nets.discriminator.parameters(), lr=config.discriminator.lr, betas=(0.5, 0.999), foreach=True
        )
    alternating = AlternatingConfig(
        n_critic=1,
        g_grad_clip=optim.grad_clip,
        d_grad_clip=optim.grad_clip,
        autocast_dtype=torch.bfloat16 if trains_in_bf16(config.runtime.precision, device) else None,
        device_type=device.type,
        accumulate=optim.accumulate_steps,
        gradient_sync=world.sum_gradients_ if world.distributed else None,
    )
    schedule = inverse_sqrt_schedule(g_optimizer, optim.warmup_steps, restart_at=config.pretraining.mlm_steps)
    task = UNMTStep(nets.model, nets.discriminator, vocab, config, languages, device, back_translator,
                    config.runtime.seed, world)
    return AlternatingTrainer(task, d_optimizer, g_optimizer, alternating, schedule)


def _stream_lines(path: Path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            yield line.rstrip("\r\n")
