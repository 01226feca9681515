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
from unmt.run_layout import LATEST, OUTPUT_TOKENS, RUN_INFO, SUBWORD_MODEL
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


def load_translator(run_dir: Path, which: str = "best", device: str = "cpu") -> tuple[Translator, dict]:
    """Loads the `best` (or `latest`) checkpoint of a run as a ready Translator, plus the run's run.json."""
    info = load_json(run_dir / RUN_INFO)
    checkpoint = read_pointer(run_dir, which) or read_pointer(run_dir, LATEST)
    if checkpoint is None:
        raise CheckpointError(f"run {run_dir} has no checkpoint yet (no '{which}' or 'latest' file)")
    vocab = Vocabulary.load(run_dir / SUBWORD_MODEL, info["languages"])
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
        raise CheckpointError(
            f"{run_dir / SUBWORD_MODEL} has {len(vocab)} pieces but the model expects {model.embed.num_embeddings}"
        )
    model.to(device).eval()
    masks = load_output_masks(run_dir / OUTPUT_TOKENS, len(vocab))
    return Translator(model, vocab, device, output_masks=masks), info


def load_ensemble_members(
    run_dirs: list[Path], which: str = "best", device: str = "cpu"
) -> list[tuple[Translator, dict]]:
    """Each run's translator and run.json, after checking that the runs can decode together: they must share a
    subword model byte for byte and translate between the same languages, for an id to mean the same piece in all."""
    members = [load_translator(run_dir, which, device) for run_dir in run_dirs]
    first, (first_translator, first_info) = run_dirs[0], members[0]
    for run_dir, (translator, info) in zip(run_dirs[1:], members[1:]):
        if translator.vocab.model_proto != first_translator.vocab.model_proto:
            raise CheckpointError(f"runs {first} and {run_dir} have different subword models: they cannot be ensembled")
        if sorted(info["languages"]) != sorted(first_info["languages"]):
            raise CheckpointError(
                f"run {run_dir} translates {'-'.join(info['languages'])}, "
                f"run {first} {'-'.join(first_info['languages'])}"
            )
    return members


def ensemble_translator(members: list[Translator]) -> Translator:
    """One Translator decoding with the mean of the members' next-token distributions (members checked by
    load_ensemble_members)."""
    # A subword may be output only where every member that restricts its outputs allows it.
    output_masks: dict[str, torch.Tensor] = {}
    for member in members:
        for lang, mask in member.output_masks.items():
            output_masks[lang] = output_masks[lang] & mask if lang in output_masks else mask
    first = members[0]
    return Translator(
        Ensemble([member.model for member in members]), first.vocab, first.device, output_masks=output_masks
    )


def load_ensemble_translator(run_dirs: list[Path], which: str = "best", device: str = "cpu") -> tuple[Translator, dict]:
    """A translator over one run, or over an ensemble of several, plus the first run's run.json."""
    members = load_ensemble_members(run_dirs, which, device)
    if len(members) == 1:
        return members[0]
    return ensemble_translator([translator for translator, _ in members]), members[0][1]


def load_teachers(
    run_dirs: list[Path], languages: tuple[str, str], device: torch.device
) -> tuple[Transformer | Ensemble, bytes]:
    """The frozen model (one run, or the ensemble of several) that back-translates for a run being trained, and
    the subword model it reads and writes. Each run's shipped checkpoint is used, as `unmt translate` would."""
    members = load_ensemble_members(run_dirs, device=str(device))
    translator, info = members[0]
    if sorted(info["languages"]) != sorted(languages):
        raise CheckpointError(
            f"teacher {run_dirs[0]} translates {'-'.join(info['languages'])}, not {'-'.join(languages)}"
        )
    models = [member.model.requires_grad_(False).eval() for member, _ in members]
    return (Ensemble(models) if len(models) > 1 else models[0]), translator.vocab.model_proto
