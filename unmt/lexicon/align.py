"""Mapping one embedding space onto another without a dictionary: a first orthogonal map from identical strings
(names, numbers, punctuation, cognates) or from adversarial training (adversarial_map.py), refined by iterating
Procrustes on mutual CSLS nearest neighbours (Conneau et al. 2018, "Word Translation Without Parallel Data")."""
from __future__ import annotations

import numpy as np

from unmt.errors import DataError
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


def best_translations(
    scores: np.ndarray, source_words: list[str], target_words: list[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """(source word -> its best-scoring target word, target word -> its best-scoring source word) of a
    (source, target) score matrix."""
    forward = {w: target_words[j] for w, j in zip(source_words, scores.argmax(1))}
    backward = {w: source_words[i] for w, i in zip(target_words, scores.argmax(0))}
    return forward, backward


def identical_pairs(source: WordEmbeddings, target: WordEmbeddings) -> list[tuple[int, int]]:
    target_index = target.index()
    return [(i, target_index[w]) for i, w in enumerate(source.words) if w in target_index]


def mutual_neighbours(scores: np.ndarray) -> list[tuple[int, int]]:
    forward, backward = scores.argmax(1), scores.argmax(0)
    return [(i, int(j)) for i, j in enumerate(forward) if backward[j] == i]


def identical_strings_map(source: WordEmbeddings, target: WordEmbeddings) -> np.ndarray:
    """The seeded start: Procrustes on the words spelled the same in both languages."""
    seeds = identical_pairs(source, target)
    if len(seeds) < 2:
        raise DataError("the two corpora share fewer than 2 identical words: no seed to start the alignment from")
    src_ids, tgt_ids = zip(*seeds)
    return procrustes(source.vectors[list(src_ids)], target.vectors[list(tgt_ids)])


def refine(
    source: WordEmbeddings,
    target: WordEmbeddings,
    W: np.ndarray,
    iterations: int = 5,
    max_rank: int = 10000,
    keep_pairs: list[tuple[int, int]] = (),
) -> np.ndarray:
    """Iterated Procrustes on the mutual CSLS nearest neighbours among the `max_rank` most frequent words;
    `keep_pairs` (e.g. identical strings) stay in every dictionary. Returns the iterate that scores best on
    the unsupervised criterion, so refinement can never make the map worse by that measure."""
    X, Y = source.vectors[:max_rank], target.vectors[:max_rank]
    best, best_score = W, mean_csls_cosine(source, target, W)
    for _ in range(iterations):
        pairs = sorted(set(mutual_neighbours(csls_scores(X @ W.T, Y))) | set(keep_pairs))
        if len(pairs) < 2:
            break
        src_ids, tgt_ids = zip(*pairs)
        W = procrustes(source.vectors[list(src_ids)], target.vectors[list(tgt_ids)])
        score = mean_csls_cosine(source, target, W)
        if score > best_score:
            best, best_score = W, score
    return best


def align(source: WordEmbeddings, target: WordEmbeddings, iterations: int = 10, max_rank: int = 10000) -> np.ndarray:
    """Seeded alignment: identical strings, then refinement that keeps them as anchors. Returns W (dim, dim)
    mapping source vectors into the target space (x -> W x)."""
    W = identical_strings_map(source, target)
    return refine(source, target, W, iterations, max_rank, keep_pairs=identical_pairs(source, target))


def mean_csls_cosine(source: WordEmbeddings, target: WordEmbeddings, W: np.ndarray, n_words: int = 1000) -> float:
    """Conneau et al.'s unsupervised selection criterion: mean cosine between the most frequent source words and
    their CSLS translations (higher is better)."""
    mapped = source.vectors[:n_words] @ W.T
    # Unit rows: a map that is not exactly orthogonal must not score higher just by stretching vectors.
    mapped = mapped / np.maximum(np.linalg.norm(mapped, axis=1, keepdims=True), 1e-8)
    best = csls_scores(mapped, target.vectors).argmax(1)
    return float(np.mean(np.sum(mapped * target.vectors[best], axis=1)))


def induce_lexicon(source: WordEmbeddings, target: WordEmbeddings, W: np.ndarray) -> dict[str, str]:
    """The CSLS translation of every source word."""
    best = csls_scores(source.vectors @ W.T, target.vectors).argmax(1)
    return {w: target.words[j] for w, j in zip(source.words, best)}
