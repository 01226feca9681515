"""Image and toy-data GANs trained on the shared adversarial core (unmt.adversarial).

One configuration picks the data (2-D mixtures, digits, MNIST<->USPS), the architecture (MLP, DCGAN, CycleGAN)
and the loss (min-max, non-saturating, WGAN with clipping, WGAN-GP, hinge, least squares); every variant is a
task object stepped by `unmt.adversarial.trainer.AlternatingTrainer`.
"""
