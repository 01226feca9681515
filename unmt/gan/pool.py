"""CycleGAN's image history (Shrivastava et al. 2017): the discriminator sees a mix of the newest fakes and
fakes from earlier generators, which damps oscillation between generator and discriminator."""
from __future__ import annotations

import torch


class ImagePool:
    def __init__(self, size: int, rng: torch.Generator):
        self.size, self.rng = size, rng
        self.images: list[torch.Tensor] = []

    def query(self, batch: torch.Tensor) -> torch.Tensor:
        """Returns a batch as large as `batch`: each image is either the new one (and enters the pool) or, once
        the pool is full, with probability 1/2 a stored one, which the new image then replaces."""
        if self.size == 0:
            return batch
        out = []
        for image in batch.detach():
            if len(self.images) < self.size:
                self.images.append(image.clone())
                out.append(image)
            elif torch.rand((), generator=self.rng).item() < 0.5:
                slot = int(torch.randint(self.size, (), generator=self.rng))
                out.append(self.images[slot])
                self.images[slot] = image.clone()
            else:
                out.append(image)
        return torch.stack(out)
