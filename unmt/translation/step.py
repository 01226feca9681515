"""One UNMT training step as an adversarial task, the paper's recipe read top to bottom.

discriminator_loss: encode a noisy batch of each language without gradients; D predicts the language.
generator_loss:     for each language, denoise C(x) -> x (while weighted); for each direction, back-translate
                    x -> y (eval mode, no gradient) and learn to recover x from C(y); with teachers, optionally also
                    learn y from x; with parallel pairs, learn to translate them; plus the adversarial term: the
                    encoder states of the denoising inputs (without denoising, of every input) must fool D.
                    During masked-LM pretraining, the encoder alone learns to fill in masked subwords.
The Phase of the step (unmt.translation.phases) says which of these run and with what weights; `begin` applies
it to the model. The AlternatingTrainer of unmt.adversarial calls the two losses in turn.

On several processes (unmt.distributed) each rank computes these on its own share of the batch, and every mean is
rescaled from the rank's count to the world's (its share), so that the ranks' summed gradients are those of one
process on the whole global batch.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from unmt.adversarial.losses import classifier_discriminator_loss, classifier_fooling_loss
from unmt.config import Config
from unmt.data.noise import NoiseConfig, corrupt, split_words
from unmt.data.parallel import SPLIT as PARALLEL
from unmt.data.vocab import EOS, PAD, UNK, Vocabulary
from unmt.distributed import World
from unmt.models.discriminators import LatentDiscriminator
from unmt.models.transformer import Transformer
from unmt.translation import objectives
from unmt.translation.back_translator import BackTranslator
from unmt.translation.batching import pad, source_batch
from unmt.translation.mlm import copy_encoder_into_decoder_, mask_tokens
from unmt.translation.objectives import LossGroup, Rows
from unmt.translation.phases import Phase
from unmt.translation.word_swap import WordSwap

# language -> sentences as subword ids; with parallel data also PARALLEL -> (src rows, tgt rows)
Batch = dict[str, Rows | tuple[Rows, Rows]]


class UNMTStep:
    def __init__(self, model: Transformer, discriminator: LatentDiscriminator, vocab: Vocabulary, config: Config,
                 languages: tuple[str, str], device: torch.device, back_translator: BackTranslator, seed: int,
                 world: World | None = None):
        self.model, self.discriminator, self.vocab, self.config = model, discriminator, vocab, config
        self.languages, self.device, self.back_translate = languages, device, back_translator
        self.rng = np.random.default_rng(seed)  # the noise model's draws
        self.world = world or World()  # one process unless the run says otherwise
        self._pools: dict[str, np.ndarray] = {}  # language -> ids a masked-LM replacement may take
        translators = back_translator.word_by_word
        self.swap = WordSwap(translators, vocab) if translators is not None else None

    def begin(self, phase: Phase) -> "PhasedStep":
        """Applies the step's phase to the model (its dropout rate, the decoder's start after pretraining) and
        returns the step's losses under that phase, for AlternatingTrainer.step."""
        self.model.set_dropout(phase.dropout)
        if phase.copy_encoder:
            copy_encoder_into_decoder_(self.model)
        return PhasedStep(self, phase)

    # --- the two halves of the adversarial step ---------------------------------------------------------
    def discriminator_loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        rows = [r for lang in self.languages for r in self.noisy(batch[lang], self.config.noise, lang)]
        with torch.no_grad():
            src, mask = source_batch(rows, self.device)
            states = self.model.encode(src, mask)[mask]
        logits = self.discriminator(states)
        labels = self._state_labels(mask, [lang for lang in self.languages for _ in batch[lang]])
        loss = classifier_discriminator_loss(logits, labels, self.config.discriminator.smoothing)
        accuracy = (logits.argmax(-1) == labels).float().mean().item()
        metrics = {"d_loss": loss.item(), "d_accuracy": accuracy}
        return self._world_shares([loss], [len(labels)])[0], metrics

    def generator_loss(self, batch: Batch, phase: Phase) -> tuple[torch.Tensor, dict[str, float]]:
        if phase.masked_lm:
            return self.masked_lm_loss(batch)
        groups = self.loss_groups(batch, phase)
        computed = objectives.sequence_losses(
            self.model, groups, self.vocab.lang_ids, self.device, self.config.optim.label_smoothing
        )
        metrics = {g.name: loss.item() for g, loss in zip(groups, computed.losses)}
        means, counts = list(computed.losses), list(computed.tokens)
        weights = [g.weight for g in groups]
        if phase.uses_discriminator:
            fooling, states = self.fooling_loss(groups, computed)
            means, counts, weights = means + [fooling], counts + [states], weights + [phase.weights["adv"]]
            metrics["adv"] = fooling.item()
        total = sum(w * loss for w, loss in zip(weights, self._world_shares(means, counts)))
        if self.back_translate.remembered is not None and phase.translates:
            metrics["bt_new_sentences"] = self.back_translate.newly_translated
        # the loss this rank's batch gives (on several ranks `total` holds only its share of the world's)
        metrics["loss"] = sum(w * m.item() for w, m in zip(weights, means)) if self.world.distributed else total.item()
        metrics["target_tokens"] = sum(computed.tokens)
        return total, metrics

    # --- the objectives -------------------------------------------------------------------------------
    def loss_groups(self, batch: Batch, phase: Phase) -> list[LossGroup]:
        """The step's translation problems. A group weighted 0 is skipped, not computed and multiplied by 0: once
        back-translation runs, a denoising weight scheduled down to 0 makes every step cheaper."""
        w = phase.weights
        first, second = self.languages
        groups = []
        if phase.denoises:
            for lang in self.languages:
                groups.append(
                    objectives.denoising(lang, batch[lang], self.noisy(batch[lang], self.config.noise, lang), w["ae"])
                )
        if phase.translates:  # both directions in one batched decoding: x -> y
            rows = batch[first] + batch[second]
            to_langs = [second] * len(batch[first]) + [first] * len(batch[second])
            translations = self.back_translate(rows, to_langs, word_by_word=phase.word_by_word)
            split = len(batch[first])
            for lang, other, y in ((first, second, translations[:split]), (second, first, translations[split:])):
                if w["bt"] > 0:
                    groups.append(
                        objectives.back_translation(
                            lang, other, batch[lang], self.noisy(y, self.config.bt_noise, other), w["bt"]
                        )
                    )
                if w["kd"] > 0:
                    groups.append(objectives.distillation(lang, other, batch[lang], y, w["kd"]))
        if w["mt"] > 0:
            first_rows, second_rows = batch[PARALLEL]
            groups.append(objectives.supervised(first, second, first_rows, second_rows, w["mt"]))
            groups.append(objectives.supervised(second, first, second_rows, first_rows, w["mt"]))
        # The adversarial term: the denoising inputs are the monolingual sentences themselves; without them, the
        # encoder sees every input it is trained on.
        for group in groups:
            group.fools = group.name.startswith("ae_") or not phase.denoises
        return groups

    def fooling_loss(self, groups: list[LossGroup], computed: objectives.GroupLosses) -> tuple[torch.Tensor, int]:
        """The encoder states of the fooling groups pushed towards the discriminator's wrong (or uniform) answer;
        returns the mean loss and the number of states it is the mean of."""
        rows, row_languages = objectives.fooling_rows(groups)
        states, owners = computed.source_states(rows)
        logits = self.discriminator(states)
        labels = self._row_labels(row_languages)[owners]
        return classifier_fooling_loss(logits, labels, self.config.discriminator.fooling_target), len(labels)

    def masked_lm_loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        """Both languages' sentences, masked, through the encoder; the chosen subwords are predicted through the
        tied embeddings. No decoder, no back-translation: a pretraining step costs a fraction of a UNMT step."""
        rows = [r for lang in self.languages for r in batch[lang]]
        pools = [self._replacement_pool(lang) for lang in self.languages for _ in batch[lang]]
        inputs, targets = mask_tokens(rows, pools, self.config.pretraining.mlm_probability, self.vocab.blank, self.rng)
        src, src_mask = source_batch(inputs, self.device)
        wanted = pad([t + [PAD] for t in targets], self.device)  # one more column: source_batch appended EOS
        chosen = wanted != PAD
        logits = self.model.output_logits(self.model.encode(src, src_mask)[chosen])
        loss = F.cross_entropy(logits.float(), wanted[chosen])
        accuracy = (logits.argmax(-1) == wanted[chosen]).float().mean().item()
        return self._world_shares([loss], [len(logits)])[0], {
            "mlm": loss.item(),
            "mlm_accuracy": accuracy,
            "loss": loss.item(),
        }

    # --- helpers ----------------------------------------------------------------------------------------
    def _world_shares(self, means: list[torch.Tensor], counts: list[int]) -> list[torch.Tensor]:
        """Means over this rank's `counts` items, each rescaled to its share of the mean over all ranks' items (the
        world's counts in one collective)."""
        if not self.world.distributed:
            return means
        world_counts = self.world.global_counts(counts, means[0].device)
        return [mean * (count / world) for mean, count, world in zip(means, counts, world_counts)]

    def noisy(self, rows: Rows, noise: NoiseConfig, lang: str) -> Rows:
        """C applied to sentences in `lang`; with noise.word_translate, some words first become the other
        language's (the draws for it are made only then, so that without it the noise is what it always was)."""
        starts = self.vocab.starts_word
        other = next(x for x in self.languages if x != lang)
        out = []
        for row in rows:
            words = split_words(row, [starts[t] for t in row])
            if noise.word_translate > 0 and self.swap is not None:
                words = self.swap(words, other, noise.word_translate, self.rng)
            words = corrupt(words, noise, [self.vocab.blank], self.rng)
            out.append([t for word in words for t in word])
        return out

    def _row_labels(self, row_languages: list[str]) -> torch.Tensor:
        """Language index of each (stacked) row, given its language."""
        return torch.tensor([self.languages.index(lang) for lang in row_languages], device=self.device)

    def _state_labels(self, mask: torch.Tensor, row_languages: list[str]) -> torch.Tensor:
        """Language index of every real encoder state, given the language of each (stacked) row."""
        return self._row_labels(row_languages)[:, None].expand_as(mask)[mask]

    def _replacement_pool(self, lang: str) -> np.ndarray:
        """Subwords a random replacement in `lang` may take: those its corpus uses (all ordinary ones without masks)."""
        if lang not in self._pools:
            masks = self.back_translate.output_masks
            allowed = masks[lang].cpu().numpy().copy() if lang in masks else np.ones(len(self.vocab), dtype=bool)
            allowed[[PAD, UNK, EOS, self.vocab.blank, *self.vocab.lang_ids.values()]] = False
            self._pools[lang] = np.flatnonzero(allowed)
        return self._pools[lang]


@dataclass(frozen=True)
class PhasedStep:
    """One step's two losses (an AdversarialTask) under the phase of that step."""
    step: UNMTStep
    phase: Phase

    def discriminator_loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        return self.step.discriminator_loss(batch)

    def generator_loss(self, batch: Batch) -> tuple[torch.Tensor, dict[str, float]]:
        return self.step.generator_loss(batch, self.phase)
