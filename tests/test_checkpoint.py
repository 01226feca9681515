import pytest
import torch

from unmt.checkpoint import CheckpointError, find_run, load_pickled_trainer_state, load_weights
from unmt.run_directory import RunDirectory


def test_truncated_and_pickled_files_give_a_clear_error(tmp_path):
    path = RunDirectory(tmp_path).save_checkpoint(1, {"model": {"w": torch.ones(100)}}, {"step": 1}, {})
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_weights(weights)

    class Evil:  # a pickle that would run code on load (an old run's trainer.pt) must be refused, not executed
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"x": Evil()}, path / "trainer.pt")
    with pytest.raises(CheckpointError, match="trainer.pt"):
        load_pickled_trainer_state(path / "trainer.pt")


def test_find_run_picks_the_most_recent(tmp_path):
    import os
    import time

    with pytest.raises(CheckpointError, match="no trained run"):
        find_run(tmp_path, None)
    for i, name in enumerate(["old", "new"]):
        run = tmp_path / name
        run.mkdir()
        (run / "run.json").write_text("{}")
        (run / "latest").write_text("x\n")
        os.utime(run / "latest", (time.time() - 100 + i * 50,) * 2)
    assert find_run(tmp_path, None).name == "new"
    assert find_run(tmp_path, "old").name == "old"
    with pytest.raises(CheckpointError, match="no unmt run"):
        find_run(tmp_path, "missing")
