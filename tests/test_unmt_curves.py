"""benchmarks/unmt_curves.py: a training run that refuses its settings ends the benchmark with one clear message."""
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


def test_a_rejected_setting_is_one_message_and_no_traceback(tmp_path):
    # Through a benchmark script, as a user meets it: the bad key reaches `unmt train`, which names it.
    command = [
        sys.executable, "benchmarks/toy_unmt.py", "--minutes", "0.1", "--out", str(tmp_path), "--set",
        "train.no_such_key=1"
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "unknown config key 'train.no_such_key'" in result.stderr
    assert "exit status" in result.stderr and "Traceback" not in result.stderr
