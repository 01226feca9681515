"""Reading a fairseq checkpoint without running any of its code.

fairseq pickles its whole state. Trained checkpoints carry their model arguments as an argparse.Namespace, which
torch.load(weights_only=True) refuses; a Namespace only holds attribute values, so it is the one class let
through. Anything else that would need code to rebuild is named in the refusal.
"""
from __future__ import annotations

import argparse
import pickle
from pathlib import Path

import torch

from unmt.export.output_folder import ExportError


def read_checkpoint(path: Path) -> dict:
    if not path.is_file():
        raise ExportError(f"fairseq checkpoint {path} is missing; give the path of a .pt file")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            state = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        others = [name for name in _unsafe_globals(path) if name != "argparse.Namespace"]
        if not others:  # not a pickle at all
            raise ExportError(f"{path} is not a readable fairseq checkpoint (not a torch.save file)") from None
        raise ExportError(f"{path} holds Python objects ({', '.join(others[:5])}) that only running its code could "
                          "rebuild; unmt reads fairseq checkpoints of tensors and plain values only") from None
    except Exception as error:  # torch raises many types for files that are not checkpoints at all
        raise ExportError(f"{path} is not a readable fairseq checkpoint ({type(error).__name__})") from None
    if not isinstance(state, dict) or not isinstance(state.get("model"), dict):
        raise ExportError(f"{path} is not a fairseq checkpoint (no 'model' weights in it)")
    return state


def _unsafe_globals(path: Path) -> list[str]:
    try:
        return list(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    except Exception:
        return []


def _plain(value) -> dict:
    return dict(vars(value)) if isinstance(value, argparse.Namespace) else dict(value or {})


def model_arguments(state: dict) -> dict:
    """The model's arguments: cfg.model of fairseq >= 0.10 (a dict, or a Namespace for the legacy architectures),
    or the flat `args` of older checkpoints."""
    cfg = state.get("cfg")
    if cfg and cfg.get("model") is not None:
        return _plain(cfg["model"])
    if state.get("args") is not None:
        return _plain(state["args"])
    raise ExportError("the checkpoint has neither cfg nor args: it does not say what model it holds")


def task_languages(state: dict) -> tuple[str | None, str | None]:
    cfg = state.get("cfg") or {}
    task = _plain(cfg.get("task")) if cfg.get("task") is not None else _plain(state.get("args"))
    return task.get("source_lang"), task.get("target_lang")
