import math

import pytest
import torch

from unmt.adversarial import losses


def test_gan_discriminator_loss_hand_computed():
    real, fake = torch.tensor([0.0]), torch.tensor([0.0])  # d = 0.5 on both
    assert losses.gan_discriminator_loss(real, fake).item() == pytest.approx(2 * math.log(2))
    # one-sided smoothing: real target 0.9 -> -(0.9 log 0.5 + 0.1 log 0.5) = log 2 still at d=0.5 ...
    real = torch.tensor([2.0])
    expected = -(0.9 * math.log(torch.sigmoid(real).item()) + 0.1 * math.log(1 - torch.sigmoid(real).item()))
    assert losses.gan_discriminator_loss(real, fake, real_label=0.9).item() == pytest.approx(
        expected + math.log(2), rel=1e-5
    )


def test_minimax_and_non_saturating_generator_losses():
    fake = torch.tensor([-3.0])  # the discriminator is confident the sample is fake
    d = torch.sigmoid(fake).item()
    assert losses.minimax_generator_loss(fake).item() == pytest.approx(math.log(1 - d), rel=1e-5)
    assert losses.non_saturating_generator_loss(fake).item() == pytest.approx(-math.log(d), rel=1e-5)
    # the point of the non-saturating loss: a much larger gradient where the generator is losing
    g1 = torch.autograd.grad(losses.minimax_generator_loss(fake.requires_grad_()), fake)[0].abs()
    g2 = torch.autograd.grad(losses.non_saturating_generator_loss(fake), fake)[0].abs()
    assert g2 > 10 * g1


def test_wasserstein_hinge_least_squares_values():
    real, fake = torch.tensor([1.0, 3.0]), torch.tensor([-1.0, 0.0])
    assert losses.wasserstein_critic_loss(real, fake).item() == pytest.approx(-0.5 - 2.0)
    assert losses.wasserstein_generator_loss(fake).item() == pytest.approx(0.5)
    assert losses.hinge_discriminator_loss(real, fake).item() == pytest.approx(0.0 + (0.0 + 1.0) / 2)
    assert losses.least_squares_discriminator_loss(real, fake).item() == pytest.approx(0.5 * 2.0 + 0.5 * 0.5)
    assert losses.least_squares_generator_loss(fake).item() == pytest.approx(0.5 * (4 + 1) / 2)


def test_gradient_penalty_is_zero_for_unit_gradient_critic():
    def critic(x):  # gradient (1, 1): of norm sqrt(2) in 2-D
        return x.sum(dim=1)

    def unit(x):  # gradient (1, 0): of norm 1
        return x[:, 0]

    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    assert losses.gradient_penalty(unit, real, fake).item() == pytest.approx(0.0, abs=1e-6)
    assert losses.gradient_penalty(critic, real, fake).item() == pytest.approx(10 * (math.sqrt(2) - 1) ** 2, rel=1e-5)


def test_weight_clipping():
    layer = torch.nn.Linear(3, 3)
    with torch.no_grad():
        layer.weight.mul_(100)
    losses.clip_weights_(layer.parameters(), 0.01)
    assert layer.weight.abs().max().item() <= 0.01


def test_classifier_losses():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    labels = torch.tensor([0, 1])
    p_right = math.exp(2) / (math.exp(2) + 1)
    assert losses.classifier_discriminator_loss(logits, labels).item() == pytest.approx(-math.log(p_right), rel=1e-5)
    assert losses.classifier_fooling_loss(logits, labels, "flip").item() == pytest.approx(
        -math.log(1 - p_right), rel=1e-5
    )
    uniform = -(math.log(p_right) + math.log(1 - p_right)) / 2
    assert losses.classifier_fooling_loss(logits, labels, "uniform").item() == pytest.approx(uniform, rel=1e-5)
    with pytest.raises(ValueError):
        losses.classifier_fooling_loss(logits, labels, "sideways")
