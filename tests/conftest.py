"""Shared fixtures: one tiny trained run, reused by the CLI tests so the suite stays fast."""
import subprocess
import sys

import pytest

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
    "--set", "train.eval_every=10",
    "--set", "train.eval_sentences=20",
    "--set", "train.lambda_bt=0:0,5:1",
]


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run trained for 20 steps on the toy corpus: (checkpoints_dir, run name)."""
    checkpoints = tmp_path_factory.mktemp("checkpoints")
    code = main(["--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", "tiny", "--max-steps", "20", *TINY])
    assert code == 0
    return checkpoints, "tiny"


@pytest.fixture
def score_with_benchmark(tmp_path):
    """Runs a checkpoint-scoring benchmark (the arguments of benchmarks/scored_run.py) on a run folder and a data
    folder: returns the finished process (text output) and the path of the JSON it was told to write."""
    def score(script: str, run_dir, data_dir):
        out = tmp_path / "scores.json"
        command = [sys.executable, f"benchmarks/{script}", "--run", str(run_dir), "--data", str(data_dir), "--out", str(out)]
        return subprocess.run(command, capture_output=True, text=True, timeout=600), out
    return score
