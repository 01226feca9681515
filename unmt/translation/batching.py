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
