"""The run directory every trainer writes through: checkpoints without pickle, pointers and pruning, one metrics
schema, and an exclusive lock that names its holder and is taken over from a process that died."""
import json
import subprocess
import sys
import textwrap

import pytest
import torch

from unmt.run_directory import RunDirectory, RunLockedError, load_checkpoint_weights, load_trainer_state


def test_checkpoints_round_trip_without_pickle_and_prune_keeps_what_pointers_name(tmp_path):
    run = RunDirectory(tmp_path)
    weights = {"model": {"w": torch.arange(6.0).view(2, 3)}}
    optimiser = {
        "state": {0: {"exp_avg": torch.randn(3), "step": torch.tensor(4.0)}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.98)}],
    }
    saved_rng = torch.get_rng_state()
    first = run.save_checkpoint(10, weights, {"opt": optimiser, "rng": saved_rng}, {"step": 10})
    torch.randn(5)  # the generator moves on: only the saved state can equal what comes back
    run.point("best", first)
    second = run.save_checkpoint(20, weights, {"opt": optimiser}, {"step": 20})
    assert run.pointer("latest") == second  # saving points `latest` at the new checkpoint
    third = run.save_checkpoint(30, weights, {"opt": optimiser}, {"step": 30})
    run.point("latest", second)  # third is now named by no pointer
    (tmp_path / ".tmp-step-crashed").mkdir()
    run.prune()
    assert run.pointer("latest") == second and run.pointer("best") == first
    assert not third.exists() and not (tmp_path / ".tmp-step-crashed").exists()
    assert not list(tmp_path.rglob("*.pt")) and not list(tmp_path.rglob("*.pkl"))
    assert torch.equal(load_checkpoint_weights(second, "model")["w"], weights["model"]["w"])
    trainer, state = load_trainer_state(first)
    assert state == {"step": 10}
    restored = trainer["opt"]["state"][0]  # integer keys stay integers
    assert torch.equal(restored["exp_avg"], optimiser["state"][0]["exp_avg"]) and restored["step"].item() == 4.0
    assert trainer["rng"].dtype == torch.uint8 and torch.equal(trainer["rng"], saved_rng)
    assert not torch.equal(trainer["rng"], torch.get_rng_state())


def test_every_metrics_line_names_its_kind(tmp_path):
    run = RunDirectory(tmp_path)
    run.log("train", {"step": 10, "loss": 1.5})
    run.log("eval", {"step": 10, "bleu": 3.0})
    records = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert [r["kind"] for r in records] == ["train", "eval"] and records[1]["bleu"] == 3.0


def test_a_second_opener_is_refused_with_the_holder_named_and_the_lock_goes_with_its_holder(tmp_path):
    with RunDirectory(tmp_path):
        with pytest.raises(RunLockedError, match=r"process \d+"):
            RunDirectory(tmp_path).__enter__()
        assert (tmp_path / ".lock").is_file()
    assert not (tmp_path / ".lock").exists()  # released: the folder is as it was
    with RunDirectory(tmp_path):  # and can be taken again
        pass


def test_a_lock_held_by_another_process_is_refused_and_a_dead_holders_lock_is_taken_over(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys, time
        from unmt.run_directory import RunDirectory
        with RunDirectory({str(tmp_path)!r}):
            print("locked", flush=True)
            time.sleep(60)
        """)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(RunLockedError, match=f"process {holder.pid}"):
            RunDirectory(tmp_path).__enter__()
    finally:
        holder.kill()
        holder.wait()
    assert (tmp_path / ".lock").is_file()  # SIGKILL left its lock file behind
    with RunDirectory(tmp_path):
        assert str(holder.pid) not in (tmp_path / ".lock").read_text()
