"""The training clock (what --max-minutes and the curves measure) leaves out the time spent scoring the test set:
a user training without test files never pays it, so a benchmark curve must not either."""
import json
from types import SimpleNamespace

import pytest

import unmt.training_loop as loop_module
import unmt.translation.run_scores as scores_module
from tests.conftest import TINY
from unmt.cli import main

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

SCORING_SECONDS = 100.0  # what each test-set scoring pretends to take, far above a tiny run's real time


def test_test_set_scoring_stays_off_the_training_clock(tmp_path, monkeypatch):
    real_monotonic, offset = loop_module.time.monotonic, [0.0]
    real_evaluate_pair = scores_module.evaluate_pair

    def slow_evaluate_pair(*args, **kwargs):
        offset[0] += SCORING_SECONDS  # the clock jumps while the test set is scored
        return real_evaluate_pair(*args, **kwargs)

    clock = SimpleNamespace(monotonic=lambda: real_monotonic() + offset[0])
    for module in (loop_module, scores_module):  # the training clock, and the timing of the test set's scoring
        monkeypatch.setattr(module, "time", clock)
    monkeypatch.setattr(scores_module, "evaluate_pair", slow_evaluate_pair)
    args = ["--quiet", "--checkpoints-dir", str(tmp_path), "train", "--src", "en", "--tgt", "fr", "--run", "clock"]
    assert main([*args, "--max-steps", "20", *TINY, "--set", "runtime.threads=1"]) == 0

    records = [json.loads(line) for line in (tmp_path / "clock" / "metrics.jsonl").read_text().splitlines()]
    evaluations = [r for r in records if r["kind"] == "eval"]
    assert len(evaluations) == 2 and offset[0] == 2 * SCORING_SECONDS  # the test set was scored at steps 10 and 20
    assert all(r["test_scoring_seconds"] >= SCORING_SECONDS for r in evaluations)
    # Both scorings together took 200 fake seconds; none of them may show up on the clock of steps 11-20.
    assert max(r["seconds"] for r in records if "seconds" in r) < SCORING_SECONDS
