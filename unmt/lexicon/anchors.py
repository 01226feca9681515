"""A first bilingual lexicon from shared anchors alone.

Strings spelled the same in both corpora (names, numbers, punctuation, cognates) are comparable without any
mapping, so each word can be described by how strongly it co-occurs, within a sentence, with each shared
anchor: a PPMI profile over the anchors. Profiles of a word and of its translation are alike in both languages,
which gives candidate translation pairs with no dictionary and no rotation to learn.
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable

import numpy as np

from unmt.lexicon.embeddings import normalize, words_of


def shared_anchors(
    source_counts: Counter, target_counts: Counter, min_count: int = 20, max_anchors: int = 500, max_ratio: float = 4.0
) -> list[str]:
    """Strings frequent in both corpora with similar relative frequency. The ratio test drops false friends that
    a shared spelling would otherwise pin to themselves: English 'a' (in almost every caption) is not French
    'a' ('has', rare there)."""
    source_total, target_total = sum(source_counts.values()), sum(target_counts.values())

    def similar_frequency(word: str) -> bool:
        ratio = (source_counts[word] / source_total) / (target_counts[word] / target_total)
        return 1 / max_ratio <= ratio <= max_ratio

    shared = [
        w for w in source_counts
        if w in target_counts and min(source_counts[w], target_counts[w]) >= min_count and similar_frequency(w)
    ]
    shared.sort(key=lambda w: -min(source_counts[w], target_counts[w]))
    return shared[:max_anchors]


def anchor_profiles(lines: Iterable[str], vocabulary: list[str], anchors: list[str]) -> np.ndarray:
    """(V, A) normalised PPMI between each vocabulary word and each anchor, counted per sentence."""
    word_index = {w: i for i, w in enumerate(vocabulary)}
    anchor_index = {a: j for j, a in enumerate(anchors)}
    counts = np.zeros((len(vocabulary), len(anchors)))
    for line in lines:
        words = set(words_of(line))
        rows = [word_index[w] for w in words if w in word_index]
        cols = [anchor_index[w] for w in words if w in anchor_index]
        if rows and cols:
            counts[np.ix_(rows, cols)] += 1
    total = counts.sum()
    expected = counts.sum(1, keepdims=True) * counts.sum(0, keepdims=True) / max(total, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ppmi = np.nan_to_num(np.maximum(np.log(counts / expected), 0), nan=0.0, posinf=0.0)
    return normalize(ppmi)
