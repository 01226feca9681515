"""Resuming restores everything that decides the next update: weights, optimisers, schedules, data position, RNGs."""
import torch

from tests.conftest import TINY
from unmt.checkpoint import load_weights, read_pointer
from unmt.cli import main


def final_weights(checkpoints, run):
    return load_weights(read_pointer(checkpoints / run, "latest") / "model.safetensors")


def test_interrupted_and_resumed_run_equals_uninterrupted_run(tmp_path):
    common = ["--checkpoints-dir", str(tmp_path), "--quiet", "train", "--src", "en", "--tgt", "fr", *TINY, "--set", "train.threads=1"]
    assert main([*common, "--run", "straight", "--max-steps", "20"]) == 0
    assert main([*common, "--run", "split", "--max-steps", "10"]) == 0
    assert main([*common, "--run", "split", "--max-steps", "20", "--resume"]) == 0
    straight, split = final_weights(tmp_path, "straight"), final_weights(tmp_path, "split")
    assert straight.keys() == split.keys()
    for name in straight:
        assert torch.equal(straight[name], split[name]), name
