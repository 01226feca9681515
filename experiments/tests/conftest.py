"""Fixtures for the experiments' tests: the main suite's tiny trained run (one definition, in tests/conftest.py),
and a runner for the scoring scripts."""
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import tiny_run  # noqa: F401  (the session fixture, shared with the main suite)

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = ROOT / "experiments"


@pytest.fixture
def score_with_script(tmp_path):
    """Runs a checkpoint-scoring script of experiments/ (the arguments of benchmarks/scored_run.py) on a run folder
    and a data folder: returns the finished process (text output) and the path of the JSON it was told to write."""
    def score(script: str, run_dir, data_dir):
        out = tmp_path / "scores.json"
        command = [
            sys.executable, str(EXPERIMENTS / script), "--run", str(run_dir), "--data", str(data_dir), "--out",
            str(out)
        ]
        return subprocess.run(command, capture_output=True, text=True, timeout=600), out
    return score
