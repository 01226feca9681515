"""Monolingual word embeddings from co-occurrence counts: PPMI, then a truncated SVD.

Count-based embeddings are deterministic, take seconds on a CPU and are as good as skip-gram on small corpora
(Levy, Goldberg & Dagan 2015), which is the regime unsupervised MT starts from.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import torch

WORD = re.compile(r"\w+(?:'\w+)?|[^\w\s]", re.UNICODE)


def words_of(line: str) -> list[str]:
    """Splits text into words and punctuation; case is kept, since names are useful anchors."""
    return WORD.findall(line)


@dataclass
class WordEmbeddings:
    words: list[str]  # by decreasing frequency
    vectors: np.ndarray  # (V, dim), unit length, centred
    counts: np.ndarray  # (V,)

    def index(self) -> dict[str, int]:
        return {w: i for i, w in enumerate(self.words)}


def normalize(vectors: np.ndarray) -> np.ndarray:
    """Unit length, mean-centred, unit length again (the MUSE normalisation)."""
    vectors = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)
    vectors = vectors - vectors.mean(0, keepdims=True)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-8)


def train_embeddings(
    lines: Iterable[str], dim: int = 64, window: int = 2, max_words: int = 20000, min_count: int = 2, seed: int = 0
) -> WordEmbeddings:
    sentences = [words_of(line) for line in lines]
    counts = Counter(w for s in sentences for w in s)
    vocab = [w for w, c in counts.most_common(max_words) if c >= min_count]
    index = {w: i for i, w in enumerate(vocab)}
    V = len(vocab)
    cooc = np.zeros((V, V), dtype=np.float64)
    for sentence in sentences:
        ids = [index.get(w, -1) for w in sentence]
        for i, a in enumerate(ids):
            if a < 0:
                continue
            for j in range(max(0, i - window), min(len(ids), i + window + 1)):
                if j != i and ids[j] >= 0:
                    cooc[a, ids[j]] += 1.0 / abs(i - j)  # nearer neighbours count more
    total = cooc.sum()
    row = cooc.sum(1, keepdims=True)
    context = cooc.sum(0, keepdims=True) ** 0.75  # context-distribution smoothing
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(cooc * context.sum() / (row * context))
    ppmi = np.nan_to_num(np.maximum(pmi, 0), nan=0.0, posinf=0.0)
    del total
    torch.manual_seed(seed)
    U, S, _ = torch.svd_lowrank(torch.from_numpy(ppmi).float(), q=min(dim, V - 1), niter=6)
    vectors = (U * S.sqrt()).numpy()
    return WordEmbeddings(vocab, normalize(vectors), np.array([counts[w] for w in vocab]))
