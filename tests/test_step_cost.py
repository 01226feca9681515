"""benchmarks/step_cost.py times variants side by side, from scratch or from a trained run's checkpoint."""
import json
import subprocess
import sys

import pytest

from tests.conftest import TINY

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

TINY_SETTINGS = [TINY[i + 1] for i in range(0, len(TINY), 2)]  # the values of the --set pairs


def step_cost(tmp_path, data, *extra):
    out = tmp_path / "cost.json"
    command = [sys.executable, "benchmarks/step_cost.py", "--data", str(data), "--config", "configs/toy.yaml",
               "--steps", "2", "--turns", "2", "--out", str(out), "--set", "runtime.threads=1",
               *[arg for item in TINY_SETTINGS for arg in ("--set", item)],
               "--variant", "plain=", "--variant", "dropout=model.dropout=0.3;losses.adv=0", *extra]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    return json.loads(out.read_text())


def test_variants_are_timed_in_turns_against_the_first(tmp_path, tiny_run):
    checkpoints, run = tiny_run
    report = step_cost(tmp_path, checkpoints / run / "data", "--from-run", str(checkpoints / run))
    plain, dropout = report["variants"]["plain"], report["variants"]["dropout"]
    assert plain["ratio_to_first"] == 1.0
    assert len(plain["seconds_per_step_per_turn"]) == len(dropout["seconds_per_step_per_turn"]) == 2
    assert all(s > 0 for s in dropout["seconds_per_step_per_turn"])
    assert dropout["overrides"] == ["model.dropout=0.3", "losses.adv=0"]
    assert report["from_run"] and report["machine"]["cores"] >= 1


def test_a_run_without_checkpoints_is_one_clear_error(tmp_path, tiny_run):
    checkpoints, run = tiny_run
    empty = tmp_path / "empty-run"
    empty.mkdir()
    command = [sys.executable, "benchmarks/step_cost.py", "--data", str(checkpoints / run / "data"),
               "--variant", "plain=", "--from-run", str(empty), "--out", str(tmp_path / "x.json")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode != 0 and "holds no checkpoint" in result.stderr
