"""The `unmt align` pipeline: a first map (adversarial, identical strings or self-learning), Procrustes refinement,
the CSLS lexicon in both directions, and a report of the unsupervised criterion (plus precision@k when a test
dictionary is given) after each stage. `auto` runs several first maps and keeps the one the unsupervised criterion
prefers (select_method): no parallel data ever chooses."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from unmt.errors import DataError
from unmt.lexicon.adversarial_map import AdversarialMapConfig, adversarial_map
from unmt.lexicon.align import (
    best_translations,
    csls_scores,
    identical_pairs,
    identical_strings_map,
    mean_csls_cosine,
    refine,
)
from unmt.lexicon.anchors import shared_anchors
from unmt.lexicon.embeddings import WordEmbeddings
from unmt.lexicon.evaluation import precision_at_k
from unmt.lexicon.self_learning_map import SelfLearningConfig, reweighted_spaces, self_learning_map

log = logging.getLogger("unmt")


@dataclass
class Alignment:
    W: np.ndarray
    forward: dict[str, str]  # source word -> target word
    backward: dict[str, str]  # target word -> source word
    report: dict


FIRST_MAPS = ("adversarial", "identical", "self_learning", "identical_self_learning")
# What `auto` compares; adversarial is slow and did not recover a lexicon on Multi30k.
AUTO_CANDIDATES = ("identical", "self_learning", "identical_self_learning")


def first_map(
    source: WordEmbeddings, target: WordEmbeddings, method: str, restarts: int = 1, seed: int = 0,
    adversarial: AdversarialMapConfig | None = None,
    self_learning: SelfLearningConfig | None = None,
) -> tuple[np.ndarray, dict]:
    W, details, _ = _first_map(source, target, method, restarts, seed, adversarial, self_learning)
    return W, details


def _first_map(source, target, method, restarts=1, seed=0, adversarial=None, self_learning=None):
    """first_map, plus the self-learning result (for its re-weighted spaces) when the method is one (else None)."""
    adversarial, self_learning = adversarial or AdversarialMapConfig(), self_learning or SelfLearningConfig()
    if method == "identical":
        return identical_strings_map(source, target), {"identical_pairs": len(identical_pairs(source, target))}, None
    if method in ("self_learning", "identical_self_learning"):
        result = _self_learning(source, target, method, replace(self_learning, seed=seed))
        return result.W, _self_learning_details(result), result
    if method != "adversarial":
        raise ValueError(f"unknown alignment method {method!r}; use one of {', '.join(FIRST_MAPS)} or auto")
    best, best_score, runs = None, float("-inf"), []
    for restart in range(max(1, restarts)):  # GAN training has bad runs: pick by the unsupervised criterion
        W, history = adversarial_map(source, target, replace(adversarial, seed=seed + restart))
        score = mean_csls_cosine(source, target, W)
        runs.append({"seed": seed + restart, "criterion": score, "epochs": history})
        if score > best_score:
            best, best_score = W, score
    return best, {"adversarial_runs": runs}, None


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
    """The map W alone (first map, then refinement) and its report; no lexicon is built. `auto` = select_method."""
    W, report, _ = _map(source, target, method, refinements, restarts, seed, gold, max_rank)
    return W, report


def _map(source, target, method="adversarial", refinements=5, restarts=1, seed=0, gold=None, max_rank=10000):
    """map_embeddings, plus both spaces re-weighted when the method is a self-learning one (else None)."""
    if method == "auto":
        return _select(source, target, AUTO_CANDIDATES, refinements, restarts, seed, gold, max_rank)
    reweighted = None
    W, details, result = _first_map(source, target, method, restarts, seed)
    stages = [_stage(method, source, target, W, gold)]
    if result is not None:
        # Both spaces re-weighted (Artetxe et al.'s last step): reported, but the one-map interface returns W.
        reweighted = reweighted_spaces(source, target, result)  # the final dictionary's, before refinement
        stages.append(_stage(f"{method}+reweighting (both spaces)", *reweighted, np.eye(W.shape[0]), gold))
    if refinements > 0:
        keep = identical_pairs(source, target) if method == "identical" else []
        W = refine(source, target, W, refinements, max_rank, keep_pairs=keep)
        stages.append(_stage(f"{method}+refinement", source, target, W, gold))
    # The criterion of the W returned (the last stage's, unless that is the re-weighted diagnostic).
    criterion = mean_csls_cosine(source, target, W)
    return W, {"method": method, "criterion": criterion, "stages": stages, **details}, reweighted


def select_method(
    source: WordEmbeddings,
    target: WordEmbeddings,
    candidates=AUTO_CANDIDATES,
    refinements: int = 5,
    restarts: int = 1,
    seed: int = 0,
    gold: dict[str, set[str]] | None = None,
    max_rank: int = 10000,
) -> tuple[np.ndarray, dict]:
    """Every candidate first map (then refinement); keeps the W with the highest unsupervised criterion (mean
    CSLS cosine). `gold`, if given, is only reported: it never takes part in the choice. A candidate
    that cannot run on these spaces (identical strings with fewer than 2 shared words) is skipped."""
    W, report, _ = _select(source, target, candidates, refinements, restarts, seed, gold, max_rank)
    return W, report


def _select(source, target, candidates, refinements, restarts, seed, gold, max_rank):
    unknown = [m for m in candidates if m not in FIRST_MAPS]
    if not candidates or unknown:
        raise ValueError(f"select_method: candidates must be among {', '.join(FIRST_MAPS)}, got {list(candidates)}")
    best, reports, skipped = None, {}, {}
    for method in candidates:
        try:
            W, report, reweighted = _map(source, target, method, refinements, restarts, seed, gold, max_rank)
        except DataError as error:
            skipped[method] = str(error)
            log.info("auto alignment: %s skipped (%s)", method, error)
            continue
        reports[method] = report
        if best is None or report["criterion"] > reports[best[0]]["criterion"]:
            best = (method, W, reweighted)
    if best is None:
        raise DataError(
            "no alignment method could run on these embeddings: " + "; ".join(f"{m}: {e}" for m, e in skipped.items())
        )
    method, W, reweighted = best
    log.info("auto alignment chose %s by the unsupervised criterion (%s)", method,
             ", ".join(f"{m} {r['criterion']:.4f}" for m, r in reports.items()))
    chosen = reports[method]
    return (
        W,
        {
            **chosen, "method": method, "selected_by": "criterion",
            "candidates": {m: {"criterion": r["criterion"], "stages": r["stages"]} for m, r in reports.items()},
            "skipped": skipped
        },
        reweighted,
    )


def _self_learning(source, target, method: str, config: SelfLearningConfig):
    """Fully unsupervised (the first dictionary from the similarity distributions), or seeded by identical strings
    (`identical_self_learning`: names, numbers, cognates start it, self-learning takes it from there)."""
    if method == "self_learning":
        return self_learning_map(source, target, config)
    seeds = identical_pairs(source, target)
    if len(seeds) < 2:
        raise DataError("the two corpora share fewer than 2 identical words: no seed to start the alignment from")
    return self_learning_map(source, target, config, seed_pairs=seeds)


def _self_learning_details(result) -> dict:
    return {"self_learning": {"iterations": len(result.history) - 2, "first_dictionary": result.history[0]["pairs"],
                              "final": result.history[-1]}}


def align_embeddings(source: WordEmbeddings, target: WordEmbeddings, *args, **kwargs) -> Alignment:
    """map_embeddings, plus the CSLS lexicon in both directions. After a self-learning method the lexicon is read
    off both spaces re-weighted, the paper's last step (W, the one map, stays orthogonal for other consumers)."""
    W, report, reweighted = _map(source, target, *args, **kwargs)
    if reweighted is not None:
        scores = csls_scores(reweighted[0].vectors, reweighted[1].vectors)
        report = {**report, "lexicon_from": "re-weighted spaces"}
    else:
        scores = csls_scores(source.vectors @ W.T, target.vectors)
    forward, backward = best_translations(scores, source.words, target.words)
    # Strings shared with a similar frequency (names, numbers, punctuation) translate to themselves in the
    # lexicon, as in induce.py; precision@k above scores the map alone.
    pinned = shared_anchors(
        Counter(dict(zip(source.words, source.counts))), Counter(dict(zip(target.words, target.counts))), min_count=5,
        max_anchors=len(source.words)
    )
    for word in pinned:
        forward[word] = backward[word] = word
    return Alignment(W, forward, backward, {**report, "pinned_identical": len(pinned)})


def _stage(name: str, source, target, W, gold) -> dict:
    stage = {"stage": name, "criterion": mean_csls_cosine(source, target, W)}
    if gold is not None:
        stage.update(precision_at_k(source, target, W, gold))
    log.info("%s", " ".join(f"{k}={v}" for k, v in stage.items()))
    return stage


def lexicon_from_monolingual(
    source_lines: list[str], target_lines: list[str], method: str, dim: int = 50, seed: int = 0
) -> Alignment:
    """Word-level skip-gram on each corpus, aligned by `method`: the lexicon behind the first back-translations
    when train.lexicon_method is identical, adversarial, self_learning or auto."""
    from unmt.lexicon.embeddings import words_of
    from unmt.lexicon.skipgram import train_skipgram

    source, target = (
        train_skipgram([words_of(line) for line in lines], dim=dim, min_count=3, seed=seed)
        for lines in (source_lines, target_lines)
    )
    return align_embeddings(source, target, method, refinements=5, seed=seed)
