"""Skip-gram with negative sampling (Mikolov et al. 2013), a small torch implementation.

Why not fastText from the registry: its Python wheels need a C++ toolchain or come from unofficial forks, and the
corpora unsupervised MT starts from are small (Multi30k: ~190k words per language), where this trains in
seconds on a CPU, deterministically for a seed, with nothing else to install.
"""
from __future__ import annotations

from collections import Counter
from typing import Sequence

import numpy as np
import torch

from unmt.errors import DataError
from unmt.lexicon.embeddings import WordEmbeddings, normalize


def training_pairs(sentences: Sequence[Sequence[int]], window: int, rng: np.random.Generator) -> np.ndarray:
    """(center, context) id pairs; each center draws its window size uniformly in [1, window], which weights
    near contexts more (word2vec's dynamic window)."""
    centers, contexts = [], []
    for ids in sentences:
        n = len(ids)
        spans = rng.integers(1, window + 1, size=n)
        for i, span in enumerate(spans):
            for j in range(max(0, i - span), min(n, i + span + 1)):
                if j != i:
                    centers.append(ids[i])
                    contexts.append(ids[j])
    return np.stack([np.array(centers, dtype=np.int64), np.array(contexts, dtype=np.int64)], axis=1)


def train_skipgram(
    sentences: Sequence[Sequence[str]],
    dim: int = 100,
    window: int = 5,
    negatives: int = 5,
    epochs: int = 10,
    min_count: int = 2,
    max_words: int = 50000,
    subsample: float = 1e-3,
    lr: float = 0.01,
    batch_size: int = 2048,
    seed: int = 0,
) -> WordEmbeddings:
    """Words ordered by decreasing frequency; vectors are the input embeddings, MUSE-normalised."""
    counts = Counter(w for s in sentences for w in s)
    vocab = [w for w, c in counts.most_common(max_words) if c >= min_count]
    if len(vocab) < 2:
        raise DataError("fewer than 2 words occur min_count times: nothing to learn embeddings from")
    index = {w: i for i, w in enumerate(vocab)}
    frequency = np.array([counts[w] for w in vocab], dtype=np.float64)
    rng = np.random.default_rng(seed)
    generator = torch.Generator().manual_seed(seed)
    # Frequent words are dropped at random (keep prob sqrt(t/f) + t/f), which speeds training and improves
    # rare words; negatives come from the unigram distribution raised to 3/4.
    share = frequency / frequency.sum()
    keep = np.minimum(1.0, np.sqrt(subsample / share) + subsample / share)
    noise = torch.from_numpy(frequency**0.75 / (frequency**0.75).sum()).float()

    centre_vectors = torch.nn.Embedding(len(vocab), dim, sparse=True)
    context_vectors = torch.nn.Embedding(len(vocab), dim, sparse=True)
    torch.nn.init.uniform_(centre_vectors.weight, -0.5 / dim, 0.5 / dim, generator=generator)
    torch.nn.init.zeros_(context_vectors.weight)
    optimizer = torch.optim.SparseAdam(list(centre_vectors.parameters()) + list(context_vectors.parameters()), lr=lr)
    encoded = [[index[w] for w in s if w in index] for s in sentences]
    for _ in range(epochs):
        kept = [[i for i in ids if rng.random() < keep[i]] for ids in encoded]
        pairs = torch.from_numpy(training_pairs(kept, window, rng))
        pairs = pairs[torch.randperm(len(pairs), generator=generator)]
        for start in range(0, len(pairs), batch_size):
            batch = pairs[start : start + batch_size]
            centre = centre_vectors(batch[:, 0])  # (B, d)
            positive = context_vectors(batch[:, 1])  # (B, d)
            negative = context_vectors(torch.multinomial(noise, len(batch) * negatives, True, generator=generator))
            negative = negative.view(len(batch), negatives, dim)
            positive_score = torch.nn.functional.logsigmoid((centre * positive).sum(-1))
            negative_score = torch.nn.functional.logsigmoid(-(negative @ centre.unsqueeze(-1)).squeeze(-1)).sum(-1)
            loss = -(positive_score + negative_score).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    vectors = centre_vectors.weight.detach().numpy().astype(np.float64)
    return WordEmbeddings(vocab, normalize(vectors), frequency)
