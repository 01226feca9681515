"""The UNMT training run: data, vocabulary, model, the alternating trainer, evaluation and checkpoints."""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import asdict
from functools import partial
from pathlib import Path

import numpy as np
import torch
import yaml
from tqdm import tqdm

from unmt.adversarial.trainer import AlternatingConfig, AlternatingTrainer, NonFiniteLossError
from unmt.checkpoint import CheckpointError, atomic_torch_save, find_run, load_json, load_trainer_state, load_weights, prune, read_pointer, save_checkpoint, set_pointer
from unmt.config import Config, ConfigError, changes_since, to_dict
from unmt.data.corpus import BatchStream, DataError, DataFiles, MonolingualCorpus, load_text_dataset, read_lines
from unmt.data.parallel import SPLIT as PARALLEL, ParallelCorpus
from unmt.data.toy import write_toy_corpus
from unmt.data.vocab import EOS, Vocabulary
from unmt.lexicon.from_translations import lexicon_from_translations
from unmt.lexicon.induce import induce_lexicon, translate_word_by_word
from unmt.lexicon.pipeline import lexicon_from_monolingual
from unmt.lexicon.subword_init import aligned_subword_embeddings, initialise_embeddings_
from unmt.models.discriminators import LatentDiscriminator
from unmt.models.transformer import Transformer, TransformerConfig
from unmt.schedules import PiecewiseLinear
from unmt.translation.averaging import AVERAGE_WEIGHTS, WeightAverage
from unmt.translation.evaluate import evaluate_pair, round_trip_bleu
from unmt.translation.model_io import load_teachers, load_translator, run_info, save_output_masks
from unmt.translation.task import UNMTTask
from unmt.translation.translator import Translator

log = logging.getLogger("unmt")

LEXICON_LINES = 100_000  # training lines per language that the lexicon and the aligned embeddings are built from


def inverse_sqrt_schedule(
    optimizer: torch.optim.Optimizer, warmup: int, restart_at: int = 0
) -> torch.optim.lr_scheduler.LambdaLR:
    """Linear warm-up to the base rate, then decay with 1/sqrt(step) (Vaswani et al. 2017).

    The schedule starts over at step `restart_at` (the end of masked-LM pretraining): the decoder and the
    cross-attention only begin to learn there, and would otherwise start on a rate already decayed for them."""
    warmup = max(1, warmup)

    def factor(step: int) -> float:
        step = step - restart_at if step >= restart_at else step
        return min((step + 1) / warmup, (warmup / (step + 1)) ** 0.5)

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


