"""A fully unsupervised map by self-learning, after Artetxe, Labaka & Agirre (ACL 2018, "A robust self-learning
method for fully unsupervised cross-lingual mappings of word embeddings"), written from the paper's description.

It needs no shared spelling and no adversarial game, only that the two spaces are roughly isometric:

1. A first dictionary from the similarity distributions alone. If Z = X R for a rotation R, then Z Z^T = X X^T up
   to the order of the words, so each word's row of sorted similarities to the frequent words of its own language
   (the rows of sqrt(X X^T), sorted) looks like its translation's row, whatever R is. CSLS nearest neighbours
   between those sorted rows, in both directions, give a weak but better-than-chance dictionary.
2. Self-learning: the orthogonal map that fits the dictionary (Procrustes), then the dictionary the map implies
   (CSLS nearest neighbours among the most frequent words, source-to-target and target-to-source), again and again.
   Dictionary induction is stochastic: each similarity is kept with probability p and the rest are ignored, p starts
   low and doubles whenever the objective (the mean CSLS score of the induced pairs) has stopped improving for
   `patience` iterations, so the first dictionaries are varied enough to escape a poor start; it ends at p = 1.
3. A final symmetric re-weighting (Artetxe et al., AAAI 2018): whitening of both sides, the orthogonal map between
   the whitened spaces, re-weighting of both by the square root of the singular values of their cross-covariance,
   de-whitening of each side by its own covariance. It transforms both spaces, so it is returned separately from
   the orthogonal W that the rest of the pipeline (one map, source onto target) consumes.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from unmt.errors import DataError
from unmt.lexicon.align import csls_scores, mean_csls_cosine, procrustes
from unmt.lexicon.embeddings import WordEmbeddings, normalize

log = logging.getLogger("unmt")


@dataclass
class SelfLearningConfig:
    # The paper takes 4,000 and 20,000 words of vocabularies of 200,000; on 15k-sentence corpora (3,000-5,000 words
    # seen 3 times) only the most frequent ~1,000 have reliable vectors, and the smaller cutoff measured better.
    init_words: int = 1000  # most frequent words whose similarity distributions give the first dictionary
    vocabulary_cutoff: int = 1000  # dictionaries are induced among this many most frequent words per side
    csls_k: int = 10  # neighbourhood size of CSLS
    initial_keep: float = 0.1  # p of stochastic dictionary induction at the start
    keep_multiplier: float = 2.0  # p grows by this factor when the objective stalls, up to 1
    patience: int = 5  # iterations without improvement before p grows (the paper waits 50 on 20k-word vocabularies)
    threshold: float = 1e-6  # a smaller gain in the objective is no improvement
    max_iterations: int = 200
    reweight: float = 0.5  # power of the singular values in the symmetric re-weighting (0.5 each side)
    seed: int = 0

    def check(self) -> None:
        problems = [
            (self.init_words >= 2, "init_words must be at least 2"),
            (self.vocabulary_cutoff >= 2, "vocabulary_cutoff must be at least 2"),
            (self.csls_k >= 1, "csls_k must be at least 1"),
            (0 < self.initial_keep <= 1, "initial_keep must be in (0, 1]"),
            (self.keep_multiplier > 1, "keep_multiplier must be above 1"),
            (self.patience >= 1, "patience must be at least 1"),
            (self.max_iterations >= 1, "max_iterations must be at least 1"),
            (0 <= self.reweight <= 1, "reweight must be in [0, 1]"),
        ]
        wrong = [message for ok, message in problems if not ok]
        if wrong:
            raise ValueError("self-learning map: " + "; ".join(wrong))


@dataclass
class SelfLearningResult:
    W: np.ndarray  # (dim, dim) orthogonal, x -> W x: source onto target, the pipeline's one-map interface
    dictionary: list[tuple[int, int]]  # (source index, target index) of the last, deterministic induction
    source_transform: np.ndarray  # (dim, dim): re-weighted source rows are X @ source_transform
    target_transform: np.ndarray  # (dim, dim): re-weighted target rows are Z @ target_transform
    history: list[dict] = field(default_factory=list)


def self_learning_map(
    source: WordEmbeddings, target: WordEmbeddings, config: SelfLearningConfig | None = None,
    seed_pairs: list[tuple[int, int]] | None = None,
) -> SelfLearningResult:
    """`seed_pairs` (e.g. identical strings) replace the first dictionary from the similarity distributions."""
    config = config or SelfLearningConfig()
    config.check()
    _check_spaces(source, target)
    rng = np.random.default_rng(config.seed)
    X = source.vectors[: config.vocabulary_cutoff].astype(np.float32)
    Z = target.vectors[: config.vocabulary_cutoff].astype(np.float32)
    if seed_pairs is not None and len(seed_pairs) < 2:
        raise DataError(f"self-learning needs at least 2 seed pairs to start from, got {len(seed_pairs)}")
    pairs = (
        list(seed_pairs)
        if seed_pairs is not None
        else initial_dictionary(source, target, config.init_words, config.csls_k)
    )
    history = [{"iteration": 0, "keep": None, "pairs": len(pairs), "objective": None}]
    log.info("self-learning: %d pairs in the first dictionary (%s)", len(pairs),
             "seed pairs" if seed_pairs is not None else "from the similarity distributions")
    keep, best_objective, last_gain = config.initial_keep, float("-inf"), 0
    for iteration in range(1, config.max_iterations + 1):
        W = _fit(source, target, pairs)
        pairs, objective = induce_dictionary(X @ W.T.astype(np.float32), Z, config.csls_k, keep, rng)
        history.append({"iteration": iteration, "keep": keep, "pairs": len(pairs), "objective": objective})
        if objective - best_objective >= config.threshold:
            best_objective, last_gain = objective, iteration
        elif iteration - last_gain >= config.patience:
            if keep >= 1.0:
                break
            keep, last_gain = min(1.0, keep * config.keep_multiplier), iteration
    W = _fit(source, target, pairs)
    pairs, objective = induce_dictionary(X @ W.T.astype(np.float32), Z, config.csls_k, 1.0, rng)
    W = _fit(source, target, pairs)
    history.append({"iteration": "final", "keep": 1.0, "pairs": len(pairs), "objective": objective,
                    "criterion": mean_csls_cosine(source, target, W)})
    log.info(
        "self-learning: %d iterations, objective %.4f, criterion %.4f", len(history) - 2, objective,
        history[-1]["criterion"]
    )
    A, B = symmetric_reweighting(source.vectors, target.vectors, pairs, config.reweight)
    return SelfLearningResult(W, pairs, A, B, history)


def initial_dictionary(
    source: WordEmbeddings, target: WordEmbeddings, n_words: int = 4000, k: int = 10
) -> list[tuple[int, int]]:
    """Pairs among the n most frequent words of each side whose sorted similarity distributions are CSLS nearest
    neighbours (source to target and target to source, the union)."""
    profiles = [_sorted_similarity_rows(space.vectors[:n_words]) for space in (source, target)]
    n = min(len(p[0]) for p in profiles)  # rows of unequal length are compared on their top n sorted values
    source_profiles, target_profiles = (normalize(p[:, -n:]) for p in profiles)
    pairs, _ = induce_dictionary(source_profiles.astype(np.float32), target_profiles.astype(np.float32), k, 1.0, None)
    return pairs


def _sorted_similarity_rows(X: np.ndarray) -> np.ndarray:
    """Rows of sqrt(X X^T), each sorted: with X = U S V^T, sqrt(X X^T) = U S U^T."""
    U, S, _ = np.linalg.svd(X.astype(np.float64), full_matrices=False)
    return np.sort((U * S) @ U.T, axis=1)


def induce_dictionary(
    mapped: np.ndarray, target: np.ndarray, k: int, keep: float, rng: np.random.Generator | None
) -> tuple[list[tuple[int, int]], float]:
    """CSLS nearest neighbours in both directions, each similarity kept with probability `keep`; returns the
    union of the pairs and their mean CSLS score (unmasked), the self-learning objective."""
    scores = csls_scores(mapped, target, k)
    if keep < 1.0:
        masked = np.where(rng.random(scores.shape, dtype=np.float32) < keep, scores, -np.inf)
    else:
        masked = scores
    forward, backward = masked.argmax(1), masked.argmax(0)
    pairs = sorted({(i, int(j)) for i, j in enumerate(forward)} | {(int(i), j) for j, i in enumerate(backward)})
    rows, cols = zip(*pairs)
    return pairs, float(scores[list(rows), list(cols)].mean())


def symmetric_reweighting(
    X: np.ndarray, Z: np.ndarray, pairs: list[tuple[int, int]], power: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """(A, B) such that X @ A and Z @ B are the whitened, orthogonally mapped, re-weighted and de-whitened spaces
    for the dictionary `pairs`."""
    rows, cols = (list(ids) for ids in zip(*pairs))
    XD, ZD = X[rows].astype(np.float64), Z[cols].astype(np.float64)
    whiten_x, dewhiten_x = _inverse_sqrt_and_sqrt(XD.T @ XD)
    whiten_z, dewhiten_z = _inverse_sqrt_and_sqrt(ZD.T @ ZD)
    U, S, Vt = np.linalg.svd((XD @ whiten_x).T @ (ZD @ whiten_z))
    V = Vt.T
    weights = np.diag(S**power)
    A = whiten_x @ U @ weights @ (U.T @ dewhiten_x @ U)
    B = whiten_z @ V @ weights @ (V.T @ dewhiten_z @ V)
    return A, B


def reweighted_spaces(
    source: WordEmbeddings, target: WordEmbeddings, result: SelfLearningResult
) -> tuple[WordEmbeddings, WordEmbeddings]:
    """Both spaces after the symmetric re-weighting, rows of unit length: compare them with W = identity."""
    def unit(v):
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-8)

    return (WordEmbeddings(source.words, unit(source.vectors @ result.source_transform), source.counts),
            WordEmbeddings(target.words, unit(target.vectors @ result.target_transform), target.counts))


def _inverse_sqrt_and_sqrt(covariance: np.ndarray, floor: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    values, vectors = np.linalg.eigh(covariance)
    values = np.maximum(values, floor * max(values.max(), floor))  # a rank-deficient dictionary must not divide by 0
    return (vectors * values**-0.5) @ vectors.T, (vectors * values**0.5) @ vectors.T


def _fit(source: WordEmbeddings, target: WordEmbeddings, pairs: list[tuple[int, int]]) -> np.ndarray:
    rows, cols = (list(ids) for ids in zip(*pairs))
    return procrustes(source.vectors[rows], target.vectors[cols])


def _check_spaces(source: WordEmbeddings, target: WordEmbeddings) -> None:
    for name, space in (("source", source), ("target", target)):
        if space.vectors.ndim != 2 or len(space.vectors) != len(space.words):
            raise DataError(f"{name} embeddings: {len(space.words)} words but vectors of shape {space.vectors.shape}")
        if len(space.words) < 2:
            raise DataError(f"{name} embeddings have {len(space.words)} word(s): at least 2 are needed to map a space")
        if not np.isfinite(space.vectors).all():
            raise DataError(f"{name} embeddings contain NaN or infinite values")
    if source.vectors.shape[1] != target.vectors.shape[1]:
        raise DataError(
            f"source embeddings have {source.vectors.shape[1]} dimensions and target {target.vectors.shape[1]}: "
            "they must be equal to be mapped onto each other"
        )
