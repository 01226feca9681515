"""Resuming restores everything that decides the next update: weights, optimisers, schedules, data position, RNGs."""
import logging

import pytest
import torch

from tests.conftest import TINY
from unmt.checkpoint import load_weights, read_pointer
from unmt.cli import main
from unmt.tensor_state import load_state, save_state

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


def final_weights(checkpoints, run):
    return load_weights(read_pointer(checkpoints / run, "latest") / "model.safetensors")


def test_interrupted_and_resumed_run_equals_uninterrupted_run(tmp_path):
    common = [
        "--checkpoints-dir", str(tmp_path), "--quiet", "train", "--src", "en", "--tgt", "fr", *TINY, "--set",
        "runtime.threads=1"
    ]
    assert main([*common, "--run", "straight", "--max-steps", "20"]) == 0
    assert main([*common, "--run", "split", "--max-steps", "10"]) == 0
    assert main([*common, "--run", "split", "--max-steps", "20", "--resume"]) == 0
    straight, split = final_weights(tmp_path, "straight"), final_weights(tmp_path, "split")
    assert straight.keys() == split.keys()
    for name in straight:
        assert torch.equal(straight[name], split[name]), name


def test_a_learning_rate_given_on_resume_takes_effect(tmp_path, caplog):
    """The checkpoint's optimiser state used to carry the old rate silently; the configuration now wins."""
    common = [
        "--checkpoints-dir", str(tmp_path), "train", "--src", "en", "--tgt", "fr", *TINY, "--set", "runtime.threads=1",
        "--run", "r", "--set", "optim.warmup_steps=1"
    ]
    assert main([*common, "--max-steps", "10", "--set", "optim.lr=0.001"]) == 0
    same = final_weights(tmp_path, "r")
    with caplog.at_level(logging.WARNING, logger="unmt"):
        assert main([*common, "--max-steps", "20", "--resume", "--set", "optim.lr=0"]) == 0
    assert caplog.text.count("optim.lr: 0.001 -> 0.0") == 1  # said once, with the other changed settings
    frozen = final_weights(tmp_path, "r")  # a rate of 0 must leave every weight where step 10 left it
    for name in same:
        assert torch.equal(same[name], frozen[name]), name


def test_a_run_moved_between_cpu_and_gpu_resumes_with_a_warning(tmp_path, caplog):
    """A generator's state from the other device type (CUDA: 16 bytes, CPU: 5,056) does not fit this one; resuming
    reseeds sampling instead of failing."""
    common = [
        "--checkpoints-dir", str(tmp_path), "train", "--src", "en", "--tgt", "fr", *TINY, "--set", "runtime.threads=1",
        "--run", "r", "--set", "back_translation.temperature=1.0"
    ]
    assert main([*common, "--max-steps", "10"]) == 0
    checkpoint = read_pointer(tmp_path / "r", "latest")
    state = load_state(checkpoint)
    saved_on_gpu = state["ranks"][0]["sample_rng"].numel() == 16
    other = torch.Generator().get_state() if saved_on_gpu else torch.zeros(16, dtype=torch.uint8)
    state["ranks"][0]["sample_rng"] = other  # as if the run had been written on the other device type
    save_state(state, checkpoint)
    with caplog.at_level(logging.WARNING, logger="unmt"):
        assert main([*common, "--max-steps", "20", "--resume"]) == 0
    assert "written on another device type" in caplog.text
    assert read_pointer(tmp_path / "r", "latest").name == "step-0000020"
