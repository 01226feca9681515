"""Nested training state (optimiser moments, schedulers, random-generator states) stored without pickle.

Every tensor goes into one safetensors file under a path-like key, everything else into JSON that names those keys.
Loading therefore never runs code, unlike torch.save/torch.load of the same dicts.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from unmt.checkpoint import CheckpointError, load_json, load_weights
from unmt.run_layout import TRAINER_STATE


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


def save_state(state: dict, folder: Path, name: str = TRAINER_STATE) -> None:
    """Writes <name>.json (the structure) and <name>.safetensors (its tensors) into `folder`."""
    tensors: dict[str, torch.Tensor] = {}
    structure = _encode(state, tensors, name)
    save_file(tensors, str(folder / f"{name}.safetensors"))
    (folder / f"{name}.json").write_text(json.dumps(structure), encoding="utf-8")


def load_state(folder: Path, name: str = TRAINER_STATE, tensors_name: str | None = None) -> dict:
    """Reads what save_state wrote; `tensors_name` names a tensor file that is not called like the structure."""
    structure = load_json(folder / f"{name}.json")
    tensors = load_weights(folder / f"{tensors_name or name}.safetensors")
    try:
        return _decode(structure, tensors)
    except (KeyError, TypeError, AttributeError):  # a structure that names tensors the file lacks, or is no structure
        raise CheckpointError(f"{folder / name}.json does not match {tensors_name or name}.safetensors; the checkpoint "
                              "was altered or damaged: resume from another one") from None
