"""The `unmt align` pipeline: a first map (adversarial or identical strings), Procrustes refinement, the CSLS
lexicon in both directions, and a report of the unsupervised criterion (plus precision@k when a test dictionary
is given) after each stage."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from unmt.lexicon.adversarial_map import AdversarialMapConfig, adversarial_map
from unmt.lexicon.anchors import shared_anchors
from unmt.lexicon.align import csls_scores, identical_pairs, identical_strings_map, mean_csls_cosine, refine
from unmt.lexicon.embeddings import WordEmbeddings
from unmt.lexicon.evaluation import precision_at_k

log = logging.getLogger("unmt")


@dataclass
class Alignment:
    W: np.ndarray
    forward: dict[str, str]  # source word -> target word
    backward: dict[str, str]  # target word -> source word
    report: dict


def first_map(
    source: WordEmbeddings, target: WordEmbeddings, method: str, restarts: int = 1, seed: int = 0,
    adversarial: AdversarialMapConfig = AdversarialMapConfig(),
) -> tuple[np.ndarray, dict]:
    if method == "identical":
        return identical_strings_map(source, target), {"identical_pairs": len(identical_pairs(source, target))}
    if method != "adversarial":
        raise ValueError(f"unknown alignment method {method!r}; use 'adversarial' or 'identical'")
    best, best_score, runs = None, float("-inf"), []
    for restart in range(max(1, restarts)):  # GAN training has bad runs: pick by the unsupervised criterion
        W, history = adversarial_map(source, target, replace(adversarial, seed=seed + restart))
        score = mean_csls_cosine(source, target, W)
        runs.append({"seed": seed + restart, "criterion": score, "epochs": history})
        if score > best_score:
            best, best_score = W, score
    return best, {"adversarial_runs": runs}


def map_embeddings(
    source: WordEmbeddings,
    target: WordEmbeddings,
    method: str = "adversarial",
    refinements: int = 5,
    restarts: int = 1,
    seed: int = 0,
    gold: dict[str, set[str]] | None = None,
    max_rank: int = 10000,
) -> tuple[np.ndarray, dict]:
    """The map W alone (first map, then refinement) and its report; no lexicon is built."""
    W, details = first_map(source, target, method, restarts, seed)
    stages = [_stage(method, source, target, W, gold)]
    if refinements > 0:
        keep = identical_pairs(source, target) if method == "identical" else []
        W = refine(source, target, W, refinements, max_rank, keep_pairs=keep)
        stages.append(_stage(f"{method}+refinement", source, target, W, gold))
    return W, {"method": method, "stages": stages, **details}


def align_embeddings(source: WordEmbeddings, target: WordEmbeddings, *args, **kwargs) -> Alignment:
    """map_embeddings, plus the CSLS lexicon in both directions."""
    W, report = map_embeddings(source, target, *args, **kwargs)
    scores = csls_scores(source.vectors @ W.T, target.vectors)
    forward = {w: target.words[j] for w, j in zip(source.words, scores.argmax(1))}
    backward = {w: source.words[i] for w, i in zip(target.words, scores.argmax(0))}
    # Strings shared with a similar frequency (names, numbers, punctuation) translate to themselves in the
    # lexicon, as in induce.py; precision@k above scores the map alone.
    pinned = shared_anchors(Counter(dict(zip(source.words, source.counts))), Counter(dict(zip(target.words, target.counts))),
                            min_count=5, max_anchors=len(source.words))
    for word in pinned:
        forward[word] = backward[word] = word
    return Alignment(W, forward, backward, {**report, "pinned_identical": len(pinned)})


def _stage(name: str, source, target, W, gold) -> dict:
    stage = {"stage": name, "criterion": mean_csls_cosine(source, target, W)}
    if gold is not None:
        stage.update(precision_at_k(source, target, W, gold))
    log.info("%s", " ".join(f"{k}={v}" for k, v in stage.items()))
    return stage


def lexicon_from_monolingual(source_lines: list[str], target_lines: list[str], method: str, dim: int = 50, seed: int = 0) -> Alignment:
    """Word-level skip-gram on each corpus, aligned by `method`: the lexicon behind the first back-translations
    when train.lexicon_method is identical or adversarial."""
    from unmt.lexicon.embeddings import words_of
    from unmt.lexicon.skipgram import train_skipgram

    source, target = (
        train_skipgram([words_of(line) for line in lines], dim=dim, min_count=3, seed=seed) for lines in (source_lines, target_lines)
    )
    return align_embeddings(source, target, method, refinements=5, seed=seed)
