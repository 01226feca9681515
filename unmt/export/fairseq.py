"""A run as fairseq `transformer` checkpoints that stock fairseq-interactive and fairseq-generate load.

fairseq starts every decoding from </s>, where our decoder starts from the target language's tag. So each
direction gets its own model, OUT/<src>-<tgt>/, whose decoder input row for </s> is the tag's embedding (the
decoder never reads </s> anywhere else: an output </s> ends the sentence). Its target dictionary holds only the
pieces the run lets that language output (output_tokens.json), which is how fairseq's search, with no token
suppression on its command line, keeps the same restriction.

OUT/<src>-<tgt>/ holds checkpoint.pt, dict.<src>.txt (every piece), dict.<tgt>.txt (the target's pieces) and
spm.model: a data folder for `fairseq-interactive OUT/en-fr --path OUT/en-fr/checkpoint.pt -s en -t fr ...`.
The checkpoint holds tensors and plain Python values only, so torch.load(weights_only=True) reads it.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch

from unmt.data.vocab import UNK
from unmt.export.fairseq_layout import (
    FAIRSEQ_SPECIALS,
    FS_EOS,
    dictionary_pieces,
    fairseq_name,
    fairseq_rows,
    learned_positions,
    model_args,
    write_dictionary,
)
from unmt.export.model_card import run_facts, write_card
from unmt.export.output_folder import ExportError, atomic_folder
from unmt.export.run_model import RunModel, load_run_model
from unmt.run_layout import SUBWORD_MODEL

CHECKPOINT = "checkpoint.pt"


def direction_state(run: RunModel, src: str, tgt: str) -> tuple[dict[str, torch.Tensor], list[int], list[int]]:
    """The fairseq state dict of the src->tgt model, with the our-id lists of its source and target dictionaries."""
    weights = run.weights()
    embed = weights.pop("embed.weight")
    allowed = run.output_masks.get(tgt)
    source_ids, target_ids = dictionary_pieces(run.vocab), dictionary_pieces(run.vocab, allowed)
    unk_allowed = allowed is None or bool(allowed[UNK])
    decoder_input = fairseq_rows(embed, target_ids, unk=unk_allowed)
    decoder_input[FS_EOS] = embed[run.vocab.lang_ids[tgt]]
    positions = learned_positions(run.model.positions[: run.model.config.max_positions].float().cpu())
    state = {fairseq_name(name): tensor for name, tensor in weights.items()}
    state.update({
        "encoder.embed_tokens.weight": fairseq_rows(embed, source_ids),
        "encoder.embed_positions.weight": positions,
        "decoder.embed_tokens.weight": decoder_input,
        "decoder.embed_positions.weight": positions.clone(),
        "decoder.output_projection.weight": fairseq_rows(embed, target_ids, unk=unk_allowed),
        # fairseq reads a missing version as a checkpoint from before the final layer norms, and drops them.
        "encoder.version": torch.tensor([3.0]),
        "decoder.version": torch.tensor([3.0]),
    })
    return {name: tensor.contiguous() for name, tensor in state.items()}, source_ids, target_ids


def checkpoint_contents(run: RunModel, state: dict[str, torch.Tensor], src: str, tgt: str) -> dict:
    """What fairseq's checkpoint loader expects around the weights, as plain values (no pickled classes)."""
    return {
        "args": None,
        "cfg": {
            "model": model_args(run.model.config, src, tgt),
            "task": {"_name": "translation", "data": ".", "source_lang": src, "target_lang": tgt},
        },
        "model": state,
        "optimizer_history": [
            {
                "criterion_name": "CrossEntropyCriterion", "optimizer_name": "unmt", "lr_scheduler_state": {},
                "num_updates": 0
            }
        ],
        "extra_state": {"train_iterator": {"epoch": 1, "iterations_in_epoch": 0}, "exported_from": str(run.run_dir)},
        "last_optimizer_state": None,
    }


def _check_pieces(run: RunModel) -> None:
    pieces = {run.vocab.sp.id_to_piece(i) for i in dictionary_pieces(run.vocab)}
    clashes = sorted(pieces & set(FAIRSEQ_SPECIALS))
    if clashes:
        raise ExportError(f"the run's subword model has pieces {clashes} that fairseq reserves: it cannot be exported")


def export_fairseq(run_dir: Path, out: Path, which: str = "best") -> Path:
    run = load_run_model(run_dir, which)
    _check_pieces(run)
    facts = run_facts(run_dir, which)
    with atomic_folder(out) as tmp:
        directions = []
        for src in run.languages:
            for tgt in run.languages:
                if src == tgt:
                    continue
                folder = tmp / f"{src}-{tgt}"
                folder.mkdir()
                state, source_ids, target_ids = direction_state(run, src, tgt)
                torch.save(checkpoint_contents(run, state, src, tgt), folder / CHECKPOINT)
                write_dictionary(folder / f"dict.{src}.txt", run.vocab, source_ids)
                write_dictionary(folder / f"dict.{tgt}.txt", run.vocab, target_ids)
                run.vocab.save(folder / SUBWORD_MODEL)
                write_card(folder, facts, "fairseq", [(src, tgt)], str(out / f"{src}-{tgt}"))
                directions.append(f"{src}-{tgt}")
        metadata = {"format": "fairseq", "directions": directions, "languages": run.languages,
                    "exported_from": str(run_dir), "max_positions": run.model.config.max_positions}
        (tmp / "unmt.json").write_text(json.dumps(metadata, indent=1), encoding="utf-8")
    return out
