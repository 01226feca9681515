"""Turning lists of subword ids into padded tensors for the encoder and the decoder."""
from __future__ import annotations

import torch

from unmt.data.vocab import EOS, PAD


def pad(rows: list[list[int]], device: torch.device | str = "cpu") -> torch.Tensor:
    width = max(len(r) for r in rows)
    out = torch.full((len(rows), width), PAD, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return out.to(device)


def source_batch(rows: list[list[int]], device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Encoder input: each sentence followed by EOS -> (src (B, S), pad mask (B, S) True at real tokens)."""
    src = pad([r + [EOS] for r in rows], device)
    return src, src != PAD


def target_batch(rows: list[list[int]], lang_ids: list[int], device="cpu") -> tuple[torch.Tensor, torch.Tensor]:
    """Decoder input starts with each row's language tag; the output to predict ends with EOS (PAD is ignored)."""
    return pad([[lang] + r for lang, r in zip(lang_ids, rows)], device), pad([r + [EOS] for r in rows], device)


def length_batches(
    rows: list[list[int]], batch_size: int | None = 64, max_tokens: int | None = None
) -> list[list[int]]:
    """Row indices in batches of similar length, shortest first: at most batch_size sentences and, with
    max_tokens, at most that many source subwords counted as the padded batch holds them (EOS included)."""
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    batches: list[list[int]] = []
    for i in order:
        batch = batches[-1] if batches else None
        width = len(rows[i]) + 1  # the longest so far: rows come shortest first
        if batch is None or (batch_size is not None and len(batch) >= batch_size) or (
                max_tokens is not None and (len(batch) + 1) * width > max_tokens):
            batches.append([i])
        else:
            batch.append(i)
    return batches
