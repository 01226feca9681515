"""Three faults a new user met, each with the behaviour that fixes it: a resume with another model shape is refused
before it touches the run; a second trainer on a run is refused while the first continues; a translation whose
reader goes away ends quietly. Plus the refused budgets and run names."""
import hashlib
import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import TINY
from tests.test_faults import start_training, wait_for_first_checkpoint
from unmt.cli import main

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

TRAIN = ["train", "--src", "en", "--tgt", "fr", *TINY, "--set", "runtime.threads=1"]


def snapshot(folder):
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def translate(checkpoints, run, text="Marie sees the small car .\n"):
    command = [
        sys.executable, "-m", "unmt", "--quiet", "--checkpoints-dir", str(checkpoints), "translate", "--checkpoint",
        run
    ]
    return subprocess.run(command, input=text, capture_output=True, text=True, timeout=300)


def test_a_resume_with_another_model_shape_is_refused_and_leaves_the_run_byte_identical(tiny_run, tmp_path, capsys):
    checkpoints, name = tiny_run
    shutil.copytree(checkpoints / name, tmp_path / name)
    before = snapshot(tmp_path / name)
    code = main(["--checkpoints-dir", str(tmp_path), *TRAIN, "--run", name, "--resume", "--set", "model.d_model=64"])
    assert code == 2
    error = capsys.readouterr().err
    assert "model.d_model: 32 -> 64" in error and "Traceback" not in error
    assert snapshot(tmp_path / name) == before  # not one byte of the run changed
    result = translate(tmp_path, name)
    assert result.returncode == 0 and result.stdout.strip(), result.stderr


def test_a_second_trainer_is_refused_and_the_first_continues_untouched(tmp_path, capsys):
    first = start_training(tmp_path, "r", 200)
    try:
        wait_for_first_checkpoint(first, tmp_path / "r")
        code = main(
            ["--quiet", "--checkpoints-dir", str(tmp_path), *TRAIN, "--run", "r", "--resume", "--max-steps", "400"]
        )
        assert code == 2
        assert f"being trained by process {first.pid}" in capsys.readouterr().err
        _, stderr = first.communicate(timeout=600)
    finally:
        first.kill()
    assert first.returncode == 0, stderr.decode()
    records = [json.loads(line) for line in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    steps = [r["step"] for r in records if r["kind"] == "train"]
    assert steps == sorted(steps) and len(steps) == len(set(steps)) and steps[-1] == 200  # one trainer's lines only
    assert not (tmp_path / "r" / ".lock").exists()


def test_translate_into_a_pipe_that_closes_ends_quietly_with_exit_0(tiny_run, tmp_path):
    checkpoints, name = tiny_run
    big = tmp_path / "big.txt"
    big.write_text("Marie sees the small red car .\n" * 5000)
    command = [
        sys.executable, "-m", "unmt", "--quiet", "--checkpoints-dir", str(checkpoints), "translate", "--checkpoint",
        name
    ]
    with open(big, "rb") as source:  # `unmt translate < big.txt | head -1`
        process = subprocess.Popen(command, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        assert process.stdout.readline().strip()  # one line read, then the reader is gone
        process.stdout.close()
        stderr = process.stderr.read().decode()
    assert process.wait(timeout=300) == 0, stderr
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr


def test_negative_budgets_and_run_names_outside_the_checkpoints_folder_are_refused(tmp_path, capsys):
    for extra in (["--max-steps", "-3"], ["--max-minutes", "-1"], ["--set", "runtime.max_minutes=-2"]):
        assert main(["--checkpoints-dir", str(tmp_path), *TRAIN, "--run", "r", *extra]) == 2
    for name in ("../elsewhere", "a/b", ".hidden"):
        assert main(["--checkpoints-dir", str(tmp_path), *TRAIN, "--run", name]) == 2
    errors = capsys.readouterr().err
    assert "must be positive" in errors and "must be a plain folder name" in errors and "Traceback" not in errors
    assert not any(tmp_path.iterdir()) and not (tmp_path.parent / "elsewhere").exists()
