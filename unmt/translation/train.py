"""The UNMT training run, built by named stages and then trained by `run()`.

Stages, in order: the pretrained files named (vectors, dictionary), teachers (when trained runs back-translate),
vocabulary, data, model, optimisers, back-translator, restore (resuming), initialisation (a new run's aligned
embeddings), then the run's metadata is written. Nothing is written into a resumed run before its checkpoint has been checked against the configuration
and restored, so a refused resume leaves the run as it was.

On several processes (torchrun; unmt.distributed) rank 0 prepares and writes everything while the other ranks
wait, then read what it prepared; every rank trains on its own share of each batch; rank 0 alone evaluates and
writes checkpoints, which hold every rank's random state.

Refused combinations (each one sentence, before any work): see unmt.config.validate, plus here: selecting by
valid BLEU without valid files, supervised pairs without parallel files, teachers with another subword model,
resuming with another model shape.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict
from pathlib import Path

import torch
import yaml

from unmt.adversarial.trainer import AlternatingConfig, AlternatingTrainer
from unmt.checkpoint import load_json
from unmt.config import Config, ConfigError, changes_since, to_dict
from unmt.data.corpus import BatchStream, DataFiles, MonolingualCorpus, load_text_dataset, read_lines
from unmt.data.parallel import SPLIT as PARALLEL
from unmt.data.toy import write_toy_corpus
from unmt.data.vocab import Vocabulary
from unmt.export.model_card import CARD, run_card
from unmt.distributed import World
from unmt.hardware import has_bf16
from unmt.lexicon.pretrained import PretrainedFiles, read_pretrained
from unmt.models.discriminators import LatentDiscriminator
from unmt.models.transformer import Transformer, TransformerConfig
from unmt.run_directory import RunDirectory
from unmt.tensorboard import EventLog
from unmt.training_loop import Budget, Cadence, run_loop
from unmt.translation.averaging import WeightAverage
from unmt.translation.data_limits import settings_the_data_cannot_honour, with_vocabulary_size
from unmt.translation.back_translator import BackTranslator
from unmt.translation.model_io import load_teachers, run_info, save_output_masks
from unmt.translation.pair_recipe import PAIR, resolve_pair_settings
from unmt.translation.phases import Phases
from unmt.translation.run_data import output_masks, parallel_corpus, valid_sentences
from unmt.translation.run_scores import run_scores
from unmt.translation.run_state import RunState
from unmt.translation.schedule import inverse_sqrt_schedule
from unmt.translation.starting_points import describe_pair, initialise_embeddings, word_by_word_translators
from unmt.translation.step import UNMTStep
from unmt.translation.translator import Translator

log = logging.getLogger("unmt")

LOG_EVERY = 10  # steps between train lines
SHAPE = ("d_model", "n_heads", "encoder_layers", "decoder_layers", "ffn_dim", "activation")  # what a checkpoint fixes


class TrainingRun:
    """Everything one `unmt train` needs, built once; `run()` trains until a step or time budget is spent."""

    def __init__(self, config: Config, src: str, tgt: str, directory: RunDirectory | Path, data_dir: Path | None,
                 resume: bool = False, world: World | None = None):
        if not isinstance(directory, RunDirectory):  # a bare folder (library use, tests): no lock is taken
            Path(directory).mkdir(parents=True, exist_ok=True)
            directory = RunDirectory(Path(directory))
        self.config, self.src, self.tgt, self.languages = config, src, tgt, (src, tgt)
        self.directory, self.run_dir = directory, directory.path
        self.world = world = world or World()
        runtime = config.runtime
        if runtime.threads > 0:
            torch.set_num_threads(runtime.threads)
        torch.manual_seed(runtime.seed)
        self.device = world.device(runtime.device)
        if not world.is_main:
            world.barrier()  # rank 0 prepares the vocabulary, data, lexicon and tables; the others then read them
        self.resumed_from = directory.pointer("latest") if resume else None
        if resume and self.resumed_from is None:
            log.warning("nothing to resume in %s: starting from scratch", self.run_dir)
        if self.resumed_from is not None:
            self._check_shape_against_run()
        setup_started = time.monotonic()
        self.scores: dict = {}  # the latest evaluation's

        self.pretrained = self._read_pretrained_files()
        teacher, teacher_vocabulary = self._setup_teachers()
        self._setup_vocabulary(data_dir, teacher_vocabulary)
        self._setup_data()
        self.pair = self._describe_pair()
        # the configuration with its pair-dependent settings chosen: what the starting points are made with
        self.start_config, pair_choice = resolve_pair_settings(config, self.pair)
        if pair_choice:
            log.info("pair-dependent settings: %s (%s)", ", ".join(f"{k}={v}" for k, v in pair_choice["settings"].items()),
                     pair_choice["reason"])
        self._setup_model()
        self._setup_optimisers()
        self._setup_back_translation(teacher)
        self.state = RunState(self.model, self.discriminator, self.average, self.trainer, self.streams,
                              self.task.rng, self.back_translator.generator, self.device, world)
        criterion = None  # the embedding alignment's, when this run makes one
        if self.resumed_from is not None:
            self.state.restore(self.resumed_from, runtime.seed)
            self.trainer.set_rates(config.optim.lr, config.discriminator.lr)
        elif self.start_config.pretraining.init_embeddings != "random":
            criterion = initialise_embeddings(self.model, self.run_dir, self.vocab, self.files, self.languages,
                                              self.start_config, self.pretrained)
        if world.is_main:
            self._write_metadata()
            if config.runtime.tensorboard:
                directory.events = EventLog.open(self.run_dir, to_dict(config))
            if self.trainer.step_count == 0:  # preparation outside the training clock, logged so it can be reported
                signals = self.pair if self.pair is not None else describe_pair(self.files, self.languages, self.vocab)
                pair = {**signals, **({"chosen": pair_choice} if pair_choice else {})}
                if criterion is not None:
                    pair["embedding_alignment_criterion"] = round(criterion, 4)
                directory.log("setup", {"step": 0, "setup_seconds": round(time.monotonic() - setup_started, 1),
                                        "world_size": world.size, "global_batch_tokens": self.global_batch_tokens,
                                        "precision": "bf16" if self._trains_in_bf16() else "fp32", "pair": pair,
                                        **({"adjusted": self.adjusted} if self.adjusted else {})})
            world.barrier()  # the other ranks may read what rank 0 prepared
        if world.distributed and self.resumed_from is None:  # the same weights everywhere, each rank its own draws
            world.broadcast_(self.model)
            world.broadcast_(self.discriminator)
            self.state.reseed(runtime.seed)

    @property
    def global_batch_tokens(self) -> int:
        """Padded source tokens per language in one update, over every rank and accumulated batch."""
        return self.config.data.max_tokens * self.world.size * self.config.optim.accumulate_steps

    # --- setup stages -------------------------------------------------------------------------------
    def _check_shape_against_run(self) -> None:
        """A checkpoint fixes the model's shape: a resume that asks for another is refused before anything loads."""
        saved = load_json(self.run_dir / "run.json")["model"]
        wanted = asdict(self.config.model)
        changed = [f"model.{key}: {saved[key]!r} -> {wanted[key]!r}" for key in SHAPE if saved.get(key) != wanted[key]]
        if changed:
            raise ConfigError(f"run {self.run_dir} was trained with another model shape ({'; '.join(changed)}); a resumed "
                              "run keeps its shape: drop those settings, or train a new run with --run")

    def _describe_pair(self) -> dict | None:
        """The pair's shared-spelling signals (a second or two): for a new run's setup line, and wherever a setting
        asks to be chosen by them (every rank then computes them, so all choose alike); a resumed run that asks
        for no choice skips them."""
        p, bt = self.config.pretraining, self.config.back_translation
        if PAIR in (p.init_embeddings, bt.lexicon_method) or (self.world.is_main and self.resumed_from is None):
            return describe_pair(self.files, self.languages, self.vocab)
        return None

    def _read_pretrained_files(self) -> PretrainedFiles | None:
        """Vector and dictionary files made elsewhere, read (and refused if malformed) before anything is written;
        rank 0 alone, which writes what the other ranks then read. A resumed run needs the dictionary only."""
        p, bt = self.config.pretraining, self.config.back_translation
        if not self.world.is_main or not (p.src_vectors or bt.dictionary):
            return None
        return read_pretrained(self.src, self.tgt, p.src_vectors, p.tgt_vectors, bt.dictionary, bt.reverse_dictionary,
                               with_vectors=self.resumed_from is None)

    def _setup_teachers(self):
        """Trained runs that back-translate (frozen); a new run takes their subword model."""
        teachers = self.config.back_translation.teachers
        if not teachers:
            return None, None
        return load_teachers([Path(p) for p in teachers], self.languages, self.device)

    def _setup_vocabulary(self, data_dir: Path | None, teacher_vocabulary: bytes | None) -> None:
        if data_dir is None:  # the embedded toy corpus, generated into the run folder
            data_dir = self.run_dir / "data"
            if not (data_dir / f"train.{self.src}").is_file():
                write_toy_corpus(data_dir, self.src, self.tgt, n_train=self.config.data.toy_sentences, seed=self.config.runtime.seed)
        self.data_dir = Path(data_dir)
        self.files = DataFiles(self.data_dir, self.languages)
        self.files.check()
        if self.config.evaluation.select_by == "valid_bleu" and not self.files.has("valid"):
            raise ConfigError("evaluation.select_by=valid_bleu needs parallel valid.<lang> files in the data directory")
        spm_path = self.run_dir / "spm.model"
        if (self.resumed_from is not None or not self.world.is_main) and spm_path.is_file():
            self.vocab = Vocabulary.load(spm_path, self.languages)
        elif teacher_vocabulary is not None:
            self.vocab = Vocabulary(teacher_vocabulary, self.languages)
            self.vocab.save(spm_path)
        else:
            data = self.config.data
            log.info("learning a joint %s vocabulary of %d pieces", data.vocab_type, data.vocab_size)
            lines = {lang: _stream_lines(self.files.path("train", lang)) for lang in self.languages}
            self.vocab = Vocabulary.train(lines, data.vocab_size, data.vocab_type)
            self.vocab.save(spm_path)
        if teacher_vocabulary is not None and teacher_vocabulary != self.vocab.model_proto:
            raise ConfigError(f"back_translation.teachers: the teachers' subword model is not this run's ({spm_path}); "
                              "a run can only learn from teachers that share its vocabulary")

    def _setup_data(self) -> None:
        data, seed = self.config.data, self.config.runtime.seed
        self.corpora = {
            lang: MonolingualCorpus(load_text_dataset(self.files.path("train", lang)), self.vocab, data.max_len)
            for lang in self.languages
        }
        share = (self.world.rank, self.world.size)
        self.streams = {
            lang: BatchStream(self.corpora[lang], data.max_tokens, seed=seed * 10 + i, share=share)
            for i, lang in enumerate(self.languages)
        }
        if self.config.losses.mt.ever_positive():
            pairs = parallel_corpus(self.files, self.languages, self.vocab, data.max_len)
            self.streams[PARALLEL] = BatchStream(pairs, data.max_tokens, seed=seed * 10 + 2, share=share)
        self.valid = valid_sentences(self.files, self.languages, self.config.evaluation.sentences)
        self.test = (
            {lang: read_lines(self.files.path("test", lang)) for lang in self.languages} if self.files.has("test") else None
        )
        self.output_masks = output_masks(self.corpora, len(self.vocab)) if data.restrict_output else {}
        new_run = self.world.is_main and self.resumed_from is None
        self.adjusted = settings_the_data_cannot_honour(
            self.config, len(self.vocab), max(c.longest for c in self.corpora.values()),
            min(map(len, self.valid.values()))) if new_run else {}
        self.config = with_vocabulary_size(self.config, len(self.vocab))  # config.yaml then agrees with run.json

    def _setup_model(self) -> None:
        config = self.config
        # The model starts at the dropout schedule's first rate; every step sets its scheduled rate.
        model_options = {**asdict(config.model), "dropout": config.model.dropout(0)}
        self.model_config = TransformerConfig(vocab_size=len(self.vocab), **model_options)
        self.model = Transformer(self.model_config).to(self.device)
        decay = config.optim.weight_average
        self.average = WeightAverage(self.model, decay) if decay > 0 else None
        d = config.discriminator
        self.discriminator = LatentDiscriminator(config.model.d_model, d.hidden, d.layers, 2, d.dropout).to(self.device)

    def _setup_optimisers(self) -> None:
        config, optim = self.config, self.config.optim
        g_optimizer = torch.optim.Adam(self.model.parameters(), lr=optim.lr, betas=(0.9, 0.98))
        # A discriminator whose fooling term is weighted 0 at every step feeds nothing back: it is not trained.
        d_optimizer = None
        if config.losses.adv.ever_positive():
            d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=config.discriminator.lr, betas=(0.5, 0.999))
        self.alternating = AlternatingConfig(
            n_critic=1,
            g_grad_clip=optim.grad_clip,
            d_grad_clip=optim.grad_clip,
            autocast_dtype=torch.bfloat16 if self._trains_in_bf16() else None,
            device_type=self.device.type,
            accumulate=optim.accumulate_steps,
            gradient_sync=self.world.sum_gradients_ if self.world.distributed else None,
        )
        schedule = inverse_sqrt_schedule(g_optimizer, optim.warmup_steps, restart_at=config.pretraining.mlm_steps)
        self._optimisers = (d_optimizer, g_optimizer, schedule)

    def _trains_in_bf16(self) -> bool:
        precision = self.config.runtime.precision
        # auto takes bf16 on GPUs only: on CPUs with bf16 arithmetic the whole step was measured x0.52-1.41 of fp32,
        # by CPU and model size (docs/speed.md), so no CPU flag says it will pay
        return precision == "bf16" or (precision == "auto" and self.device.type == "cuda" and has_bf16(self.device))

    def _setup_back_translation(self, teacher) -> None:
        """Who back-translates (the model, its average or frozen teachers) and the step that uses it."""
        config, bt = self.config, self.config.back_translation
        translator_model = teacher if teacher is not None else (self.average.model if bt.from_average else self.model)
        masks = {lang: m.to(self.device) for lang, m in self.output_masks.items()}
        generator = torch.Generator(device=self.device).manual_seed(config.runtime.seed)
        self.back_translator = BackTranslator(translator_model, self.vocab, self.device, bt.temperature, generator,
                                              masks, frozen=teacher is not None)
        if bt.word_by_word_steps > 0 and teacher is None:  # trained teachers translate from the first step
            self.back_translator.word_by_word = word_by_word_translators(self.run_dir, self.files, self.languages,
                                                                         self.start_config, self.device, self.pretrained)
        self.phases = Phases(config, has_lexicon=self.back_translator.word_by_word is not None)
        self.task = UNMTStep(self.model, self.discriminator, self.vocab, config, self.languages, self.device,
                             self.back_translator, config.runtime.seed)
        self.task.world = self.world
        d_optimizer, g_optimizer, schedule = self._optimisers
        self.trainer = AlternatingTrainer(self.task, d_optimizer, g_optimizer, self.alternating, schedule)
        # The translator evaluates (and the run ships) the averaged weights when there are any; the live weights
        # are then still scored on the test set, so every run measures what the average is worth.
        shipped = self.average.model if self.average else self.model
        self.translator = Translator(shipped, self.vocab, self.device, output_masks=self.output_masks)
        self.live_translator = Translator(self.model, self.vocab, self.device, output_masks=self.output_masks) if self.average else None

    def _write_metadata(self) -> None:
        """config.yaml, run.json and output_tokens.json, once the configuration is known to fit the run."""
        saved_config = self.run_dir / "config.yaml"
        if self.resumed_from is not None and saved_config.is_file():  # the configuration given now wins; say what it changes
            for change in changes_since(yaml.safe_load(saved_config.read_text(encoding="utf-8")) or {}, self.config):
                log.warning("resuming with a changed setting: %s", change)
        self.directory.write_text("config.yaml", yaml.safe_dump(to_dict(self.config), sort_keys=False))
        self.directory.write_json("run.json", run_info(self.model_config, self.src, self.tgt, str(self.data_dir)))
        if self.output_masks:
            save_output_masks(self.run_dir / "output_tokens.json", self.output_masks)

    # --- what the shared loop (unmt.training_loop) asks of a trainer ------------------------------------
    @property
    def step_count(self) -> int:
        return self.trainer.step_count

    def train_step(self) -> dict[str, float]:
        """One training step: the phase decides what runs, the trainer updates, the average follows."""
        phase = self.phases.at(self.trainer.step_count)
        self.task.begin(phase)
        metrics = self.trainer.step(lambda: {lang: next(s) for lang, s in self.streams.items()},
                                    update_discriminator=phase.uses_discriminator)
        if self.average:
            # counted like the loss schedules: the warm-up starts over where masked-LM pretraining ends and the
            # decoder is rebuilt from the encoder, so no pre-copy decoder lingers in it
            self.average.update(self.model, phase.unmt_step + 1)
        return metrics

    def train_record(self, means: dict[str, float]) -> dict:
        out = {k: round(v, 4) for k, v in means.items()}
        if "target_tokens" in out:  # summed over ranks, not averaged
            out["target_tokens"] = round(out["target_tokens"] * self.world.size, 1)
        return out

    def save(self, step: int, seconds: float) -> None:
        """Every rank hands over its random state; rank 0 writes the checkpoint."""
        self.state.clock["elapsed_seconds"] = seconds
        self.state.save(self.directory if self.world.is_main else None, {})
        if self.world.is_main:
            self.directory.prune()

    def checkpoint(self, step: int, seconds: float) -> float:
        """Rank 0 evaluates and saves, with every rank's random state; the others wait for it. Returns the seconds
        the test set took, which stay off the training clock."""
        self.state.clock["elapsed_seconds"] = seconds
        if step <= self.phases.mlm_steps:
            # Masked-LM pretraining: the decoder is untrained, so there is nothing to translate yet; a round trip
            # would only burn training time on max-length garbage. Save for resumption.
            self.save(step, seconds)
            log.info("pretraining step %d: checkpoint saved, evaluation starts with UNMT", step)
            return 0.0
        if not self.world.is_main:
            self.state.save(None, {})
            self.world.barrier()
            self.scores = {"step": step}
            return 0.0
        scores, test_seconds = self.evaluate()
        self.scores = scores
        select_by, clock = self.config.evaluation.select_by, self.state.clock
        improved = scores[select_by] > clock["best_score"]
        if improved:
            clock["best_score"] = scores[select_by]
        path = self.state.save(self.directory, scores)
        if improved:
            self.directory.point("best", path)
        self.directory.prune()
        record = {"step": step, "seconds": round(seconds, 1), **{k: round(v, 2) for k, v in scores.items()}}
        if test_seconds:
            record["test_scoring_seconds"] = round(test_seconds, 1)
        self.directory.log("eval", record)
        self.directory.write_text(CARD, run_card(self.run_dir))
        log.info("eval %s", " ".join(f"{k}={v}" for k, v in record.items()))
        self.world.barrier()
        return test_seconds

    def evaluate(self) -> tuple[dict, float]:
        """The scores, and the seconds scoring the test set took (a measurement, not training)."""
        return run_scores(self.translator, self.live_translator, self.valid, self.test, self.files,
                          self.languages, self.config.evaluation.select_by)

    def run(self, max_steps: int | None = None, max_minutes: float | None = None) -> dict:
        runtime = self.config.runtime
        budget = Budget(max_steps or runtime.max_steps, 60 * (max_minutes if max_minutes is not None else runtime.max_minutes))
        self.model.train()
        self.discriminator.train()
        end = run_loop(self, self.directory, self.world, budget, Cadence(LOG_EVERY, self.config.evaluation.every),
                       self.state.clock["elapsed_seconds"], resumed=self.resumed_from is not None)
        return {"step": end.step, "seconds": round(end.seconds, 1), **self.scores}


def _stream_lines(path: Path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            yield line.rstrip("\r\n")
