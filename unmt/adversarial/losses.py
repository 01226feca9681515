"""Every adversarial loss of the toolkit, as a pure function of tensors.

Conventions: a discriminator returns raw logits (no sigmoid); `real` and `fake` are its outputs on real data
and on generated data. Each `*_discriminator_loss` is minimised by the discriminator (or critic) and each
`*_generator_loss` by the generator. The latent language discriminator of translation is a multi-class
classifier and uses the `classifier_*` pair.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F


# --- classifier form: the latent language discriminator of UNMT -------------------------------------------
def classifier_discriminator_loss(logits: torch.Tensor, labels: torch.Tensor, smoothing: float = 0.0) -> torch.Tensor:
    """Cross-entropy of the discriminator's class (language) prediction; logits (N, K), labels (N,)."""
    return F.cross_entropy(logits, labels, label_smoothing=smoothing)


def classifier_fooling_loss(logits: torch.Tensor, labels: torch.Tensor, target: str = "flip") -> torch.Tensor:
    """The encoder's adversarial loss against a frozen classifier.

    target="flip": cross-entropy to a wrong class (with two classes, the other one), as in Lample et al. 2018.
    target="uniform": cross-entropy to the uniform distribution, which is minimised when the classifier
    cannot tell the classes apart at all, and does not reward over-shooting into the wrong class.
    """
    n_classes = logits.shape[-1]
    if target == "flip":
        return F.cross_entropy(logits, (labels + 1) % n_classes)
    if target == "uniform":
        return -torch.log_softmax(logits, dim=-1).mean()
    raise ValueError(f"unknown fooling target {target!r}; use 'flip' or 'uniform'")


# --- binary form: the original GAN and its variants -------------------------------------------------------
def gan_discriminator_loss(real: torch.Tensor, fake: torch.Tensor, real_label: float = 1.0) -> torch.Tensor:
    """-log d(x) - log(1 - d(g(z))). real_label < 1 is one-sided label smoothing (Salimans et al. 2016):
    only the real targets are softened, never the fake ones."""
    real_loss = F.binary_cross_entropy_with_logits(real, torch.full_like(real, real_label))
    fake_loss = F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    return real_loss + fake_loss


def minimax_generator_loss(fake: torch.Tensor) -> torch.Tensor:
    """The original min-max objective: the generator minimises log(1 - d(g(z))) = -softplus(logit)."""
    return -F.softplus(fake).mean()


def non_saturating_generator_loss(fake: torch.Tensor) -> torch.Tensor:
    """The non-saturating variant: the generator maximises log d(g(z)), i.e. minimises softplus(-logit)."""
    return F.softplus(-fake).mean()


def wasserstein_critic_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Negated dual estimate of the Wasserstein-1 distance: E[f(g(z))] - E[f(x)]."""
    return fake.mean() - real.mean()


def wasserstein_generator_loss(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def clip_weights_(parameters, limit: float) -> None:
    """WGAN's crude Lipschitz constraint: clamp every critic weight to [-limit, limit] in place."""
    with torch.no_grad():
        for p in parameters:
            p.clamp_(-limit, limit)


def gradient_penalty(critic, real: torch.Tensor, fake: torch.Tensor, weight: float = 10.0) -> torch.Tensor:
    """WGAN-GP (Gulrajani et al. 2017): weight * E[(||grad f(x_hat)|| - 1)^2] on random interpolates x_hat."""
    alpha = torch.rand((real.shape[0],) + (1,) * (real.dim() - 1), device=real.device)
    interpolates = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(interpolates)
    (grads,) = torch.autograd.grad(scores.sum(), interpolates, create_graph=True)
    norms = grads.flatten(1).norm(2, dim=1)
    return weight * ((norms - 1) ** 2).mean()


def hinge_discriminator_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    return F.relu(1 - real).mean() + F.relu(1 + fake).mean()


def hinge_generator_loss(fake: torch.Tensor) -> torch.Tensor:
    return -fake.mean()


def least_squares_discriminator_loss(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """LSGAN (Mao et al. 2017) with targets 1 for real and 0 for fake."""
    return 0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake**2).mean()


def least_squares_generator_loss(fake: torch.Tensor) -> torch.Tensor:
    return 0.5 * ((fake - 1) ** 2).mean()
