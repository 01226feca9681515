"""One UNMT training step as an adversarial task: the paper's recipe, read top to bottom.

discriminator_loss: encode a noisy batch of each language without gradients; D predicts the language.
generator_loss:     during the first `train.mlm_steps` (0 by default), masked-LM pretraining of the encoder only
                    (unmt.translation.mlm); then, for each language, denoise C(x) -> x (skipped while its
                    scheduled weight is 0 and back-translation runs);
                    for each direction, back-translate x -> y with the current model (eval mode, no gradient;
                    during the first steps optionally word by word with an induced lexicon; or with frozen
                    teacher models, each sentence once),
                    then learn to recover x from C(y) (and, with teachers, optionally to write y from x);
                    with parallel pairs (train.lambda_mt), also learn to translate them, both directions;
                    plus the adversarial term: the encoder states of the denoising inputs (without
                    denoising, of the back-translated inputs) must fool D.
The AlternatingTrainer of unmt.adversarial calls the two in turn.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from unmt.adversarial.losses import classifier_discriminator_loss, classifier_fooling_loss
from unmt.config import Config
from unmt.data.noise import NoiseConfig, corrupt, split_words
from unmt.data.parallel import SPLIT as PARALLEL
from unmt.data.vocab import EOS, PAD, UNK, Vocabulary
from unmt.models.discriminators import LatentDiscriminator
from unmt.models.ensemble import Ensemble
from unmt.models.transformer import Transformer
from unmt.schedules import PiecewiseLinear
from unmt.translation.batching import pad, source_batch, target_batch
from unmt.translation.mlm import copy_encoder_into_decoder_, mask_tokens
from unmt.translation.search import greedy_search

# language -> sentences as subword ids; with parallel data also PARALLEL -> (src rows, tgt rows)
Batch = dict[str, list[list[int]] | tuple[list[list[int]], list[list[int]]]]


class UNMTTask:
    def __init__(
        self,
        model: Transformer,
        discriminator: LatentDiscriminator | None,
        vocab: Vocabulary,
        config: Config,
        languages: tuple[str, str],
        device: torch.device,
        seed: int,
    ):
        self.model, self.discriminator, self.vocab, self.config = model, discriminator, vocab, config
        self.languages, self.device = languages, device
        self.rng = np.random.default_rng(seed)
        # On the device that samples: torch.multinomial refuses a CPU generator for CUDA probabilities.
        self.sample_generator = torch.Generator(device=device).manual_seed(seed)
        train = config.train
        self.lambda_ae = PiecewiseLinear.parse(train.lambda_ae)
        self.lambda_bt = PiecewiseLinear.parse(train.lambda_bt)
        self.lambda_kd = PiecewiseLinear.parse(train.lambda_kd)
        self.lambda_mt = PiecewiseLinear.parse(train.lambda_mt)
        self.lambda_adv = PiecewiseLinear.parse(train.lambda_adv)
        self.dropout = PiecewiseLinear.parse(config.model.dropout)
        self.step = 0  # generator steps taken, pretraining included
        self.mlm_steps = train.mlm_steps
        # language -> word-by-word translator into that language, used for the first back-translations
        self.word_by_word: dict[str, Callable[[str], str]] | None = None
        self.output_masks: dict[str, torch.Tensor] = {}  # language -> (V,) bool of subwords it may emit
        self.teacher: Transformer | Ensemble | None = None  # the model that back-translates, when not the one trained
        # (target language, source ids) -> back-translation, for a teacher whose greedy output never changes
        self.remembered: dict[tuple[str, tuple[int, ...]], list[int]] | None = None
        self.teacher_translated = 0  # sentences the teacher had to translate in the last remembered batch
        self._pools: dict[str, np.ndarray] = {}  # language -> ids a masked-LM replacement may take

    @property
    def unmt_step(self) -> int:
        """Steps since UNMT proper began: the loss schedules and the word-by-word phase count from here."""
        return self.step - self.mlm_steps

    # --- helpers ----------------------------------------------------------------------------------------
    def noisy(self, rows: list[list[int]], noise: NoiseConfig) -> list[list[int]]:
        starts = self.vocab.starts_word
        out = []
        for row in rows:
            words = corrupt(split_words(row, [starts[t] for t in row]), noise, [self.vocab.blank], self.rng)
            out.append([t for word in words for t in word])
        return out

    def sequence_losses(self, groups: list[tuple[list, list, str]]) -> tuple[list[torch.Tensor], torch.Tensor, torch.Tensor]:
        """Teacher-forced cross-entropy for several (src_rows, tgt_rows, tgt_lang) groups in ONE forward pass.

        Denoising and back-translation groups of both languages share one encoder and decoder pass: fewer,
        larger operations, which is what a small model on a CPU needs. Returns each group's mean token loss, and the encoder
        memory (B, S, C) with its pad mask for all rows in group order."""
        src_rows = [r for g in groups for r in g[0]]
        tgt_rows = [r for g in groups for r in g[1]]
        lang_ids = [self.vocab.lang_ids[g[2]] for g in groups for _ in g[1]]
        src, src_mask = source_batch(src_rows, self.device)
        tgt_in, tgt_out = target_batch(tgt_rows, lang_ids, self.device)
        memory = self.model.encode(src, src_mask)
        logits = self.model.decode(tgt_in, memory, src_mask)  # (B, T, V)
        token_loss = F.cross_entropy(
            logits.transpose(1, 2).float(),
            tgt_out,
            ignore_index=PAD,
            reduction="none",
            label_smoothing=self.config.train.label_smoothing,
        )  # (B, T)
        losses, start = [], 0
        for g in groups:
            rows = slice(start, start + len(g[1]))
            losses.append(token_loss[rows].sum() / (tgt_out[rows] != PAD).sum())
            start += len(g[1])
        return losses, memory, src_mask

    def remember_teacher_translations(self) -> None:
        """From now on each sentence is back-translated by the (frozen, greedy) teacher once: its output for a
        sentence cannot change, so after one pass over the corpus back-translation costs nothing."""
        if self.teacher is None or self.config.train.bt_temperature > 0:
            raise ValueError("only a frozen teacher decoding greedily translates a sentence the same way every time")
        self.remembered = {}

    def back_translate(self, rows: list[list[int]], to_langs: list[str]) -> list[list[int]]:
        """Translates each row into its language in `to_langs`, in eval mode and without gradients, as the paper
        prescribes, with the teacher when there is one and the current model otherwise. While the run has an
        induced lexicon (not with trained teachers), during the first `word_by_word_steps` it translates instead
        (Lample et al.'s first iteration), which gives the model a translation signal to start from."""
        if self.remembered is not None:
            return self._remembered_translations(rows, to_langs)
        if self.word_by_word is not None and self.unmt_step < self.config.train.word_by_word_steps:
            return [
                self.vocab.encode(self.word_by_word[lang](self.vocab.decode(row))) or [self.vocab.blank]
                for row, lang in zip(rows, to_langs)
            ]
        return self._decode(rows, to_langs)

    def _remembered_translations(self, rows: list[list[int]], to_langs: list[str]) -> list[list[int]]:
        keys = [(lang, tuple(row)) for row, lang in zip(rows, to_langs)]
        new = [i for i, key in enumerate(keys) if key not in self.remembered]
        if new:
            for i, translation in zip(new, self._decode([rows[i] for i in new], [to_langs[i] for i in new])):
                self.remembered[keys[i]] = translation
        self.teacher_translated = len(new)  # reported with the step's metrics: how cold the memory still is
        return [self.remembered[key] for key in keys]

    def _decode(self, rows: list[list[int]], to_langs: list[str]) -> list[list[int]]:
        translator = self.teacher if self.teacher is not None else self.model
        was_training = translator.training
        translator.eval()
        src, src_mask = source_batch(rows, self.device)
        allowed = torch.stack([self.output_masks[lang] for lang in to_langs]) if self.output_masks else None
        out = greedy_search(
            translator,
            src,
            src_mask,
            torch.tensor([self.vocab.lang_ids[lang] for lang in to_langs], device=self.device),
            temperature=self.config.train.bt_temperature,
            generator=self.sample_generator,
            allowed=allowed,
        )
        translator.train(was_training)
        return [r if r else [self.vocab.blank] for r in out]  # an empty output still needs one source token

    def _state_labels(self, mask: torch.Tensor, row_languages: list[str]) -> torch.Tensor:
        """Language index of every real encoder state, given the language of each (stacked) row."""
        row_language = torch.tensor([self.languages.index(lang) for lang in row_languages], device=self.device)
        return row_language[:, None].expand_as(mask)[mask]

    # --- the two halves of the adversarial step ---------------------------------------------------------
    def discriminator_loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        rows = [r for lang in self.languages for r in self.noisy(batch[lang], self.config.noise)]
        with torch.no_grad():
            src, mask = source_batch(rows, self.device)
            states = self.model.encode(src, mask)[mask]
        logits = self.discriminator(states)
        labels = self._state_labels(mask, [lang for lang in self.languages for _ in batch[lang]])
        loss = classifier_discriminator_loss(logits, labels, self.config.discriminator.smoothing)
        accuracy = (logits.argmax(-1) == labels).float().mean().item()
        return loss, {"d_loss": loss.item(), "d_accuracy": accuracy}

    def generator_loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        self.model.set_dropout(self.dropout(self.unmt_step))
        if self.step < self.mlm_steps:
            return self.masked_lm_loss(batch)
        if self.mlm_steps and self.step == self.mlm_steps:  # pretraining just ended
            copy_encoder_into_decoder_(self.model)
        step = self.unmt_step
        weights = {"ae": self.lambda_ae(step), "bt": self.lambda_bt(step), "kd": self.lambda_kd(step),
                   "mt": self.lambda_mt(step), "adv": self.lambda_adv(step)}
        groups, names, group_weights, source_langs = [], [], [], []
        # A group whose weight is 0 is skipped, not computed and multiplied by 0: once back-translation runs, a
        # denoising weight scheduled down to 0 makes every step cheaper. Some group must always be trained.
        denoise = weights["ae"] > 0 or all(weights[k] <= 0 for k in ("bt", "kd", "mt"))
        if denoise:
            for lang in self.languages:  # denoising auto-encoding: C(x) -> x
                x = batch[lang]
                groups.append((self.noisy(x, self.config.noise), x, lang))
                names.append(f"ae_{lang}")
                group_weights.append(weights["ae"])
                source_langs.append(lang)
        translating = weights["bt"] > 0 or weights["kd"] > 0
        if translating:  # on-the-fly back-translation, both directions at once: x -> y, then C(y) -> x
            first, second = self.languages
            rows = batch[first] + batch[second]
            translations = self.back_translate(rows, [second] * len(batch[first]) + [first] * len(batch[second]))
            y_from_first, y_from_second = translations[: len(batch[first])], translations[len(batch[first]) :]
            for lang, other, y in ((first, second, y_from_first), (second, first, y_from_second)):
                if weights["bt"] > 0:
                    groups.append((self.noisy(y, self.config.bt_noise), batch[lang], lang))
                    names.append(f"bt_{other}_{lang}")
                    group_weights.append(weights["bt"])
                    source_langs.append(other)
                if weights["kd"] > 0:  # the teachers' translation as the target: x -> y (sequence-level distillation)
                    groups.append((batch[lang], y, other))
                    names.append(f"kd_{lang}_{other}")
                    group_weights.append(weights["kd"])
                    source_langs.append(lang)
        if weights["mt"] > 0:  # supervised: the real translation as the target, both directions
            first, second = self.languages
            first_rows, second_rows = batch[PARALLEL]
            for source, target, target_lang, source_lang in (
                (first_rows, second_rows, second, first), (second_rows, first_rows, first, second)
            ):
                groups.append((source, target, target_lang))
                names.append(f"mt_{source_lang}_{target_lang}")
                group_weights.append(weights["mt"])
                source_langs.append(source_lang)

        losses, memory, mask = self.sequence_losses(groups)
        total = sum(w * loss for w, loss in zip(group_weights, losses))
        metrics = {name: loss.item() for name, loss in zip(names, losses)}
        if self.remembered is not None and translating:
            metrics["bt_new_sentences"] = self.teacher_translated

        if self.discriminator is not None and weights["adv"] > 0:  # fool the (frozen) discriminator
            # The encoder states of the denoising inputs (the first two groups), or of every input without them.
            fooled = range(len(self.languages)) if denoise else range(len(groups))
            row_languages = [source_langs[i] for i in fooled for _ in groups[i][0]]
            n = len(row_languages)
            logits = self.discriminator(memory[:n][mask[:n]])
            labels = self._state_labels(mask[:n], row_languages)
            loss = classifier_fooling_loss(logits, labels, self.config.discriminator.fooling_target)
            total = total + weights["adv"] * loss
            metrics["adv"] = loss.item()

        self.step += 1
        metrics["loss"] = total.item()
        return total, metrics

    def masked_lm_loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """Both languages' sentences, masked, through the encoder; the chosen subwords are predicted through the
        tied embeddings. No decoder, no back-translation: a pretraining step costs a fraction of a UNMT step."""
        rows = [r for lang in self.languages for r in batch[lang]]
        pools = [self._replacement_pool(lang) for lang in self.languages for _ in batch[lang]]
        inputs, targets = mask_tokens(rows, pools, self.config.train.mlm_probability, self.vocab.blank, self.rng)
        src, src_mask = source_batch(inputs, self.device)
        wanted = pad([t + [PAD] for t in targets], self.device)  # one more column: source_batch appended EOS
        chosen = wanted != PAD
        logits = self.model.encode(src, src_mask)[chosen] @ self.model.embed.weight.T
        loss = F.cross_entropy(logits.float(), wanted[chosen])
        accuracy = (logits.argmax(-1) == wanted[chosen]).float().mean().item()
        self.step += 1
        return loss, {"mlm": loss.item(), "mlm_accuracy": accuracy, "loss": loss.item()}

    def _replacement_pool(self, lang: str) -> np.ndarray:
        """Subwords a random replacement in `lang` may take: those its corpus uses (all ordinary ones without masks)."""
        if lang not in self._pools:
            if lang in self.output_masks:
                allowed = self.output_masks[lang].cpu().numpy().copy()
            else:
                allowed = np.ones(len(self.vocab), dtype=bool)
            allowed[[PAD, UNK, EOS, self.vocab.blank, *self.vocab.lang_ids.values()]] = False
            self._pools[lang] = np.flatnonzero(allowed)
        return self._pools[lang]
