import pytest
import torch

from unmt.checkpoint import (
    CheckpointError,
    find_run,
    load_trainer_state,
    load_weights,
    prune,
    read_pointer,
    save_checkpoint,
    set_pointer,
)


def test_save_point_and_prune(tmp_path):
    weights = {"model": {"w": torch.arange(6.0).view(2, 3)}}
    first = save_checkpoint(tmp_path, 10, weights, {"step": 10}, {"step": 10})
    set_pointer(tmp_path, "best", first)
    second = save_checkpoint(tmp_path, 20, weights, {"step": 20}, {"step": 20})
    set_pointer(tmp_path, "latest", second)
    third = save_checkpoint(tmp_path, 30, weights, {"step": 30}, {"step": 30})  # written, never pointed to
    (tmp_path / ".tmp-step-crashed").mkdir()
    prune(tmp_path)
    assert read_pointer(tmp_path, "latest") == second and read_pointer(tmp_path, "best") == first
    assert not third.exists() and not (tmp_path / ".tmp-step-crashed").exists()
    assert torch.equal(load_weights(second / "model.safetensors")["w"], weights["model"]["w"])
    assert load_trainer_state(second / "trainer.pt") == {"step": 20}


def test_truncated_and_pickled_files_give_a_clear_error(tmp_path):
    path = save_checkpoint(tmp_path, 1, {"model": {"w": torch.ones(100)}}, {"step": 1}, {})
    weights = path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:50])
    with pytest.raises(CheckpointError, match="model.safetensors"):
        load_weights(weights)

    class Evil:  # a pickle that would run code on load must be refused, not executed
        def __reduce__(self):
            return (print, ("pwned",))

    torch.save({"x": Evil()}, path / "trainer.pt")
    with pytest.raises(CheckpointError, match="trainer.pt"):
        load_trainer_state(path / "trainer.pt")


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
