"""The GAN metrics on hand-made samples whose right answers are known."""
import math

import pytest
import torch

from unmt.gan.metrics_digits import classes_covered, classifier_score, frechet_distance, mcnemar_exact_p, paired_change
from unmt.gan.metrics_mixture import earth_mover_distance, mode_metrics
from unmt.gan.mixtures import grid_modes, ring_modes, sample_mixture


def test_samples_exactly_on_every_ring_mode_are_perfect():
    modes = ring_modes()
    samples = modes.repeat(2500 // 8 + 1, 1)[:2496]
    result = mode_metrics(samples, modes, std=0.01)
    assert result["modes_captured"] == 8
    assert result["high_quality_percent"] == 100.0
    assert result["reverse_kl"] == pytest.approx(0.0, abs=1e-12)


def test_everything_on_one_mode_is_one_mode_and_maximal_reverse_kl():
    modes = ring_modes()
    samples = modes[:1].repeat(2500, 1)
    result = mode_metrics(samples, modes, std=0.01)
    assert result["modes_captured"] == 1
    assert result["reverse_kl"] == pytest.approx(math.log(8))


def test_samples_between_modes_are_not_high_quality_and_capture_nothing():
    modes = grid_modes()
    samples = modes + torch.tensor([1.0, 1.0])  # the centre of each grid cell, far beyond 3 sigma
    result = mode_metrics(samples, modes, std=0.05)
    assert result["high_quality_percent"] == 0.0
    assert result["modes_captured"] == 0


def test_a_mode_needs_the_minimum_count_to_be_captured():
    modes = ring_modes()
    samples = torch.cat([modes[:1].repeat(100, 1), modes[1:2].repeat(19, 1)])
    assert mode_metrics(samples, modes, std=0.01, min_count=20)["modes_captured"] == 1


def test_true_mixture_samples_score_near_perfect():
    modes = ring_modes()
    samples = sample_mixture(modes, 0.01, 2500, torch.Generator().manual_seed(0))
    result = mode_metrics(samples, modes, std=0.01)
    assert result["modes_captured"] == 8
    assert result["high_quality_percent"] > 98.0  # in 2-D, P(r <= 3 sigma) = 1 - exp(-4.5) = 98.9%
    assert result["reverse_kl"] < 0.01


def test_earth_mover_distance_of_a_translated_cloud_is_the_translation():
    points = torch.randn(300, 2, generator=torch.Generator().manual_seed(1))
    assert earth_mover_distance(points, points) == pytest.approx(0.0, abs=1e-9)
    assert earth_mover_distance(points + torch.tensor([0.5, 0.0]), points) == pytest.approx(0.5, rel=1e-6)


def test_classes_covered_counts_classes_with_a_tenth_of_their_share():
    probs = torch.eye(10)[torch.tensor([0] * 500 + [1] * 490 + [2] * 10)]  # class 2: 10 of 1000 = 10% of 100
    covered, counts = classes_covered(probs)
    assert covered == 3 and counts[:3] == [500, 490, 10]


def test_classifier_score_is_ten_for_confident_balanced_and_one_for_a_single_class():
    balanced = torch.eye(10).repeat(50, 1)
    assert classifier_score(balanced) == pytest.approx(10.0, rel=1e-6)
    assert classifier_score(torch.eye(10)[[3] * 100]) == pytest.approx(1.0, rel=1e-6)


def test_frechet_distance_is_zero_on_itself_and_the_squared_shift_of_means():
    features = torch.randn(2000, 4, generator=torch.Generator().manual_seed(2))
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-6)
    shifted = features + torch.tensor([2.0, 0.0, 0.0, 0.0])
    assert frechet_distance(shifted, features) == pytest.approx(4.0, rel=1e-4)


def test_mcnemar_exact_p_matches_binomial_tails_computed_by_hand():
    assert mcnemar_exact_p(0, 5) == 2 / 32  # all five changes one way: 2 * (1/2)^5
    assert mcnemar_exact_p(9, 1) == 2 * (1 + 10) / 1024  # P(X <= 1) for X ~ Bin(10, 1/2), both tails
    assert mcnemar_exact_p(4, 4) == 1.0 and mcnemar_exact_p(0, 0) == 1.0  # no evidence either way
    assert mcnemar_exact_p(60, 20) < 1e-4 and mcnemar_exact_p(45, 35) > 0.3  # 3:1 of 80 is no accident; 9:7 may be


def test_paired_change_counts_only_images_whose_verdict_changed():
    before = torch.tensor([True, True, False, False, True, False])
    after = torch.tensor([True, False, True, True, True, False])
    change = paired_change(before, after)
    assert (change["fixed"], change["broken"]) == (2, 1)
    assert change["p_value"] == 1.0  # 2 vs 1: P(X <= 1 | Bin(3, 1/2)) = 4/8, doubled
