"""A trained unmt run's live weights as the starting checkpoint of fairseq's `online_backtranslation` task.

Runs in unmt's environment (plain torch: it never imports fairseq) and writes WORK/warm_start.pt and
WORK/dict.txt, which benchmarks/peers/fairseq_obt.py then trains from in fairseq's own environment. Starting both
trainers from the same weights makes them back-translate into sentences of the same lengths: an untrained model
writes max-length garbage, whose cost is not what a trained step costs.

The layout follows unmt.export.fairseq_layout (parameter names, dictionary order, positions as a learned table),
with the task's differences: all embeddings shared (encoder input, decoder input and output projection), and the
rows fairseq appends to the dictionary, <mask> then __<lang>__ per language, here the blank piece's and the
language tags' rows. fairseq also prepends __<src>__ to every source sentence, which our encoder never sees: the
one structural difference between the two trainers, which adds a token per source row on fairseq's side.

    python benchmarks/peers/warm_start.py RUN_DIR WORK
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

import unmt.export.fairseq_layout as layout
from unmt.checkpoint import read_pointer
from unmt.data.vocab import Vocabulary
from unmt.models.transformer import TransformerConfig, sinusoidal_positions
from unmt.run_directory import load_checkpoint_weights


def write_warm_start(run_dir: Path, work: Path) -> tuple[Path, Path]:
    """(checkpoint, dict.txt) in `work` from the run's latest checkpoint (the weights its training continues from)."""
    info = json.loads((run_dir / "run.json").read_text())
    languages = list(info["languages"])
    config = TransformerConfig(
        **{k: v for k, v in info["model"].items() if k in TransformerConfig.__dataclass_fields__}
    )
    vocab = Vocabulary.load(run_dir / "spm.model", languages)
    checkpoint = read_pointer(run_dir, "latest")
    if checkpoint is None:
        raise SystemExit(f"{run_dir} holds no checkpoint to start fairseq from")
    weights = {name: tensor.float() for name, tensor in load_checkpoint_weights(checkpoint, "model").items()}
    embed = weights.pop("embed.weight")
    ids = layout.dictionary_pieces(vocab)
    extra = [vocab.blank, *(vocab.lang_ids[lang] for lang in languages)]
    rows = torch.cat([layout.fairseq_rows(embed, ids), embed[extra]])
    positions = layout.learned_positions(sinusoidal_positions(config.max_positions, config.d_model))
    state = {layout.fairseq_name(name): tensor for name, tensor in weights.items()}
    state.update({
        "encoder.embed_tokens.weight": rows, "decoder.embed_tokens.weight": rows.clone(),
        "decoder.output_projection.weight": rows.clone(),
        "encoder.embed_positions.weight": positions, "decoder.embed_positions.weight": positions.clone(),
        "encoder.version": torch.tensor([3.0]), "decoder.version": torch.tensor([3.0]),
    })
    shared = {"share_all_embeddings": True, "share_decoder_input_output_embed": True}
    args = {**layout.model_args(config, *languages), **shared}
    contents = {
        "args": None,
        "cfg": {
            "model": args,
            "task": {"_name": "online_backtranslation", "data": ".", "mono_langs": ",".join(languages)},
        },
        "model": {name: tensor.contiguous() for name, tensor in state.items()},
        "optimizer_history": [
            {
                "criterion_name": "LabelSmoothedCrossEntropyCriterion", "optimizer_name": "unmt",
                "lr_scheduler_state": {}, "num_updates": 0
            }
        ],
        "extra_state": {"train_iterator": {"epoch": 1, "iterations_in_epoch": 0}},
        "last_optimizer_state": None,
    }
    work.mkdir(parents=True, exist_ok=True)
    layout.write_dictionary(work / "dict.txt", vocab, ids)
    torch.save(contents, work / "warm_start.pt")
    return work / "warm_start.pt", work / "dict.txt"


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("work", type=Path)
    a = parser.parse_args()
    print(*write_warm_start(a.run, a.work))
