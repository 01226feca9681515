"""The translation objectives of a UNMT step, each a named function that builds loss groups.

A LossGroup is one teacher-forced translation problem: source rows, target rows, the languages on both sides and
its weight. Denoising, back-translation, distillation and supervised translation differ only in where the rows come
from; `sequence_losses` then computes every group in ONE encoder and decoder pass (fewer, larger operations, which is
what a small model on a CPU needs), and `fooling_rows` picks the encoder states that the adversarial term sees by
the groups' own `fools` flag, never by their position in a list.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from unmt.data.vocab import PAD
from unmt.models.transformer import Transformer
from unmt.translation.batching import source_batch, target_batch

Rows = list[list[int]]  # sentences as subword ids


@dataclass
class LossGroup:
    name: str  # the metric it is logged under, e.g. ae_en, bt_fr_en
    source: Rows
    target: Rows
    source_lang: str  # the language the source rows are written in (what the discriminator should not see)
    target_lang: str  # the language the decoder writes (its first token)
    weight: float
    fools: bool = False  # its encoder states feed the adversarial term


def denoising(lang: str, sentences: Rows, corrupted: Rows, weight: float) -> LossGroup:
    """C(x) -> x in one language."""
    return LossGroup(f"ae_{lang}", corrupted, sentences, lang, lang, weight)


def back_translation(lang: str, other: str, sentences: Rows, translations: Rows, weight: float) -> LossGroup:
    """C(y) -> x: x in `lang`, y its translation into `other` by the current model (or a teacher)."""
    return LossGroup(f"bt_{other}_{lang}", translations, sentences, other, lang, weight)


def distillation(lang: str, other: str, sentences: Rows, translations: Rows, weight: float) -> LossGroup:
    """x -> y: the teachers' translation as the target (sequence-level knowledge distillation, Kim & Rush 2016)."""
    return LossGroup(f"kd_{lang}_{other}", sentences, translations, lang, other, weight)


def supervised(source_lang: str, target_lang: str, sources: Rows, targets: Rows, weight: float) -> LossGroup:
    """A real translation pair, for the supervised reference or semi-supervised training."""
    return LossGroup(f"mt_{source_lang}_{target_lang}", sources, targets, source_lang, target_lang, weight)


@dataclass
class GroupLosses:
    losses: list[torch.Tensor]  # each group's mean token loss, in group order
    memory: torch.Tensor  # (B, S, C) encoder states of every row, groups stacked in order
    mask: torch.Tensor  # (B, S) True at real (non-pad) source positions
    tokens: list[int]  # each group's target tokens (EOS included): what its mean is over


def sequence_losses(
    model: Transformer, groups: list[LossGroup], lang_ids: dict[str, int], device: torch.device, label_smoothing: float
) -> GroupLosses:
    """Teacher-forced cross-entropy of every group in one forward pass of `model`."""
    src, src_mask = source_batch([r for g in groups for r in g.source], device)
    tgt_in, tgt_out = target_batch(
        [r for g in groups for r in g.target], [lang_ids[g.target_lang] for g in groups for _ in g.target], device
    )
    memory = model.encode(src, src_mask)
    states = model.decoder_states(tgt_in, memory, src_mask)  # (B, T, C)
    # Only the real target positions go through the output layer and the loss, as one contiguous (N, V) block:
    # padding costs nothing there, and the loss needs no transposed (B, V, T) layout.
    real = tgt_out != PAD
    logits = model.output_logits(states[real])  # (N, V), row-major over (row, position)
    token_loss = F.cross_entropy(logits.float(), tgt_out[real], reduction="none", label_smoothing=label_smoothing)
    group_of_row = torch.tensor([i for i, g in enumerate(groups) for _ in g.target], device=tgt_out.device)
    group_of_token = group_of_row.repeat_interleave(real.sum(1))
    sums = token_loss.new_zeros(len(groups)).index_add_(0, group_of_token, token_loss)
    counts = token_loss.new_zeros(len(groups)).index_add_(0, group_of_token, torch.ones_like(token_loss))
    losses = list(sums / counts)
    tokens = [sum(len(row) + 1 for row in g.target) for g in groups]  # target_batch appends EOS to every row
    return GroupLosses(losses, memory, src_mask, tokens)


def fooling_rows(groups: list[LossGroup]) -> tuple[list[int], list[str]]:
    """(row indices, the language of each) of the groups whose encoder states the adversarial term sees."""
    rows, languages = [], []
    for group, span in zip(groups, _row_slices(groups)):
        if group.fools:
            rows += range(span.start, span.stop)
            languages += [group.source_lang] * len(group.source)
    return rows, languages


def _row_slices(groups: list[LossGroup]) -> list[slice]:
    slices, start = [], 0
    for g in groups:
        slices.append(slice(start, start + len(g.source)))
        start += len(g.source)
    return slices
