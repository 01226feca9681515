"""A UNMT run's complete training state, saved into a checkpoint and restored from one.

Everything that decides what the next step does is kept, so a resumed run continues exactly: the weights
(live, discriminator, average), optimisers and schedule, the step and the training clock, each corpus's position
in its epoch plan, and every random generator (torch's, the noise model's, back-translation sampling's) of every
rank: rank 0 writes them all, and each rank restores its own when the world has the same size.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from unmt.adversarial.trainer import AlternatingTrainer
from unmt.data.corpus import BatchStream
from unmt.distributed import World
from unmt.models.discriminators import LatentDiscriminator
from unmt.models.transformer import Transformer
from unmt.run_directory import RunDirectory, load_checkpoint_weights, load_trainer_state
from unmt.translation.averaging import AVERAGE_WEIGHTS, WeightAverage

log = logging.getLogger("unmt")


@dataclass
class RunState:
    """The parts of a run that a checkpoint holds, gathered so that saving and restoring read as one list."""
    model: Transformer
    discriminator: LatentDiscriminator
    average: WeightAverage | None
    trainer: AlternatingTrainer
    streams: dict[str, BatchStream]
    noise_rng: np.random.Generator
    sample_generator: torch.Generator
    device: torch.device
    world: World = field(default_factory=World)
    clock: dict = field(default_factory=lambda: {"elapsed_seconds": 0.0, "best_score": float("-inf")})

    def random_state(self) -> dict:
        """This rank's generators."""
        state = {"torch_rng": torch.get_rng_state(), "sample_rng": self.sample_generator.get_state(),
                 "noise_rng": self.noise_rng.bit_generator.state}
        if self.device.type == "cuda":  # dropout on the GPU draws from the device's own generator
            state["cuda_rng"] = torch.cuda.get_rng_state(self.device)
        return state

    def save(self, directory: RunDirectory | None, scores: dict) -> Path | None:
        """Every rank takes part (their random states are gathered); rank 0, the one with a directory, writes."""
        ranks = [{k: v.cpu() if isinstance(v, torch.Tensor) else v for k, v in s.items()}
                 for s in self.world.gather(self.random_state())]
        if directory is None:
            return None
        trainer_state = {**self.trainer.state_dict(), "ranks": ranks}
        state = {
            "step": self.trainer.step_count,
            **self.clock,
            "scores": scores,
            "streams": {lang: s.state_dict() for lang, s in self.streams.items()},
            "world_size": self.world.size,
        }
        weights = {"model": self.model.state_dict(), "discriminator": self.discriminator.state_dict()}
        if self.average:
            weights[AVERAGE_WEIGHTS] = self.average.state_dict()
        return directory.save_checkpoint(self.trainer.step_count, weights, trainer_state, state)

    def restore(self, checkpoint: Path, seed: int) -> None:
        self.model.load_state_dict(load_checkpoint_weights(checkpoint, "model"))
        self.discriminator.load_state_dict(load_checkpoint_weights(checkpoint, "discriminator"))
        if self.average:  # a run trained without averaging starts its average at the restored weights
            has_average = (checkpoint / f"{AVERAGE_WEIGHTS}.safetensors").is_file()
            self.average.load_state_dict(
                load_checkpoint_weights(checkpoint, AVERAGE_WEIGHTS) if has_average else self.model.state_dict()
            )
        trainer_state, state = load_trainer_state(checkpoint)
        self.trainer.load_state_dict(trainer_state)
        # Checkpoints written before ranks were saved hold one process's generators at the top level.
        ranks = trainer_state.get("ranks") or [{**trainer_state, "noise_rng": state["noise_rng"]}]
        if len(ranks) == self.world.size:
            self._restore_random_state(ranks[self.world.rank], seed)
        else:
            if self.world.is_main:
                log.warning("the checkpoint was written by %d processes, this run has %d: the data order and the "
                            "random draws change from here on", len(ranks), self.world.size)
            self.reseed(seed + self.trainer.step_count)
        self.clock = {"elapsed_seconds": state["elapsed_seconds"], "best_score": state["best_score"]}
        for name, stream_state in state["streams"].items():
            if name in self.streams:  # a run resumed without its parallel pairs leaves their position behind
                self.streams[name].load_state_dict(stream_state)
        log.info("resumed %s at step %d (%.0f s trained)", checkpoint.name, state["step"], state["elapsed_seconds"])

    def _restore_random_state(self, saved: dict, seed: int) -> None:
        torch.set_rng_state(saved["torch_rng"])
        if self.device.type == "cuda" and "cuda_rng" in saved:
            torch.cuda.set_rng_state(saved["cuda_rng"], self.device)
        self.noise_rng.bit_generator.state = saved["noise_rng"]
        try:
            self.sample_generator.set_state(saved["sample_rng"])
        except RuntimeError:  # saved on another device type (CPU <-> GPU): its generator state has another layout
            log.warning("the checkpoint was written on another device type: back-translation sampling is reseeded")
            self.sample_generator.manual_seed(seed + self.trainer.step_count)

    def reseed(self, seed: int) -> None:
        """Fresh generators for this rank, different on every rank."""
        seed = seed + 1000 * self.world.rank
        torch.manual_seed(seed)
        self.noise_rng.bit_generator.state = np.random.default_rng(seed).bit_generator.state
        self.sample_generator.manual_seed(seed)
