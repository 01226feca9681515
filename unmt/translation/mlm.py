"""Cross-lingual masked-LM pretraining of the shared encoder (Conneau & Lample 2019), before UNMT starts.

BERT's recipe on both monolingual corpora at once: choose a fraction of the subwords of each sentence; the
model sees 80% of them as <blank>, 10% as a random subword of the same language and 10% unchanged, and must
predict the originals from the encoder states through the tied embedding matrix. When pretraining ends, the
decoder starts from the encoder's self-attention and feed-forward weights, as XLM initialises both halves
from one pretrained model; the cross-attention, which pretraining never saw, keeps its initial values.
"""
from __future__ import annotations

import numpy as np
import torch

from unmt.data.vocab import PAD
from unmt.models.transformer import Transformer


def mask_tokens(
    rows: list[list[int]], replacements: list[np.ndarray], probability: float, mask_id: int, rng: np.random.Generator
) -> tuple[list[list[int]], list[list[int]]]:
    """-> (inputs, targets): targets hold the original id at chosen positions and PAD elsewhere.

    Every non-empty row gets at least one chosen position, so that no sentence is wasted. `replacements[i]`
    holds the ids a random replacement in row i may take (its language's subwords)."""
    inputs, targets = [], []
    for row, pool in zip(rows, replacements):
        chosen = rng.random(len(row)) < probability
        if len(row) and not chosen.any():
            chosen[rng.integers(len(row))] = True
        how = rng.random(len(row))  # < 0.8: blank, < 0.9: random subword, else unchanged
        source, target = list(row), [PAD] * len(row)
        for i in np.flatnonzero(chosen):
            target[i] = row[i]
            if how[i] < 0.8:
                source[i] = mask_id
            elif how[i] < 0.9:
                source[i] = int(pool[rng.integers(len(pool))])
        inputs.append(source)
        targets.append(target)
    return inputs, targets


@torch.no_grad()
def copy_encoder_into_decoder_(model: Transformer) -> None:
    """Decoder layer i takes encoder layer i's self-attention, feed-forward block and their norms."""
    for encoder_layer, decoder_layer in zip(model.encoder_layers, model.decoder_layers):
        for name in ("self_attn", "self_attn_norm", "ffn", "ffn_norm"):
            getattr(decoder_layer, name).load_state_dict(getattr(encoder_layer, name).state_dict())
    model.decoder_norm.load_state_dict(model.encoder_norm.state_dict())
