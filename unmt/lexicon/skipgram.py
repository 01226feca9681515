"""Skip-gram with negative sampling (Mikolov et al. 2013), a small torch implementation; with `subwords`, a word's
vector is the mean of its own vector and those of its character n-grams, as in fastText (Bojanowski et al. 2017), so
that rare and inflected forms share what their spelling has in common.

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


def char_ngrams(word: str, smallest: int, largest: int) -> list[str]:
    """fastText's n-grams of '<word>' ('<' and '>' mark the word's edges), without the whole bracketed word."""
    marked = f"<{word}>"
    return [
        marked[i : i + n] for n in range(smallest, largest + 1) for i in range(len(marked) - n + 1) if n < len(marked)
    ]


class SubwordVectors(torch.nn.Module):
    """Word vector = mean of the word's own row and its n-gram rows (one table, padded index lists per word)."""

    def __init__(self, vocab: Sequence[str], dim: int, smallest: int, largest: int, generator: torch.Generator):
        super().__init__()
        grams: dict[str, int] = {}
        pieces = [
            [grams.setdefault(g, len(vocab) + len(grams)) for g in char_ngrams(w, smallest, largest)] for w in vocab
        ]
        rows = [[i, *ids] for i, ids in enumerate(pieces)]
        width = max(map(len, rows))
        padding = len(vocab) + len(grams)
        self.register_buffer("rows", torch.tensor([r + [padding] * (width - len(r)) for r in rows]))  # (V, L)
        self.register_buffer("lengths", torch.tensor([len(r) for r in rows], dtype=torch.float32))  # (V,)
        self.table = torch.nn.Embedding(padding + 1, dim, padding_idx=padding, sparse=True)
        with torch.no_grad():
            torch.nn.init.uniform_(self.table.weight, -0.5 / dim, 0.5 / dim, generator=generator)
            self.table.weight[padding] = 0

    def forward(self, words: torch.Tensor) -> torch.Tensor:
        return self.table(self.rows[words]).sum(1) / self.lengths[words, None]  # (B, d)

    def all_words(self) -> torch.Tensor:
        with torch.no_grad():
            return torch.cat([self(chunk) for chunk in torch.arange(len(self.rows)).split(4096)])


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
    subwords: tuple[int, int] | None = None,
) -> WordEmbeddings:
    """Words ordered by decreasing frequency; vectors are the input embeddings, MUSE-normalised. `subwords`
    = (smallest, largest) n-gram length, e.g. (3, 6) as fastText, adds character n-grams to each word's vector."""
    if subwords is not None and not 1 <= subwords[0] <= subwords[1]:
        raise ValueError(
            f"subwords must be (smallest, largest) n-gram lengths with 1 <= smallest <= largest, got {subwords}"
        )
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

    if subwords is None:
        centre_vectors = torch.nn.Embedding(len(vocab), dim, sparse=True)
        torch.nn.init.uniform_(centre_vectors.weight, -0.5 / dim, 0.5 / dim, generator=generator)
    else:
        centre_vectors = SubwordVectors(vocab, dim, *subwords, generator)
    context_vectors = torch.nn.Embedding(len(vocab), dim, sparse=True)
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
    vectors = (
        (centre_vectors.weight.detach() if subwords is None else centre_vectors.all_words()).numpy().astype(np.float64)
    )
    return WordEmbeddings(vocab, normalize(vectors), frequency)
