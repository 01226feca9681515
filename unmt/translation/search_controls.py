"""What the searches may do to a step's next-subword scores: sampling filters, and the bans (minimum length,
no repeated n-gram) that fairseq applies after log-softmax so that the scores kept stay the model's own."""
from __future__ import annotations

import torch

from unmt.data.vocab import EOS


def sample(logits: torch.Tensor, temperature: float, generator: torch.Generator | None, top_k: int = 0,
           top_p: float = 1.0) -> torch.Tensor:
    """One subword per row drawn from softmax(logits / temperature), restricted to the k likeliest (top_k > 0)
    and to the smallest set holding top_p of the mass (top_p < 1, the nucleus of Holtzman et al. 2020)."""
    logits = logits.float() / temperature
    if top_k > 0:
        kth = logits.topk(min(top_k, logits.shape[-1]), dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p < 1.0:
        sorted_logits, order = logits.sort(dim=-1, descending=True)
        probs = torch.softmax(sorted_logits, dim=-1)
        # Drop a subword once the likelier ones already hold top_p: the likeliest one is always kept.
        outside = probs.cumsum(-1) - probs >= top_p
        logits = logits.scatter(1, order, sorted_logits.masked_fill(outside, float("-inf")))
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(1)


def ban(
    scores: torch.Tensor, histories: list[list[int]] | None, step: int, min_len: int, no_repeat_ngram_size: int
) -> torch.Tensor:
    """`scores` (rows, V) with EOS forbidden before min_len output subwords and, for each row, every subword that
    would repeat an n-gram its history (the subwords output so far) already holds."""
    if step < min_len:
        scores = scores.clone()
        scores[:, EOS] = float("-inf")
    if no_repeat_ngram_size > 0 and histories is not None:
        banned = repeated_ngram_ends(histories, no_repeat_ngram_size)
        if banned:
            scores = scores.clone() if step >= min_len else scores
            rows, ids = zip(*banned)
            scores[list(rows), list(ids)] = float("-inf")
    return scores


def repeated_ngram_ends(histories: list[list[int]], n: int) -> list[tuple[int, int]]:
    """(row, subword) pairs where outputting the subword would complete an n-gram the row has output before."""
    banned = []
    for row, seq in enumerate(histories):
        if len(seq) < n:
            continue
        prefix = seq[len(seq) - n + 1 :] if n > 1 else []
        for i in range(len(seq) - n + 1):
            if seq[i : i + n - 1] == prefix:
                banned.append((row, seq[i + n - 1]))
    return banned
