"""The UNMT training run, assembled by the functions of unmt.translation.run_parts and trained by `run()` in the
loop every trainer shares (unmt.training_loop).

In order: the pretrained files named (vectors, dictionary), teachers (when trained runs back-translate),
vocabulary, data, the configuration reconciled with them, model, back-translator, step and trainer, restore
(resuming), initialisation (a new run's aligned embeddings), then the run's metadata is written. Nothing is written
into a resumed run before its checkpoint has been checked against the configuration and restored, so a refused
resume leaves the run as it was.

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
from pathlib import Path

import torch
import yaml

from unmt.config import Config, to_dict
from unmt.distributed import World
from unmt.export.model_card import run_card
from unmt.lexicon.pretrained import read_pretrained
from unmt.run_directory import RunDirectory
from unmt.run_layout import BEST, CARD, CONFIG, LATEST, OUTPUT_TOKENS, RUN_INFO
from unmt.tensorboard import EventLog
from unmt.training_loop import Budget, Cadence, run_loop
from unmt.translation.data_limits import settings_the_data_cannot_honour, with_vocabulary_size
from unmt.translation.model_io import load_teachers, run_info, save_output_masks
from unmt.translation.pair_recipe import PAIR, resolve_pair_settings
from unmt.translation.phases import Phases
from unmt.translation.run_parts import (
    build_back_translator,
    build_networks,
    build_trainer,
    check_shape_against_run,
    data_files,
    load_data,
    open_vocabulary,
    reconcile_with_run,
    trains_in_bf16,
)
from unmt.translation.run_scores import run_scores
from unmt.translation.run_state import RunState
from unmt.translation.starting_points import (
    TrainingSample,
    describe_pair,
    initialise_embeddings,
    word_by_word_lexicon,
    word_by_word_translators,
)
from unmt.translation.translator import Translator

log = logging.getLogger("unmt")

LOG_EVERY = 10  # steps between train lines


class TrainingRun:
    """Everything one `unmt train` needs, built once by the functions of unmt.translation.run_parts; `run()` trains
    until a step or time budget is spent."""

    def __init__(self, config: Config, src: str, tgt: str, directory: RunDirectory | Path, data_dir: Path | None,
                 resume: bool = False, world: World | None = None):
        if not isinstance(directory, RunDirectory):  # a bare folder (library use, tests): no lock is taken
            Path(directory).mkdir(parents=True, exist_ok=True)
            directory = RunDirectory(Path(directory))
        self.src, self.tgt, self.languages = src, tgt, (src, tgt)
        self.directory, self.run_dir = directory, directory.path
        run_dir = directory.path
        self.world = world = world or World()
        runtime = config.runtime
        if runtime.threads > 0:
            torch.set_num_threads(runtime.threads)
        torch.manual_seed(runtime.seed)
        self.device = device = world.device(runtime.device)
        if not world.is_main:
            world.barrier()  # rank 0 prepares the vocabulary, data, lexicon and tables; the others then read them
        self.resumed_from = directory.pointer(LATEST) if resume else None
        if resume and self.resumed_from is None:
            log.warning("nothing to resume in %s: starting from scratch", run_dir)
        if self.resumed_from is not None:
            check_shape_against_run(run_dir, config)
            config = reconcile_with_run(run_dir, config)
        new_run = self.resumed_from is None
        setup_started = time.monotonic()
        self.scores: dict = {}  # the latest evaluation's

        # Vector and dictionary files made elsewhere, read (and refused if malformed) before anything is written;
        # rank 0 alone, which writes what the other ranks then read. A resumed run needs the dictionary only.
        p, bt = config.pretraining, config.back_translation
        self.pretrained = (read_pretrained(src, tgt, p.src_vectors, p.tgt_vectors, bt.dictionary, bt.reverse_dictionary,
                                           with_vectors=new_run)
                           if world.is_main and (p.src_vectors or bt.dictionary) else None)
        # trained runs that back-translate (frozen); a new run takes their subword model
        teacher, teacher_vocabulary = (load_teachers([Path(t) for t in bt.teachers], self.languages, device)
                                       if bt.teachers else (None, None))
        self.files = data_files(data_dir, run_dir, self.languages, config)
        self.data_dir = self.files.directory
        self.vocab = vocab = open_vocabulary(
            self.files, run_dir, config, not (world.is_main and new_run), teacher_vocabulary
        )
        data = load_data(self.files, vocab, config, world)
        self.corpora, self.streams, self.valid, self.test = data.corpora, data.streams, data.valid, data.test
        self.parallel_valid, self.output_masks = data.parallel_valid, data.output_masks
        self.adjusted = settings_the_data_cannot_honour(
            config, len(vocab), max(c.longest for c in data.corpora.values()),
            min(map(len, data.valid.values()))) if world.is_main and new_run else {}
        # the one configuration of the run from here on: as asked, with the vocabulary size it really has
        self.config = config = with_vocabulary_size(config, len(vocab))
        sample = TrainingSample(self.files)  # read once, by whichever starting point first needs it
        # The pair's shared-spelling signals (a second or two): for a new run's setup line, and wherever a setting
        # asks to be chosen by them (every rank then computes them, so all choose alike).
        asks_pair = PAIR in (p.init_embeddings, bt.lexicon_method)
        self.pair = describe_pair(sample, self.languages, vocab) if asks_pair or (world.is_main and new_run) else None
        # the starting points are made with the pair-dependent settings chosen; config.yaml keeps what was asked
        start_config, pair_choice = resolve_pair_settings(config, self.pair)
        if pair_choice:
            log.info(
                "pair-dependent settings: %s (%s)",
                ", ".join(f"{k}={v}" for k, v in pair_choice["settings"].items()),
                pair_choice["reason"],
            )
        nets = build_networks(config, len(vocab), device)
        self.model_config, self.model, self.average, self.discriminator = (
            nets.model_config,
            nets.model,
            nets.average,
            nets.discriminator,
        )
        lexicon = (
            word_by_word_lexicon(run_dir, sample, self.languages, start_config, device, self.pretrained)
            if bt.word_by_word_steps > 0 and teacher is None
            else None
        )  # trained teachers translate from the first step
        word_by_word = word_by_word_translators(lexicon) if lexicon is not None else None
        self.back_translator = build_back_translator(
            config, nets, teacher, vocab, device, self.output_masks, word_by_word
        )
        self.phases = Phases(config, has_lexicon=word_by_word is not None)
        self.trainer = build_trainer(config, nets, vocab, self.languages, device, self.back_translator, world)
        self.task = self.trainer.task
        # The translator evaluates (and the run ships) the averaged weights when there are any; the live weights
        # are then still scored on the test set, so every run measures what the average is worth.
        self.translator = Translator(
            self.average.model if self.average else self.model, vocab, device, output_masks=self.output_masks
        )
        self.live_translator = (
            Translator(self.model, vocab, device, output_masks=self.output_masks) if self.average else None
        )
        self.state = RunState(self.model, self.discriminator, self.average, self.trainer, self.streams,
                              self.task.rng, self.back_translator.generator, device, world)
        criterion = None  # the embedding alignment's, when this run makes one
        if not new_run:
            self.state.restore(self.resumed_from, runtime.seed)
            self.trainer.set_rates(config.optim.lr, config.discriminator.lr)
        elif start_config.pretraining.init_embeddings != "random":
            criterion = initialise_embeddings(
                self.model, run_dir, vocab, sample, self.languages, start_config, self.pretrained
            )
        if world.is_main:
            self._write_metadata()
            if config.runtime.tensorboard:
                directory.mirror_to(EventLog.open(run_dir, to_dict(config)))
            if self.trainer.step_count == 0:  # preparation outside the training clock, logged so it can be reported
                signals = self.pair if self.pair is not None else describe_pair(sample, self.languages, vocab)
                pair = {**signals, **({"chosen": pair_choice} if pair_choice else {})}
                if criterion is not None:
                    pair["embedding_alignment_criterion"] = round(criterion, 4)
                bf16 = trains_in_bf16(runtime.precision, device)
                directory.log("setup", {"step": 0, "setup_seconds": round(time.monotonic() - setup_started, 1),
                                        "world_size": world.size, "global_batch_tokens": self.global_batch_tokens,
                                        "precision": "bf16" if bf16 else "fp32", "pair": pair,
                                        **({"adjusted": self.adjusted} if self.adjusted else {})})
            world.barrier()  # the other ranks may read what rank 0 prepared
        if world.distributed and new_run:  # the same weights everywhere, each rank its own draws
            world.broadcast_(self.model)
            world.broadcast_(self.discriminator)
            self.state.reseed(runtime.seed)

    @property
    def global_batch_tokens(self) -> int:
        """Padded source tokens per language in one update, over every rank and accumulated batch."""
        return self.config.data.max_tokens * self.world.size * self.config.optim.accumulate_steps

    def _write_metadata(self) -> None:
        """config.yaml, run.json and output_tokens.json, once the configuration is known to fit the run."""
        self.directory.write_text(CONFIG, yaml.safe_dump(to_dict(self.config), sort_keys=False))
        self.directory.write_json(RUN_INFO, run_info(self.model_config, self.src, self.tgt, str(self.data_dir)))
        if self.output_masks:
            save_output_masks(self.run_dir / OUTPUT_TOKENS, self.output_masks)

    # --- what the shared loop (unmt.training_loop) asks of a trainer ------------------------------------
    @property
    def step_count(self) -> int:
        return self.trainer.step_count

    def train_step(self, next_batch=None) -> dict[str, float]:
        """One training step: the phase decides what runs, the trainer updates, the average follows.
        `next_batch`: what gives the batches (default: the run's streams)."""
        phase = self.phases.at(self.trainer.step_count)
        next_batch = next_batch or (lambda: {lang: next(s) for lang, s in self.streams.items()})
        metrics = self.trainer.step(
            next_batch, update_discriminator=phase.uses_discriminator, task=self.task.begin(phase)
        )
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
            self.directory.point(BEST, path)
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
        return run_scores(self.translator, self.live_translator, self.valid, self.parallel_valid, self.test,
                          self.languages)

    def run(self, max_steps: int | None = None, max_minutes: float | None = None) -> dict:
        runtime = self.config.runtime
        budget = Budget(
            max_steps or runtime.max_steps, 60 * (max_minutes if max_minutes is not None else runtime.max_minutes)
        )
        self.model.train()
        self.discriminator.train()
        end = run_loop(self, self.directory, self.world, budget, Cadence(LOG_EVERY, self.config.evaluation.every),
                       self.state.clock["elapsed_seconds"], resumed=self.resumed_from is not None)
        return {"step": end.step, "seconds": round(end.seconds, 1), **self.scores}
