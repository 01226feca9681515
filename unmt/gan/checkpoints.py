"""GAN checkpoints without pickle: every tensor in safetensors, everything else in JSON.

step-0001000/
    <net>.safetensors      one file per network (generator, discriminator, or g, f, d_x, d_y)
    optimizers.safetensors the optimiser state tensors (Adam moments, RMSprop square averages, step counts)
    trainer.json           the rest of AlternatingTrainer.state_dict(), tensors replaced by their keys
    state.json             step, wall time, last evaluation
The folder is written under a temporary name and renamed, and `latest` is replaced atomically (unmt.checkpoint).
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import torch
from safetensors.torch import save_file
from torch import nn

from unmt.checkpoint import CheckpointError, load_json, load_weights, read_pointer, set_pointer


def _encode(value, tensors: dict[str, torch.Tensor], path: str):
    """JSON-able form of a nested state: tensors are moved into `tensors`; dicts keep int keys as int."""
    if isinstance(value, torch.Tensor):
        tensors[path] = value.detach().cpu().contiguous()
        return {"tensor": path}
    if isinstance(value, dict):
        return {"dict": [[key, _encode(item, tensors, f"{path}.{key}")] for key, item in value.items()]}
    if isinstance(value, (list, tuple)):
        return {"list": [_encode(item, tensors, f"{path}.{i}") for i, item in enumerate(value)]}
    return {"value": value}


def _decode(node, tensors: dict[str, torch.Tensor]):
    if "tensor" in node:
        return tensors[node["tensor"]]
    if "dict" in node:
        return {key: _decode(item, tensors) for key, item in node["dict"]}
    if "list" in node:
        return [_decode(item, tensors) for item in node["list"]]
    return node["value"]


def save_gan_checkpoint(run_dir: Path, step: int, nets: dict[str, nn.Module], trainer_state: dict, state: dict) -> Path:
    final = run_dir / f"step-{step:07d}"
    tmp = Path(tempfile.mkdtemp(dir=run_dir, prefix=".tmp-step-"))
    for name, net in nets.items():
        save_file({k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}, str(tmp / f"{name}.safetensors"))
    tensors: dict[str, torch.Tensor] = {}
    structure = _encode(trainer_state, tensors, "trainer")
    save_file(tensors, str(tmp / "optimizers.safetensors"))
    (tmp / "trainer.json").write_text(json.dumps(structure), encoding="utf-8")
    (tmp / "state.json").write_text(json.dumps(state, indent=1), encoding="utf-8")
    if final.exists():
        shutil.rmtree(final)
    os.replace(tmp, final)
    previous = read_pointer(run_dir, "latest")
    set_pointer(run_dir, "latest", final)
    if previous is not None and previous != final:
        shutil.rmtree(previous, ignore_errors=True)
    return final


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
            net.load_state_dict(load_weights(checkpoint / f"{name}.safetensors"))
        except RuntimeError as error:
            raise CheckpointError(f"{checkpoint / name}.safetensors does not fit the configured network: {str(error).splitlines()[0]}") from None


def load_trainer_state(checkpoint: Path) -> tuple[dict, dict]:
    """(AlternatingTrainer state, state.json)."""
    tensors = load_weights(checkpoint / "optimizers.safetensors")
    structure = load_json(checkpoint / "trainer.json")
    return _decode(structure, tensors), load_json(checkpoint / "state.json")
