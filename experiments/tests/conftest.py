"""Fixtures for the experiments' tests: the main suite's tiny trained run, and a runner for the scoring scripts.

The tiny run's settings are read from tests/conftest.py, so the two suites train the same model from one definition.
"""
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from unmt.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXPERIMENTS = ROOT / "experiments"


def _main_suite_settings() -> list[str]:
    spec = importlib.util.spec_from_file_location("unmt_main_suite_conftest", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TINY


TINY = _main_suite_settings()


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory):
    """A run trained for 20 steps on the toy corpus: (checkpoints_dir, run name)."""
    checkpoints = tmp_path_factory.mktemp("checkpoints")
    code = main(["--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", "tiny", "--max-steps", "20", *TINY])
    assert code == 0
    return checkpoints, "tiny"


@pytest.fixture
def score_with_script(tmp_path):
    """Runs a checkpoint-scoring script of experiments/ (the arguments of benchmarks/scored_run.py) on a run folder
    and a data folder: returns the finished process (text output) and the path of the JSON it was told to write."""
    def score(script: str, run_dir, data_dir):
        out = tmp_path / "scores.json"
        command = [sys.executable, str(EXPERIMENTS / script), "--run", str(run_dir), "--data", str(data_dir), "--out", str(out)]
        return subprocess.run(command, capture_output=True, text=True, timeout=600), out
    return score
