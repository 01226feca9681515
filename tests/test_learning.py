"""Learning code is tested by learning: a tiny model on the toy corpus must improve within seconds."""
import json
from pathlib import Path

import numpy as np
import pytest
import sacrebleu
import torch

from unmt.config import load_config
from unmt.data.toy import write_toy_corpus
from unmt.translation.train import TrainingRun

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

TINY = [
    "data.vocab_size=300",
    "data.max_tokens=400",
    "model.d_model=64",
    "model.n_heads=4",
    "model.encoder_layers=2",
    "model.decoder_layers=2",
    "model.ffn_dim=128",
    "model.dropout=0",
    "discriminator.hidden=64",
    "optim.lr=0.003",
    "optim.warmup_steps=30",
    "evaluation.every=1000",
    "evaluation.sentences=30",
    "noise.word_shuffle=0",
]


def tiny_run(tmp_path: Path, *overrides: str) -> TrainingRun:
    torch.manual_seed(0)
    data = write_toy_corpus(tmp_path / "data", n_train=2000, n_valid=30, n_test=30, seed=0)
    config = load_config(None, [*TINY, *overrides])
    return TrainingRun(config, "en", "fr", tmp_path / "run", data)


def reconstruction_bleu(run: TrainingRun) -> float:
    """Denoising ability: BLEU of the model's en -> en output against its (clean) input."""
    lines = run.valid["en"]
    return sacrebleu.corpus_bleu(run.translator.translate(lines, "en"), [lines]).score


def test_denoising_learns_to_reconstruct(tmp_path):
    run = tiny_run(tmp_path, "losses.bt=0", "losses.adv=0")
    before = reconstruction_bleu(run)
    run.run(max_steps=300)
    after = reconstruction_bleu(run)
    assert before < 5 and after > 50, (before, after)


def test_full_step_lowers_every_loss_and_trains_the_discriminator(tmp_path):
    run = tiny_run(tmp_path, "losses.bt=0:0,40:1")
    run.run(max_steps=120)
    records = [json.loads(line) for line in (run.run_dir / "metrics.jsonl").read_text().splitlines()]
    steps = [r for r in records if "loss" in r]  # training records (not evaluations or the setup line)
    first, last = steps[0], steps[-1]
    assert last["ae_en"] < 0.6 * first["ae_en"] and last["ae_fr"] < 0.6 * first["ae_fr"]
    bt = [r["bt_fr_en"] for r in steps if "bt_fr_en" in r]
    assert len(bt) >= 5 and bt[-1] < bt[0]  # back-translation loss falls once it starts
    assert np.mean([r["d_accuracy"] for r in steps[-3:]]) > 0.5  # the discriminator beats chance


def test_back_translating_with_the_averaged_weights_learns(tmp_path):
    run = tiny_run(tmp_path, "losses.bt=0:0,40:1", "optim.weight_average=0.9", "back_translation.from_average=true")
    run.run(max_steps=120)
    records = [json.loads(line) for line in (run.run_dir / "metrics.jsonl").read_text().splitlines()]
    bt = [r["bt_fr_en"] for r in records if "bt_fr_en" in r]
    assert len(bt) >= 5 and bt[-1] < 0.8 * bt[0], bt
