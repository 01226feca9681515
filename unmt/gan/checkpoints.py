"""GAN checkpoints in the shared run-directory format (unmt.run_directory): one safetensors file per network
(generator, discriminator, or g, f, d_x, d_y), the trainer state without pickle, state.json."""
from __future__ import annotations

from pathlib import Path

from torch import nn

from unmt.checkpoint import CheckpointError, read_pointer
from unmt.run_directory import RunDirectory, load_checkpoint_state, load_checkpoint_weights


def save_gan_checkpoint(directory: RunDirectory, step: int, nets: dict[str, nn.Module], trainer_state: dict, state: dict) -> Path:
    """Writes the checkpoint, points `latest` at it and deletes the one before (a GAN keeps only its latest)."""
    weights = {name: net.state_dict() for name, net in nets.items()}
    checkpoint = directory.save_checkpoint(step, weights, trainer_state, state)
    directory.prune()
    return checkpoint


def latest_checkpoint(run_dir: Path) -> Path:
    if not (run_dir / "config.json").is_file():
        raise CheckpointError(f"{run_dir} is not a GAN run folder (no config.json); pass the --out folder of `gan train`")
    checkpoint = read_pointer(run_dir, "latest")
    if checkpoint is None:
        raise CheckpointError(f"run {run_dir} has no checkpoint yet (no 'latest' file)")
    return checkpoint


def load_nets(checkpoint: Path, nets: dict[str, nn.Module]) -> None:
    for name, net in nets.items():
        try:
            net.load_state_dict(load_checkpoint_weights(checkpoint, name))
        except RuntimeError as error:
            raise CheckpointError(f"{checkpoint / name}.safetensors does not fit the configured network: {str(error).splitlines()[0]}") from None


def load_trainer_state(checkpoint: Path) -> tuple[dict, dict]:
    """(AlternatingTrainer state, state.json)."""
    return load_checkpoint_state(checkpoint)
