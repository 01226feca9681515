"""Digit-image metrics read off a locally trained classifier (see unmt.gan.classifier).

classes covered     classes that receive at least 10% of their fair share (N/10) of the generated samples'
                    predicted labels; 10 means no class was dropped
Frechet distance    between Gaussians fitted to classifier features of two image sets (FID's formula with our
                    classifier's features instead of Inception's); it depends on the sample size, so a run
                    also reports the floor: the distance between two disjoint real sets of the same sizes
classifier score    exp(E_x KL(p(y|x) || p(y))), the Inception-score analogue: 10 at best, 1 at worst
paired change       for label preservation: images the translation fixed (wrong before, right after) and broke
                    (right before, wrong after), with McNemar's exact test on them; the images both or neither
                    get right carry no information about the change, however many they are
"""
from __future__ import annotations

from math import comb

import numpy as np
import torch

COVERAGE_SHARE = 0.1


def classes_covered(probs: torch.Tensor) -> tuple[int, list[int]]:
    counts = torch.bincount(probs.argmax(-1), minlength=10)
    threshold = COVERAGE_SHARE * len(probs) / 10
    return int((counts >= threshold).sum()), counts.tolist()


def classifier_score(probs: torch.Tensor, eps: float = 1e-12) -> float:
    p = probs.double().clamp_min(eps)
    marginal = p.mean(dim=0, keepdim=True)
    return float((p * (p.log() - marginal.log())).sum(dim=1).mean().exp())


def _trace_sqrt_product(cov_a: np.ndarray, cov_b: np.ndarray) -> float:
    """tr((A B)^(1/2)) as the sum of square roots of the eigenvalues of the symmetric A^(1/2) B A^(1/2): the same
    eigenvalues as A B, but symmetric, so it is stable even when the covariances are singular."""
    values, vectors = np.linalg.eigh(cov_a)
    root_a = (vectors * np.sqrt(values.clip(min=0))) @ vectors.T
    return float(np.sqrt(np.linalg.eigvalsh(root_a @ cov_b @ root_a).clip(min=0)).sum())


def frechet_distance(features_a: torch.Tensor, features_b: torch.Tensor) -> float:
    a, b = features_a.double().numpy(), features_b.double().numpy()
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    trace = np.trace(cov_a) + np.trace(cov_b) - 2 * _trace_sqrt_product(cov_a, cov_b)
    return float(((mu_a - mu_b) ** 2).sum() + trace)


def digit_metrics(classifier, generated: torch.Tensor, reference: torch.Tensor, floor_set: torch.Tensor) -> dict:
    """Metrics of `generated` against `reference`; `floor_set` is real and disjoint from the reference, ideally
    as large as `generated`."""
    probs, features = classifier.predict(generated)
    _, reference_features = classifier.predict(reference)
    floor_probs, floor_features = classifier.predict(floor_set)
    covered, counts = classes_covered(probs)
    return {
        "classes_covered": covered,
        "class_counts": counts,
        "frechet": frechet_distance(features, reference_features),
        "frechet_real_floor": frechet_distance(floor_features, reference_features),
        "classifier_score": classifier_score(probs),
        "classifier_score_real": classifier_score(floor_probs),
    }


def mcnemar_exact_p(fixed: int, broken: int) -> float:
    """Two-sided exact McNemar p-value: the chance, if fixing and breaking were equally likely, of a split of the
    fixed + broken changed images at least this lopsided (a binomial tail with p = 1/2, in exact integers)."""
    changed, fewer = fixed + broken, min(fixed, broken)
    if changed == 0:
        return 1.0
    tail = sum(comb(changed, k) for k in range(fewer + 1))
    return min(1.0, 2 * tail / 2**changed)


def paired_change(correct_before: torch.Tensor, correct_after: torch.Tensor) -> dict:
    """Fixed/broken counts and McNemar's p for two bool vectors over the same images."""
    fixed = int((~correct_before & correct_after).sum())
    broken = int((correct_before & ~correct_after).sum())
    return {"fixed": fixed, "broken": broken, "p_value": mcnemar_exact_p(fixed, broken)}
