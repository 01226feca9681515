"""Rebuilding a trained translation model from its run folder."""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import torch

from unmt.checkpoint import CheckpointError, load_json, load_weights, read_pointer
from unmt.data.vocab import Vocabulary
from unmt.models.transformer import Transformer, TransformerConfig
from unmt.translation.translator import Translator


def run_info(vocab: Vocabulary, model_config: TransformerConfig, src: str, tgt: str, data: str) -> dict:
    return {"src": src, "tgt": tgt, "languages": [src, tgt], "model": asdict(model_config), "data": data}


def load_translator(run_dir: Path, which: str = "best", device: str = "cpu") -> tuple[Translator, dict]:
    """Loads the `best` (or `latest`) checkpoint of a run as a ready Translator, plus the run's run.json."""
    info = load_json(run_dir / "run.json")
    checkpoint = read_pointer(run_dir, which) or read_pointer(run_dir, "latest")
    if checkpoint is None:
        raise CheckpointError(f"run {run_dir} has no checkpoint yet (no '{which}' or 'latest' file)")
    vocab = Vocabulary.load(run_dir / "spm.model", info["languages"])
    model = Transformer(TransformerConfig(**info["model"]))
    weights = load_weights(checkpoint / "model.safetensors")
    try:
        model.load_state_dict(weights)
    except RuntimeError:
        raise CheckpointError(f"{checkpoint / 'model.safetensors'} does not match the model described in run.json") from None
    if model.embed.num_embeddings != len(vocab):
        raise CheckpointError(f"{run_dir / 'spm.model'} has {len(vocab)} pieces but the model expects {model.embed.num_embeddings}")
    model.to(device).eval()
    return Translator(model, vocab, device), info
