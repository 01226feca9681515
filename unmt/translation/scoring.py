"""`unmt score`: force-decoding given translations, one log-probability a line (fairseq's --score-reference,
Sockeye's sockeye-score).

A pair scores what the search would have given the same output: log p(y, EOS | x) under the model, with the
run's output restriction, divided by (len(y) + 1) ** lenpen unless unnormalised (len counts subwords, EOS not)."""
from __future__ import annotations

import torch

from unmt.data.corpus import DataError
from unmt.data.vocab import EOS, PAD
from unmt.models.ensemble import Ensemble
from unmt.models.transformer import Transformer
from unmt.translation.batching import pad


@torch.no_grad()
def force_decode(model: Transformer | Ensemble, src: torch.Tensor, src_pad_mask: torch.Tensor, targets: list[list[int]],
                 lang_id: int, allowed: torch.Tensor | None = None) -> list[float]:
    """Sum of log p over each target's subwords and its EOS, step by step through the cached decoder exactly as
    the searches run it, so that a searched output scores here what the search gave it."""
    B = src.shape[0]
    inputs = pad([[lang_id] + row for row in targets], src.device)  # (B, T): tag, then the target
    outputs = pad([row + [EOS] for row in targets], src.device)  # what each step must predict
    memory = model.encode(src, src_pad_mask)
    cache = model.new_cache()
    total = torch.zeros(B, dtype=torch.float64, device=src.device)
    for step in range(inputs.shape[1]):
        logits = model.decode_step(inputs[:, step : step + 1], memory, src_pad_mask, cache, step)
        if allowed is not None:
            logits = logits.masked_fill(~allowed, float("-inf"))
        expected = outputs[:, step]
        log_probs = torch.log_softmax(logits.float(), dim=-1).gather(1, expected[:, None]).squeeze(1)
        total += torch.where(expected != PAD, log_probs.double(), torch.zeros_like(total))
    return total.tolist()


def normalised(log_prob: float, length: int, lenpen: float) -> float:
    """The searches' ranking score of an output of `length` subwords plus its EOS."""
    return log_prob / (length + 1) ** lenpen


def score_lines(translator, src_lines: list[str], tgt_lines: list[str], tgt_lang: str, lenpen: float = 1.0,
                unnormalized: bool = False, batch_size: int | None = 64, max_tokens: int | None = None) -> list[float]:
    """One score per pair of lines (see the module's docstring); a blank source line scores 0.0, as a blank line
    translates to nothing. Raises DataError for a source line longer than the model takes in one piece."""
    if len(src_lines) != len(tgt_lines):
        raise DataError(f"the source has {len(src_lines)} lines but the target {len(tgt_lines)}: not parallel")
    vocab = translator.vocab
    kept = [i for i, line in enumerate(src_lines) if line.strip()]
    src_rows = [vocab.encode(src_lines[i].strip()) for i in kept]
    tgt_rows = [vocab.encode(tgt_lines[i].strip()) for i in kept]
    for i, src_row, tgt_row in zip(kept, src_rows, tgt_rows):
        if len(src_row) > translator.max_input_len or len(tgt_row) + 1 > translator.max_output_len:
            raise DataError(f"pair {i + 1} is longer than the model takes ({translator.max_input_len} source, "
                            f"{translator.max_output_len - 1} target subwords): it cannot be scored in one piece")
    sums = translator.score_ids(src_rows, tgt_rows, tgt_lang, batch_size, max_tokens)
    scores = [0.0] * len(src_lines)
    for i, row, log_prob in zip(kept, tgt_rows, sums):
        scores[i] = log_prob if unnormalized else normalised(log_prob, len(row), lenpen)
    return scores

