"""Mapping one embedding space onto another without a dictionary: orthogonal Procrustes on identical strings
(names, numbers, punctuation, cognates), refined by iterating Procrustes on mutual CSLS nearest neighbours
(Conneau et al. 2018, "Word Translation Without Parallel Data")."""
from __future__ import annotations

import numpy as np

from unmt.lexicon.embeddings import WordEmbeddings


def procrustes(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The orthogonal W minimising ||source @ W.T - target||_F for paired rows (Schönemann 1966)."""
    u, _, vt = np.linalg.svd(target.T @ source)
    return u @ vt


def csls_scores(mapped: np.ndarray, target: np.ndarray, k: int = 10) -> np.ndarray:
    """Cross-domain similarity local scaling: 2 cos(x, y) - r_T(x) - r_S(y), which penalises hubs, i.e. words
    that are near neighbours of everything."""
    cos = mapped @ target.T
    k_src, k_tgt = min(k, target.shape[0]), min(k, mapped.shape[0])
    r_source = np.partition(cos, -k_src, axis=1)[:, -k_src:].mean(1)
    r_target = np.partition(cos, -k_tgt, axis=0)[-k_tgt:, :].mean(0)
    return 2 * cos - r_source[:, None] - r_target[None, :]


def identical_pairs(source: WordEmbeddings, target: WordEmbeddings) -> list[tuple[int, int]]:
    target_index = target.index()
    return [(i, target_index[w]) for i, w in enumerate(source.words) if w in target_index]


def mutual_neighbours(scores: np.ndarray) -> list[tuple[int, int]]:
    forward, backward = scores.argmax(1), scores.argmax(0)
    return [(i, int(j)) for i, j in enumerate(forward) if backward[j] == i]


def align(source: WordEmbeddings, target: WordEmbeddings, iterations: int = 10, max_rank: int = 10000) -> np.ndarray:
    """Returns W (dim, dim) mapping source vectors into the target space (x -> W x)."""
    seeds = identical_pairs(source, target)
    if len(seeds) < 2:
        raise ValueError("the two corpora share fewer than 2 identical words: no seed to start the alignment from")
    pairs = seeds
    X, Y = source.vectors[:max_rank], target.vectors[:max_rank]
    for _ in range(iterations):
        src_ids, tgt_ids = zip(*pairs)
        W = procrustes(source.vectors[list(src_ids)], target.vectors[list(tgt_ids)])
        pairs = sorted(set(mutual_neighbours(csls_scores(X @ W.T, Y))) | set(seeds))
    return W


def mean_csls_cosine(source: WordEmbeddings, target: WordEmbeddings, W: np.ndarray, n_words: int = 1000) -> float:
    """Conneau et al.'s unsupervised selection criterion: mean cosine between the most frequent source words and
    their CSLS translations (higher is better)."""
    mapped = source.vectors[:n_words] @ W.T
    best = csls_scores(mapped, target.vectors).argmax(1)
    return float(np.mean(np.sum(mapped * target.vectors[best], axis=1)))


def induce_lexicon(source: WordEmbeddings, target: WordEmbeddings, W: np.ndarray) -> dict[str, str]:
    """The CSLS translation of every source word."""
    best = csls_scores(source.vectors @ W.T, target.vectors).argmax(1)
    return {w: target.words[j] for w, j in zip(source.words, best)}
