"""benchmarks/toy_demo_seeds.py: the README's toy row is the median over seeds of what each run keeps as `best`."""
import importlib.util
import json
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "toy_demo_seeds.py"
TINY = ["data.toy_sentences=1000", "data.vocab_size=200", "model.d_model=32", "model.n_heads=2",
        "model.encoder_layers=1", "model.decoder_layers=1", "model.ffn_dim=64", "runtime.max_steps=6",
        "runtime.threads=1", "evaluation.every=3", "evaluation.sentences=20", "back_translation.word_by_word_steps=2",
        "pretraining.init_embeddings=random"]


def load_script():
    spec = importlib.util.spec_from_file_location("toy_demo_seeds", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_tie_in_round_trip_keeps_the_earlier_evaluation_as_the_trainer_does():
    evals = [{"step": 2, "round_trip": 5.0}, {"step": 4, "round_trip": 7.0}, {"step": 6, "round_trip": 7.0}]
    assert load_script().chosen(evals)["step"] == 4


@pytest.mark.slow
def test_the_median_is_over_the_checkpoints_the_runs_keep_as_best(tmp_path):
    command = [sys.executable, str(SCRIPT), "--checkpoints", str(tmp_path / "ck"), "--seeds", "1", "2",
               "--name", "tiny", "--out", str(tmp_path)]
    for override in TINY:
        command += ["--set", override]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    result = json.loads(next(tmp_path.glob("toy_demo-tiny-*.json")).read_text())
    for seed, chosen in result["seeds"].items():
        run = tmp_path / "ck" / f"tiny-s{seed}"
        assert (run / "best").read_text().strip() == f"step-{chosen['step']:07d}"  # what `unmt translate` loads
    for direction in ("en-fr", "fr-en"):
        scores = [s[f"test_bleu_{direction}"] for s in result["seeds"].values()]
        assert result["median_test_bleu"][direction] == statistics.median(scores)
