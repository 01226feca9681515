"""The GAN training loop around AlternatingTrainer: logging, periodic evaluation and pictures, checkpoints.

<out>/                 a run directory (unmt.run_directory: lock, checkpoints, `latest`, metrics.jsonl), plus
    config.json        the full resolved configuration (what `gan sample` / `gan evaluate` rebuild from)
    pictures/          samples at every evaluation, then interpolation, nearest neighbours, curves at the end
    classifiers/       the metric classifiers of digit runs, trained once per run
"""
from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import torch

from unmt.distributed import World
from unmt.gan import pictures
from unmt.gan.build import build_nets, build_task, build_trainer
from unmt.gan.config import GanConfig
from unmt.gan.datasets import ImageData, MixtureData, load_gan_data
from unmt.gan.evaluate import evaluate_run, evaluating, generate
from unmt.run_directory import RunDirectory, latest_checkpoint, load_nets, load_trainer_state
from unmt.run_layout import CLASSIFIERS, GAN_CONFIG, METRICS, PICTURES
from unmt.tensorboard import EventLog
from unmt.training_loop import Budget, Cadence, run_loop

log = logging.getLogger("unmt.gan")


class GanRun:
    def __init__(
        self, config: GanConfig, directory: RunDirectory | Path, resume: bool = False, world: World | None = None
    ):
        """On several processes (torchrun) every rank draws its own batches and latents, the gradients are
        averaged, and rank 0 alone evaluates, draws and writes (batch norm keeps per-rank statistics)."""
        if not isinstance(directory, RunDirectory):  # a bare folder (library use, benchmarks): no lock is taken
            Path(directory).mkdir(parents=True, exist_ok=True)
            directory = RunDirectory(Path(directory))
        self.config, self.directory, self.out = config, directory, directory.path
        self.world = world = world or World()
        if config.train.threads:
            torch.set_num_threads(config.train.threads)
        torch.manual_seed(config.train.seed)
        self.rng = torch.Generator().manual_seed(config.train.seed)
        self.data = load_gan_data(config, self.rng)
        self.nets = build_nets(config)
        if world.distributed:  # the same networks everywhere; then each rank its own batches and latents
            for net in self.nets.values():
                world.broadcast_(net)
            self.rng.manual_seed(config.train.seed + 1000 * world.rank)
        self.task = build_task(config, self.nets, self.rng)
        self.trainer = build_trainer(
            config, self.nets, self.task, world.average_gradients_ if world.distributed else None
        )
        self.seconds_before = 0.0
        self.result: dict = {}  # the latest evaluation, kept in each checkpoint
        if resume:
            checkpoint = latest_checkpoint(self.out, GAN_CONFIG)
            load_nets(checkpoint, self.nets)
            trainer_state, state = load_trainer_state(checkpoint)
            self.trainer.load_state_dict(trainer_state)
            self.seconds_before, self.result = state["seconds"], state.get("eval", {})
        if world.is_main:
            directory.write_json(GAN_CONFIG, dataclasses.asdict(config))
            if config.train.tensorboard:
                directory.mirror_to(EventLog.open(self.out, dataclasses.asdict(config)))

    def evaluate(self, step: int, seconds: float) -> dict:
        if not self.world.is_main:
            return {}
        t = self.config.train
        result = evaluate_run(self.nets, self.data, t.eval_samples, self.out / CLASSIFIERS, t.seed)
        self.directory.log("eval", {"step": step, "seconds": round(seconds, 2), **result})
        self.draw_samples(self.out / PICTURES / f"samples-{step:07d}.png", f"step {step}")
        log.info("step %d eval %s", step, {k: v for k, v in result.items() if not isinstance(v, list)})
        return result

    def draw_samples(self, path: Path, title: str) -> None:
        rng = torch.Generator().manual_seed(0)  # the same latents at every step, so the pictures are comparable
        with evaluating(self.nets):
            if isinstance(self.data, MixtureData):
                pictures.scatter_samples(generate(self.nets["generator"], 2500, rng), self.data.modes, path, title)
            elif isinstance(self.data, ImageData):
                pictures.image_grid(generate(self.nets["generator"], 64, rng), path, title)
            else:
                x, y = self.data.x_eval[0][:10], self.data.y_eval[0][:10]
                g, f = self.nets["g"], self.nets["f"]
                pictures.translation_rows(x, g(x), f(g(x)), path, f"{title} X->Y")
                pictures.translation_rows(y, f(y), g(f(y)), path.with_name(path.stem + "-y2x.png"), f"{title} Y->X")

    def final_pictures(self) -> None:
        pictures.curves(self.out / METRICS, self.out / PICTURES / "curves.png")
        if "generator" not in self.nets:
            return
        rng = torch.Generator().manual_seed(1)
        with evaluating(self.nets):
            pictures.interpolation_strip(self.nets["generator"], self.out / PICTURES / "interpolation.png", rng)
            if isinstance(self.data, ImageData):
                samples = generate(self.nets["generator"], 32, rng)
                pictures.nearest_neighbours(samples, self.data.images, self.out / PICTURES / "nearest.png")

    # --- what the shared loop (unmt.training_loop) asks of a trainer ------------------------------------
    @property
    def step_count(self) -> int:
        return self.trainer.step_count

    def train_step(self) -> dict[str, float]:
        return self.trainer.step(self.data.next_batch)

    def train_record(self, means: dict[str, float]) -> dict:
        return means

    def checkpoint(self, step: int, seconds: float) -> float:
        self.result = self.evaluate(step, seconds)
        self.save(step, seconds)
        return 0.0

    def save(self, step: int, seconds: float) -> None:
        if self.world.is_main:
            state = {"step": step, "seconds": seconds, "eval": self.result}
            weights = {name: net.state_dict() for name, net in self.nets.items()}
            self.directory.save_checkpoint(step, weights, self.trainer.state_dict(), state)
            self.directory.prune()  # a GAN keeps only its latest checkpoint
        self.world.barrier()

    def run(self, max_steps: int | None = None) -> dict:
        t = self.config.train
        last = min(t.steps, max_steps) if max_steps else t.steps
        if self.step_count == 0:
            self.result = self.evaluate(0, 0.0)
        end = run_loop(self, self.directory, self.world, Budget(last, 60 * t.max_minutes),
                       Cadence(t.log_every, t.eval_every), self.seconds_before, resumed=self.step_count > 0)
        if self.world.is_main:
            self.final_pictures()
        return {"steps": end.step, "seconds": round(end.seconds, 1), "final": self.result}
