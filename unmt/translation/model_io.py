"""Rebuilding a trained translation model from its run folder."""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import torch

from unmt.checkpoint import CheckpointError, load_json, load_weights, read_pointer
from unmt.data.vocab import Vocabulary
from unmt.models.ensemble import Ensemble
from unmt.models.transformer import Transformer, TransformerConfig
from unmt.translation.averaging import AVERAGE_WEIGHTS
from unmt.translation.translator import Translator


def run_info(model_config: TransformerConfig, src: str, tgt: str, data: str) -> dict:
    return {"src": src, "tgt": tgt, "languages": [src, tgt], "model": asdict(model_config), "data": data}


def save_output_masks(path: Path, masks: dict[str, torch.Tensor]) -> None:
    path.write_text(json.dumps({lang: m.nonzero().squeeze(1).tolist() for lang, m in masks.items()}), encoding="utf-8")


def load_output_masks(path: Path, vocab_size: int) -> dict[str, torch.Tensor]:
    """The per-language output restriction of a run, or none if the run was trained without it."""
    if not path.is_file():
        return {}
    masks = {}
    for lang, ids in load_json(path).items():
        mask = torch.zeros(vocab_size, dtype=torch.bool)
        mask[ids] = True
        masks[lang] = mask
    return masks


def load_model(run_dir: Path, which: str = "best") -> tuple[Transformer, Vocabulary, dict[str, torch.Tensor], dict]:
    """The `best` (or `latest`) checkpoint of a run: (model in eval mode, on the CPU; vocabulary; output masks; run.json)."""
    info = load_json(run_dir / "run.json")
    checkpoint = read_pointer(run_dir, which) or read_pointer(run_dir, "latest")
    if checkpoint is None:
        raise CheckpointError(f"run {run_dir} has no checkpoint yet (no '{which}' or 'latest' file)")
    vocab = Vocabulary.load(run_dir / "spm.model", info["languages"])
    model = Transformer(TransformerConfig(**info["model"]))
    # A run trained with train.weight_average ships the averaged weights; its model.safetensors are the live ones.
    path = checkpoint / f"{AVERAGE_WEIGHTS}.safetensors"
    if not path.is_file():
        path = checkpoint / "model.safetensors"
    try:
        model.load_state_dict(load_weights(path))
    except RuntimeError:
        raise CheckpointError(f"{path} does not match the model described in run.json") from None
    if model.embed.num_embeddings != len(vocab):
        raise CheckpointError(f"{run_dir / 'spm.model'} has {len(vocab)} pieces but the model expects {model.embed.num_embeddings}")
    masks = load_output_masks(run_dir / "output_tokens.json", len(vocab))
    return model.eval(), vocab, masks, info


def load_translator(run_dir: Path, which: str = "best", device: str = "cpu") -> tuple[Translator, dict]:
    """Loads the `best` (or `latest`) checkpoint of a run as a ready Translator, plus the run's run.json."""
    model, vocab, masks, info = load_model(run_dir, which)
    return Translator(model.to(device), vocab, device, output_masks=masks), info


def load_ensemble_translator(run_dirs: list[Path], which: str = "best", device: str = "cpu") -> tuple[Translator, dict]:
    """One Translator decoding with the mean of several runs' next-token distributions, plus the first run's
    run.json. The runs must share a subword model byte for byte and translate between the same languages: an id
    means the same piece in every member only then."""
    if len(run_dirs) == 1:
        return load_translator(run_dirs[0], which, device)
    first = run_dirs[0]
    models, all_masks = [], []
    for run_dir in run_dirs:
        model, vocab, masks, info = load_model(run_dir, which)
        if run_dir == first:
            first_vocab, first_info = vocab, info
        elif (run_dir / "spm.model").read_bytes() != (first / "spm.model").read_bytes():
            raise CheckpointError(f"runs {first} and {run_dir} have different subword models: they cannot be ensembled")
        elif sorted(info["languages"]) != sorted(first_info["languages"]):
            raise CheckpointError(f"run {run_dir} translates {'-'.join(info['languages'])}, run {first} {'-'.join(first_info['languages'])}")
        models.append(model)
        all_masks.append(masks)
    # A subword may be output only where every member that restricts its outputs allows it.
    output_masks: dict[str, torch.Tensor] = {}
    for masks in all_masks:
        for lang, mask in masks.items():
            output_masks[lang] = output_masks[lang] & mask if lang in output_masks else mask
    ensemble = Ensemble(models).to(device).eval()
    return Translator(ensemble, first_vocab, device, output_masks=output_masks), first_info
