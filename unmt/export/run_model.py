"""What every export reads from a trained run: its model, subword vocabulary, output restriction and languages."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

from unmt.data.vocab import Vocabulary
from unmt.models.transformer import Transformer
from unmt.translation.model_io import load_translator


@dataclass
class RunModel:
    model: Transformer
    vocab: Vocabulary
    output_masks: dict[str, torch.Tensor]  # language -> (V,) bool; empty when the run does not restrict outputs
    info: dict  # the run's run.json
    run_dir: Path

    @property
    def languages(self) -> list[str]:
        return list(self.info["languages"])

    def weights(self) -> dict[str, torch.Tensor]:
        return {name: tensor.detach().float().cpu() for name, tensor in self.model.state_dict().items()}


def load_run_model(run_dir: Path, which: str = "best") -> RunModel:
    """The run's shipped checkpoint (`best`, or `latest` where there is none), as `unmt translate` would use it."""
    translator, info = load_translator(run_dir, which)
    masks = {lang: mask.cpu() for lang, mask in translator.output_masks.items()}
    return RunModel(translator.model, translator.vocab, masks, info, run_dir)
