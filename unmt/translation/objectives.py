"""The translation objectives of a UNMT step, each a named function that builds loss groups.

A LossGroup is one teacher-forced translation problem: source rows, target rows, the languages on both sides and
its weight. Denoising, back-translation, distillation and supervised translation differ only in where the rows come
from; `sequence_losses` then computes every group in as few encoder and decoder passes as padding allows (fewer,
larger operations, which is what a small model on a CPU needs), and `fooling_rows` picks the encoder states that the
adversarial term sees by the groups' own `fools` flag, never by their position in a list.
"""
from __future__ import annotations

import itertools
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
class EncoderPass:
    rows: torch.Tensor  # (b,) which stacked rows (groups in order) this pass encoded
    memory: torch.Tensor  # (b, S, C) their encoder states
    mask: torch.Tensor  # (b, S) True at real (non-pad) source positions


@dataclass
class GroupLosses:
    losses: list[torch.Tensor]  # each group's mean token loss, in group order
    passes: list[EncoderPass]  # every stacked row is in exactly one
    tokens: list[int]  # each group's target tokens (EOS included): what its mean is over

    def source_states(self, rows: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """The real encoder states of the given stacked rows, (M, C), and for each the position in `rows` of the row
        it belongs to."""
        position = torch.full((sum(len(p.rows) for p in self.passes),), -1, dtype=torch.long)
        position[rows] = torch.arange(len(rows))
        states, owners = [], []
        for p in self.passes:
            here = position[p.rows.cpu()].to(p.mask.device)
            chosen = here >= 0
            mask = p.mask[chosen]
            states.append(p.memory[chosen][mask])
            owners.append(here[chosen][:, None].expand_as(mask)[mask])
        return torch.cat(states), torch.cat(owners)


# A pass is split in two where that saves at least this share of the padded (source + target) positions; each extra
# pass costs a few dozen more, smaller kernels, which is what the margin pays for.
SPLIT_SAVING = 0.15
MAX_PASSES = 4


def sequence_losses(
    model: Transformer, groups: list[LossGroup], lang_ids: dict[str, int], device: torch.device, label_smoothing: float
) -> GroupLosses:
    """Teacher-forced cross-entropy of every group. Rows of alike length share a pass: one padded batch of every
    group pads denoising rows to the longest back-translation and one language's short sentences to the other's
    long ones."""
    sources = [r for g in groups for r in g.source]
    targets = [r for g in groups for r in g.target]
    target_langs = [lang_ids[g.target_lang] for g in groups for _ in g.target]
    passes, real_states, real_targets, real_rows = [], [], [], []
    for rows in length_passes([len(r) + 1 for r in sources], [len(r) + 1 for r in targets]):
        src, src_mask = source_batch([sources[i] for i in rows], device)
        tgt_in, tgt_out = target_batch([targets[i] for i in rows], [target_langs[i] for i in rows], device)
        memory = model.encode(src, src_mask)
        states = model.decoder_states(tgt_in, memory, src_mask)  # (b, T, C)
        real = tgt_out != PAD
        row_index = torch.tensor(rows, device=tgt_out.device)
        passes.append(EncoderPass(row_index, memory, src_mask))
        real_states.append(states[real])
        real_targets.append(tgt_out[real])
        real_rows.append(row_index.repeat_interleave(real.sum(1)))
    # Only the real target positions of every pass go through the output layer and the loss, as one contiguous
    # (N, V) block: padding costs nothing there, and the loss needs no transposed (B, V, T) layout.
    logits = model.output_logits(torch.cat(real_states))  # (N, V)
    token_loss = F.cross_entropy(
        logits.float(), torch.cat(real_targets), reduction="none", label_smoothing=label_smoothing
    )
    group_of_row = torch.tensor([i for i, g in enumerate(groups) for _ in g.target], device=token_loss.device)
    group_of_token = group_of_row[torch.cat(real_rows)]
    sums = token_loss.new_zeros(len(groups)).index_add_(0, group_of_token, token_loss)
    counts = token_loss.new_zeros(len(groups)).index_add_(0, group_of_token, torch.ones_like(token_loss))
    tokens = [sum(len(row) + 1 for row in g.target) for g in groups]  # target_batch appends EOS to every row
    return GroupLosses(list(sums / counts), passes, tokens)


def length_passes(source_lengths: list[int], target_lengths: list[int]) -> list[list[int]]:
    """The rows (indices) of each teacher-forced pass: all in one, or sorted by length and cut where a cut saves at
    least SPLIT_SAVING of the padded positions, each part cut again the same way, up to MAX_PASSES parts."""
    order = sorted(range(len(source_lengths)), key=lambda i: (source_lengths[i] + target_lengths[i], i))
    parts = [order]
    while len(parts) < MAX_PASSES:
        best = None
        for k, part in enumerate(parts):
            cut, saving = _best_cut([source_lengths[i] for i in part], [target_lengths[i] for i in part])
            if cut and (best is None or saving > best[2]):
                best = (k, cut, saving)
        if best is None:
            break
        k, cut, _ = best
        parts[k : k + 1] = [parts[k][:cut], parts[k][cut:]]
    return [sorted(part) for part in parts]


def _best_cut(source_lengths: list[int], target_lengths: list[int]) -> tuple[int, int]:
    """(where to cut these sorted rows, padded positions saved), or (0, 0) when no cut saves SPLIT_SAVING."""
    n = len(source_lengths)
    whole = n * (max(source_lengths, default=0) + max(target_lengths, default=0))
    prefix = _running_maxima(zip(source_lengths, target_lengths))  # of rows [0, i]
    suffix = _running_maxima(zip(reversed(source_lengths), reversed(target_lengths)))[::-1]  # of rows [i, n)
    best_cut, best_cost = 0, whole
    for cut in range(1, n):
        cost = cut * sum(prefix[cut - 1]) + (n - cut) * sum(suffix[cut])
        if cost < best_cost:
            best_cut, best_cost = cut, cost
    saving = whole - best_cost
    return (best_cut, saving) if saving >= SPLIT_SAVING * whole else (0, 0)


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


def _running_maxima(pairs) -> list[tuple[int, int]]:
    """(longest source, longest target) of each prefix of the (source, target) length pairs."""
    return list(itertools.accumulate(pairs, lambda a, b: (max(a[0], b[0]), max(a[1], b[1]))))
