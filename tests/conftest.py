"""Shared fixtures: one tiny trained run, reused by the CLI tests so the suite stays fast."""
import os

import pytest
import torch

from unmt.cli import main

TINY = [
    "--set", "data.toy_sentences=800",
    "--set", "data.vocab_size=300",
    "--set", "data.max_tokens=300",
    "--set", "model.d_model=32",
    "--set", "model.n_heads=2",
    "--set", "model.encoder_layers=1",
    "--set", "model.decoder_layers=1",
    "--set", "model.ffn_dim=64",
    "--set", "model.dropout=0",
    "--set", "discriminator.hidden=32",
    "--set", "evaluation.every=10",
    "--set", "evaluation.sentences=20",
    "--set", "losses.bt=0:0,5:1",
]


if os.environ.get("PYTEST_XDIST_WORKER"):
    # Under `pytest -n N` each worker is one of N processes sharing the cores: one thread each (and in the
    # commands a test starts) keeps N workers from oversubscribing them. The tiny shapes gain nothing from more.
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run trained for 20 steps on the toy corpus: (checkpoints_dir, run name)."""
    checkpoints = tmp_path_factory.mktemp("checkpoints")
    code = main([
        "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", "tiny",
        "--max-steps", "20", *TINY
    ])
    assert code == 0
    return checkpoints, "tiny"