class TrainingRun:
    """Everything one `unmt train` needs, built once; `run()` trains until a step or time budget is spent."""

    def __init__(self, config: Config, src: str, tgt: str, run_dir: Path, data_dir: Path | None, resume: bool = False):
        self.config, self.src, self.tgt, self.run_dir = config, src, tgt, run_dir
        self.languages = (src, tgt)
        train = config.train
        if train.threads > 0:
            torch.set_num_threads(train.threads)
        torch.manual_seed(train.seed)
        self.device = pick_device(train.device)
        run_dir.mkdir(parents=True, exist_ok=True)

        if data_dir is None:  # the embedded toy corpus, generated into the run folder
            data_dir = run_dir / "data"
            if not (data_dir / f"train.{src}").is_file():
                write_toy_corpus(data_dir, src, tgt, n_train=config.data.toy_sentences, seed=train.seed)
        self.files = DataFiles(Path(data_dir), self.languages)
        self.files.check()
        if train.select_by == "valid_bleu" and not self.files.has("valid"):
            raise ConfigError("train.select_by=valid_bleu needs parallel valid.<lang> files in the data directory")

        # Teachers first: a new run takes their subword model, for ids to mean the same pieces to both.
        teacher, teacher_vocabulary = None, None
        if train.bt_teachers:
            teacher, teacher_vocabulary = load_teachers([Path(p) for p in train.bt_teachers], self.languages, self.device)
        spm_path = run_dir / "spm.model"
        if resume and spm_path.is_file():
            self.vocab = Vocabulary.load(spm_path, self.languages)
        elif teacher_vocabulary is not None:
            self.vocab = Vocabulary(teacher_vocabulary, self.languages)
            self.vocab.save(spm_path)
        else:
            log.info("learning a joint %s vocabulary of %d pieces", config.data.vocab_type, config.data.vocab_size)
            self.vocab = Vocabulary.train(
                {lang: _stream_lines(self.files.path("train", lang)) for lang in self.languages},
                config.data.vocab_size,
                config.data.vocab_type,
            )
            self.vocab.save(spm_path)

        self.corpora = {
            lang: MonolingualCorpus(load_text_dataset(self.files.path("train", lang)), self.vocab, config.data.max_len)
            for lang in self.languages
        }
        self.streams = {
            lang: BatchStream(self.corpora[lang], config.data.max_tokens, seed=train.seed * 10 + i)
            for i, lang in enumerate(self.languages)
        }
        if PiecewiseLinear.parse(train.lambda_mt).ever_positive():
            self.streams[PARALLEL] = BatchStream(self._parallel_corpus(), config.data.max_tokens, seed=train.seed * 10 + 2)
        self.valid = self._valid_sentences()
        self.test = (
            {lang: read_lines(self.files.path("test", lang)) for lang in self.languages} if self.files.has("test") else None
        )

        # The model starts at the dropout schedule's first rate; the task sets the scheduled rate every step.
        model_options = {**asdict(config.model), "dropout": PiecewiseLinear.parse(config.model.dropout)(0)}
        self.model_config = TransformerConfig(vocab_size=len(self.vocab), **model_options)
        self.model = Transformer(self.model_config).to(self.device)
        self.average = WeightAverage(self.model, train.weight_average) if train.weight_average > 0 else None
        d = config.discriminator
        self.discriminator = LatentDiscriminator(config.model.d_model, d.hidden, d.layers, 2, d.dropout).to(self.device)
        g_optimizer = torch.optim.Adam(self.model.parameters(), lr=train.lr, betas=(0.9, 0.98))
        # A discriminator whose fooling term is weighted 0 at every step feeds nothing back: it is not trained.
        adversarial = PiecewiseLinear.parse(train.lambda_adv).ever_positive()
        d_optimizer = torch.optim.Adam(self.discriminator.parameters(), lr=d.lr, betas=(0.5, 0.999)) if adversarial else None
        self.task = UNMTTask(self.model, self.discriminator, self.vocab, config, self.languages, self.device, train.seed)
        if train.bt_from_average:
            self.task.teacher = self.average.model
        if teacher is not None:
            if teacher_vocabulary != self.vocab.model_proto:
                raise ConfigError(f"train.bt_teachers: the teachers' subword model is not this run's ({spm_path}); a run "
                                  "can only learn from teachers that share its vocabulary")
            self.task.teacher = teacher
            if train.bt_temperature == 0:
                self.task.remember_teacher_translations()
        self.trainer = AlternatingTrainer(
            self.task,
            d_optimizer,
            g_optimizer,
            AlternatingConfig(
                n_critic=1,
                g_grad_clip=train.grad_clip,
                d_grad_clip=train.grad_clip,
                autocast_dtype=torch.bfloat16 if train.precision == "bf16" else None,
                device_type=self.device.type,
            ),
            inverse_sqrt_schedule(g_optimizer, train.warmup_steps, restart_at=train.mlm_steps),
        )
        setup_started = time.monotonic()
        if train.word_by_word_steps > 0 and teacher is None:  # trained teachers translate from the first step
            self.task.word_by_word = self._word_by_word()
        output_masks = self._output_masks() if train.restrict_output else {}
        self.task.output_masks = {lang: m.to(self.device) for lang, m in output_masks.items()}
        # The translator evaluates (and the run ships) the averaged weights when there are any; the live weights
        # are then still scored on the test set, so every run measures what the average is worth.
        shipped = self.average.model if self.average else self.model
        self.translator = Translator(shipped, self.vocab, self.device, output_masks=output_masks)
        self.live_translator = Translator(self.model, self.vocab, self.device, output_masks=output_masks) if self.average else None
        self.elapsed = 0.0  # training seconds over all sessions of this run, checkpoint selection included
        self.test_seconds = 0.0  # time the last evaluation spent scoring the test set, kept off that clock
        self.best_score = float("-inf")

        saved_config = run_dir / "config.yaml"
        if resume and saved_config.is_file():  # the configuration given now wins; say what it changes
            for change in changes_since(yaml.safe_load(saved_config.read_text(encoding="utf-8")) or {}, config):
                log.warning("resuming with a changed setting: %s", change)
        saved_config.write_text(yaml.safe_dump(to_dict(config), sort_keys=False), encoding="utf-8")
        info = run_info(self.model_config, src, tgt, str(data_dir))
        (run_dir / "run.json").write_text(json.dumps(info, indent=1), encoding="utf-8")
        if resume:
            self._restore()
        if self.trainer.step_count == 0 and train.init_embeddings != "random":
            self._initialise_embeddings(train.init_embeddings)
        if self.trainer.step_count == 0:  # preparation outside the training clock, logged so it can be reported
            self._log({"step": 0, "setup_seconds": round(time.monotonic() - setup_started, 1)})

    def _parallel_corpus(self) -> ParallelCorpus:
        if not self.files.has(PARALLEL):
            names = " and ".join(str(self.files.path(PARALLEL, lang)) for lang in self.languages)
            raise ConfigError(f"train.lambda_mt trains on parallel pairs: it needs {names} (line i of one translating line i of the other)")
        for lang in self.languages:
            if self.files.path(PARALLEL, lang).stat().st_size == 0:
                raise DataError(f"the parallel file {self.files.path(PARALLEL, lang)} is empty")
        datasets = [load_text_dataset(self.files.path(PARALLEL, lang)) for lang in self.languages]
        corpus = ParallelCorpus(*datasets, self.vocab, self.config.data.max_len)
        log.info("supervised translation on %d parallel pairs (train.lambda_mt)", len(corpus))
        return corpus

    def _output_masks(self) -> dict[str, torch.Tensor]:
        """Per language, the subwords its training corpus uses (plus EOS); saved for `unmt translate`."""
        masks = {}
        for lang, corpus in self.corpora.items():
            mask = corpus.token_mask(len(self.vocab))
            mask[EOS] = True
            masks[lang] = torch.from_numpy(mask)
        save_output_masks(self.run_dir / "output_tokens.json", masks)
        return masks

    def _word_by_word(self) -> dict:
        """Induces (or reloads) the bilingual lexicon from the two training corpora: no parallel data."""
        path = self.run_dir / "lexicon.json"
        if path.is_file():
            lexicon = json.loads(path.read_text(encoding="utf-8"))
        else:
            if self.config.train.lexicon_from:
                lexicon = self._lexicon_from_earlier_run(self.config.train.lexicon_from)
            else:
                method = self.config.train.lexicon_method
                log.info("inducing a bilingual lexicon from the monolingual corpora (%s)", method)
                lines = [read_lines(self.files.path("train", lang), LEXICON_LINES) for lang in self.languages]
                if method == "anchors":
                    induced = induce_lexicon(*lines)
                else:
                    induced = lexicon_from_monolingual(*lines, method, seed=self.config.train.seed)
                lexicon = {self.tgt: induced.forward, self.src: induced.backward}  # keyed by the language translated into
            path.write_text(json.dumps(lexicon, ensure_ascii=False, indent=0), encoding="utf-8")
        return {lang: partial(translate_word_by_word, lexicon=lexicon[lang]) for lang in self.languages}

    def _lexicon_from_earlier_run(self, name: str) -> dict:
        """The lexicon read off an earlier run's greedy translations of this run's training corpora."""
        try:
            earlier = find_run(self.run_dir.parent, name)
        except CheckpointError as error:
            raise ConfigError(f"train.lexicon_from: {error}") from None
        translator, info = load_translator(earlier, device=self.device)
        if set(info["languages"]) != set(self.languages):
            raise ConfigError(f"train.lexicon_from: run {earlier.name} translates {'/'.join(info['languages'])}, "
                              f"this run {'/'.join(self.languages)}")
        corpora = {lang: [line for line in read_lines(self.files.path("train", lang), LEXICON_LINES) if line.strip()] for lang in self.languages}
        log.info("reading a lexicon off %s's translations of %s sentences", earlier.name, " + ".join(str(len(c)) for c in corpora.values()))
        translate = partial(translator.translate, batch_size=128)
        return lexicon_from_translations(corpora, translate, self.src, self.tgt)

    def _initialise_embeddings(self, method: str) -> None:
        """Copies the aligned skip-gram table into the embeddings. The table is kept in the run folder, like the
        lexicon, so a run restarted from step 0 (or copied to another machine) skips its minute or more of
        skip-gram training; a table for another width, vocabulary, method or seed is recomputed."""
        path = self.run_dir / "aligned_embeddings.pt"
        vocabulary = hashlib.sha256((self.run_dir / "spm.model").read_bytes()).hexdigest()
        key = {"method": method, "dim": self.config.model.d_model, "vocabulary": vocabulary, "seed": self.config.train.seed}
        cached = torch.load(path, weights_only=True) if path.is_file() else None
        if cached is not None and cached["key"] == key:
            vectors, found = cached["vectors"], cached["found"]
        else:
            lines = {lang: read_lines(self.files.path("train", lang), LEXICON_LINES) for lang in self.languages}
            vectors, found = aligned_subword_embeddings(
                self.vocab, lines, self.languages, self.config.model.d_model, method, self.config.train.seed
            )
            atomic_torch_save({"key": key, "vectors": vectors, "found": found}, path)  # never half a table to trust
        initialise_embeddings_(self.model.embed, vectors, found)

    def _valid_sentences(self) -> dict[str, list[str]]:
        n = self.config.train.eval_sentences
        if self.files.has("valid"):
            return {lang: [s for s in read_lines(self.files.path("valid", lang)) if s.strip()][:n] for lang in self.languages}
        log.warning("no valid.<lang> files: the round-trip criterion uses the first %d training lines", n)
        return {lang: read_lines(self.files.path("train", lang), n) for lang in self.languages}

    # --- checkpoints ------------------------------------------------------------------------------------
    def _save(self, scores: dict) -> Path:
        trainer_state = self.trainer.state_dict()
        trainer_state["torch_rng"] = torch.get_rng_state()
        trainer_state["sample_rng"] = self.task.sample_generator.get_state()
        if self.device.type == "cuda":  # dropout on the GPU draws from the device's own generator
            trainer_state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        state = {
            "step": self.trainer.step_count,
            "elapsed_seconds": self.elapsed,
            "best_score": self.best_score,
            "scores": scores,
            "streams": {lang: s.state_dict() for lang, s in self.streams.items()},
            "noise_rng": self.task.rng.bit_generator.state,
        }
        weights = {"model": self.model.state_dict(), "discriminator": self.discriminator.state_dict()}
        if self.average:
            weights[AVERAGE_WEIGHTS] = self.average.state_dict()
        path = save_checkpoint(self.run_dir, self.trainer.step_count, weights, trainer_state, state)
        set_pointer(self.run_dir, "latest", path)
        return path

    def _restore(self) -> None:
        checkpoint = read_pointer(self.run_dir, "latest")
        if checkpoint is None:
            log.warning("nothing to resume in %s: starting from scratch", self.run_dir)
            return
        self.model.load_state_dict(load_weights(checkpoint / "model.safetensors"))
        self.discriminator.load_state_dict(load_weights(checkpoint / "discriminator.safetensors"))
        if self.average:  # a run trained without averaging starts its average at the restored weights
            average = checkpoint / f"{AVERAGE_WEIGHTS}.safetensors"
            self.average.load_state_dict(load_weights(average) if average.is_file() else self.model.state_dict())
        trainer_state = load_trainer_state(checkpoint / "trainer.pt")
        self.trainer.load_state_dict(trainer_state)
        self._apply_configured_rates()
        self._restore_random_states(trainer_state)
        state = load_json(checkpoint / "state.json")
        self.task.step = state["step"]
        self.elapsed, self.best_score = state["elapsed_seconds"], state["best_score"]
        for name, stream_state in state["streams"].items():
            if name in self.streams:  # a run resumed without its parallel pairs leaves their position behind
                self.streams[name].load_state_dict(stream_state)
        self.task.rng.bit_generator.state = state["noise_rng"]
        log.info("resumed %s at step %d (%.0f s trained)", checkpoint.name, state["step"], self.elapsed)

    def _restore_random_states(self, trainer_state: dict) -> None:
        torch.set_rng_state(trainer_state["torch_rng"])
        if self.device.type == "cuda" and "cuda_rng" in trainer_state:
            torch.cuda.set_rng_state(trainer_state["cuda_rng"], self.device)
        try:
            self.task.sample_generator.set_state(trainer_state["sample_rng"])
        except RuntimeError:  # saved on another device type (CPU <-> GPU): its generator state has another layout
            log.warning("the checkpoint was written on another device type: back-translation sampling is reseeded")
            self.task.sample_generator.manual_seed(self.config.train.seed + self.trainer.step_count)

    def _apply_configured_rates(self) -> None:
        """A checkpoint's optimiser state carries the learning rates it was trained with; the configuration given
        to --resume wins, so `--set train.lr=...` on a resumed run takes effect instead of being silently ignored.
        (The change itself is reported once, with every other changed setting, against the run's config.yaml.)"""
        scheduler = self.trainer.g_scheduler
        scheduler.base_lrs = [self.config.train.lr for _ in scheduler.base_lrs]
        factor = scheduler.lr_lambdas[0](scheduler.last_epoch)  # the generator's rate follows its schedule
        sides = ((self.trainer.g_optimizer, self.config.train.lr, factor), (self.trainer.d_optimizer, self.config.discriminator.lr, 1.0))
        for optimizer, rate, scale in sides:
            if optimizer is None:  # no discriminator to train
                continue
            for group in optimizer.param_groups:
                group.update(lr=rate * scale, initial_lr=rate)

    # --- evaluation ---------------------------------------------------------------------------------------
    def evaluate(self) -> dict:
        src, tgt = self.languages
        scores = {
            f"round_trip_{src}": round_trip_bleu(self.translator, self.valid[src], src, tgt),
            f"round_trip_{tgt}": round_trip_bleu(self.translator, self.valid[tgt], tgt, src),
        }
        scores["round_trip"] = (scores[f"round_trip_{src}"] + scores[f"round_trip_{tgt}"]) / 2
        if self.config.train.select_by == "valid_bleu":
            valid = {lang: read_lines(self.files.path("valid", lang)) for lang in self.languages}
            pair = evaluate_pair(self.translator, valid[src], valid[tgt], src, tgt)
            scores["valid_bleu"] = (pair[f"{src}-{tgt}"]["bleu"] + pair[f"{tgt}-{src}"]["bleu"]) / 2
        self.test_seconds = 0.0
        if self.test is not None:  # reported for the curves only; never used to choose anything
            started = time.monotonic()
            pair = evaluate_pair(self.translator, self.test[src], self.test[tgt], src, tgt)
            for direction, result in pair.items():
                scores[f"test_bleu_{direction}"] = result["bleu"]
                scores[f"test_chrf_{direction}"] = result["chrf"]
            if self.live_translator:
                pair = evaluate_pair(self.live_translator, self.test[src], self.test[tgt], src, tgt)
                for direction, result in pair.items():
                    scores[f"test_bleu_live_{direction}"] = result["bleu"]
            # Scoring the test set is a measurement, not training: it stays off the training clock.
            self.test_seconds = time.monotonic() - started
        return scores

    def _log(self, record: dict) -> None:
        with open(self.run_dir / "metrics.jsonl", "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")

    # --- the loop -----------------------------------------------------------------------------------------
    def run(self, max_steps: int | None = None, max_minutes: float | None = None) -> dict:
        train = self.config.train
        max_steps = max_steps or train.max_steps
        budget = 60 * (max_minutes if max_minutes is not None else train.max_minutes)
        self.model.train()
        self.discriminator.train()
        running: dict[str, list[float]] = {}
        scores: dict = {}
        started = time.monotonic() - self.elapsed
        progress = tqdm(total=max_steps, initial=self.trainer.step_count, desc="train", unit="step", leave=False, disable=None)
        try:
            while self.trainer.step_count < max_steps and not (budget and self.elapsed >= budget):
                metrics = self.trainer.step(lambda: {lang: next(s) for lang, s in self.streams.items()})
                if self.average:
                    # counted like the loss schedules: the warm-up starts over where masked-LM pretraining
                    # ends and the decoder is rebuilt from the encoder, so no pre-copy decoder lingers in it
                    self.average.update(self.model, self.task.unmt_step)
                self.elapsed = time.monotonic() - started
                for key, value in metrics.items():
                    running.setdefault(key, []).append(value)
                step = self.trainer.step_count
                progress.update(1)
                if step % 10 == 0:
                    means = {k: round(float(np.mean(v)), 4) for k, v in running.items()}
                    progress.set_postfix(loss=means.get("loss"), d_acc=means.get("d_accuracy"))
                    self._log({"step": step, "seconds": round(self.elapsed, 1), **means})
                    running = {}
                if step % train.eval_every == 0:
                    if self.task.unmt_step <= 0:
                        # Masked-LM pretraining: the decoder is untrained, so there is nothing to translate yet;
                        # a round trip would only burn training time on max-length garbage. Save for resumption.
                        self._save(scores)
                        prune(self.run_dir)
                        log.info("pretraining step %d: checkpoint saved, evaluation starts with UNMT", step)
                    else:
                        scores = self._checkpoint(step)
                        started += self.test_seconds
                        self.elapsed = time.monotonic() - started
        except KeyboardInterrupt:
            log.warning("interrupted: saving a checkpoint at step %d before exiting", self.trainer.step_count)
            self._save(scores)
            raise
        except NonFiniteLossError:
            log.error("stopping: the last good checkpoint in %s is kept", self.run_dir)
            raise
        finally:
            progress.close()
        if self.trainer.step_count % train.eval_every != 0 or not scores:
            scores = self._checkpoint(self.trainer.step_count)
        return {"step": self.trainer.step_count, "seconds": round(self.elapsed, 1), **scores}

    def _checkpoint(self, step: int) -> dict:
        scores = self.evaluate()
        improved = scores[self.config.train.select_by] > self.best_score
        if improved:
            self.best_score = scores[self.config.train.select_by]
        path = self._save(scores)
        if improved:
            set_pointer(self.run_dir, "best", path)
        prune(self.run_dir)
        record = {"step": step, "seconds": round(self.elapsed, 1), **{k: round(v, 2) for k, v in scores.items()}}
        if self.test_seconds:
            record["test_scoring_seconds"] = round(self.test_seconds, 1)
        self._log({"eval": True, **record})
        log.info("eval %s", " ".join(f"{k}={v}" for k, v in record.items()))
        return scores


def _stream_lines(path: Path):
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            yield line.rstrip("\r\n")
