"""Faults of the disk and the clock while a run trains: a full disk (simulated inside the process, and for real on
a small tmpfs where the machine lets us mount one), a kill in the middle of replacing a checkpoint, a read-only
run folder, a damaged metrics line, a wall clock jumping backwards, and readers of a run that is being pruned.
Each time: one sentence, nothing complete lost, and the run resumes once the cause is gone."""
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_faults import TRAIN, complete, start_training, wait_for_first_checkpoint
from tests.test_run_faults import translate
from unmt.checkpoint import SET_ASIDE, read_pointer
from unmt.cli import main

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


def train(checkpoints, run, steps, *extra):
    return main(
        ["--quiet", "--checkpoints-dir", str(checkpoints), *TRAIN, "--run", run, "--max-steps", str(steps), *extra]
    )


def copy_of(tiny_run, tmp_path) -> Path:
    """The session's tiny trained run, copied to `tmp_path / "r"`: faults are injected into the copy."""
    checkpoints, name = tiny_run
    shutil.copytree(checkpoints / name, tmp_path / "r")
    return tmp_path / "r"


def leftovers(run_dir: Path) -> list[str]:
    return [p.name for p in run_dir.iterdir() if p.name.startswith(".tmp-")]


def test_a_disk_that_fills_at_the_second_checkpoint_is_one_sentence_and_resume_trains_on(tmp_path, monkeypatch, capsys):
    import unmt.run_directory as run_directory

    real_save = run_directory.save_file
    run = tmp_path / "r"

    def disk_full_at_the_second_checkpoint(tensors, filename, *args, **kwargs):
        if (run / "latest").exists():  # the first checkpoint is written: the second's first file is cut short
            Path(filename).write_bytes(b"\0" * 1000)
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), filename)
        return real_save(tensors, filename, *args, **kwargs)

    monkeypatch.setattr(run_directory, "save_file", disk_full_at_the_second_checkpoint)
    assert train(tmp_path, "r", 20) == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and "Traceback" not in err
    assert "No space left on device" in errors[0] and "step-0000005, is kept" in errors[0] and "MiB" in errors[0]
    assert leftovers(run) == [] and read_pointer(run, "latest").name == "step-0000005"
    assert not (run / ".lock").exists()
    result = translate(tmp_path, "r")
    assert result.returncode == 0 and result.stdout.strip(), result.stderr

    monkeypatch.setattr(run_directory, "save_file", real_save)  # space is freed
    assert train(tmp_path, "r", 20, "--resume") == 0
    assert read_pointer(run, "latest").name == "step-0000020"


def test_a_metrics_line_that_cannot_be_written_leaves_no_torn_line(tmp_path, monkeypatch):
    from unmt.run_directory import RunDirectory, RunWriteError

    directory = RunDirectory(tmp_path)
    directory.log("train", {"step": 1})
    real_write = os.write

    def half_then_full(fd, data):
        real_write(fd, data[: len(data) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(RunWriteError, match="No space left on device"):
        directory.log("train", {"step": 2, "loss": 1.5})
    monkeypatch.setattr(os, "write", real_write)
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["step"] for line in lines] == [1]


def mount_tmpfs(path: Path, megabytes: int) -> bool:
    path.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)], capture_output=True
    )
    return result.returncode == 0


def test_a_real_full_disk_during_training(tmp_path):
    disk = tmp_path / "disk"
    if not mount_tmpfs(disk, 30):
        pytest.skip("cannot mount a tmpfs here (needs root and the mount capability)")
    try:
        process = start_training(disk, "r", 100000)
        wait_for_first_checkpoint(process, disk / "r", timeout=600)
        filler = disk / "filler"
        with open(filler, "wb") as out:  # takes every free byte but a few pages: the next checkpoint cannot fit
            free = shutil.disk_usage(disk).free
            out.write(b"\0" * max(0, free - 16384))
        _, stderr = process.communicate(timeout=600)
        stderr = stderr.decode()
        assert process.returncode == 2, stderr
        assert "Traceback" not in stderr and "No space left on device" in stderr
        assert leftovers(disk / "r") == [] and not (disk / "r" / ".lock").exists()
        first = read_pointer(disk / "r", "latest")
        assert complete(first)
        result = translate(disk, "r")
        assert result.returncode == 0 and result.stdout.strip(), result.stderr

        filler.unlink()
        step = json.loads((first / "state.json").read_text())["step"]
        assert train(disk, "r", step + 10, "--resume") == 0
        assert json.loads((read_pointer(disk / "r", "latest") / "state.json").read_text())["step"] == step + 10
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


KILL_AT_RENAME = """
import os, signal, sys
import unmt.run_directory as rd
real = os.replace
def replace(src, dst):
    if os.path.basename(str(src)).startswith(rd.PARTIAL):  # the finished checkpoint is about to take its name
        os.kill(os.getpid(), signal.SIGKILL)
    return real(src, dst)
rd.os.replace = replace
from unmt.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_sigkill_while_a_checkpoint_replaces_one_of_the_same_step_loses_nothing(tiny_run, tmp_path):
    run = copy_of(tiny_run, tmp_path)  # trained for 20 steps
    # Resuming a finished run saves its last step again: the kill lands after the old folder was set aside and
    # before the new one took its name, the one moment `latest` names no folder.
    command = [sys.executable, "-c", KILL_AT_RENAME, "--quiet", "--checkpoints-dir", str(tmp_path), *TRAIN,
               "--run", "r", "--max-steps", "20", "--resume"]
    killed = subprocess.run(command, capture_output=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL
    assert (run / f"{SET_ASIDE}step-0000020").is_dir() and not (run / "step-0000020").exists()
    result = translate(tmp_path, "r")  # a reader finds the set-aside checkpoint
    assert result.returncode == 0 and result.stdout.strip(), result.stderr
    assert train(tmp_path, "r", 25, "--resume") == 0  # the trainer puts it back and goes on
    assert leftovers(run) == [] and read_pointer(run, "latest").name == "step-0000025"


def test_a_read_only_run_folder_is_refused_in_one_sentence_and_left_as_it_was(tiny_run, tmp_path, capsys):
    run = copy_of(tiny_run, tmp_path)
    before = sorted(p.name for p in run.iterdir())
    if os.geteuid() == 0:  # root ignores permission bits: make the folder read-only by mounting it so
        if subprocess.run(["mount", "--bind", "-o", "ro", str(run), str(run)], capture_output=True).returncode:
            pytest.skip("cannot make a folder read-only for root here (no bind mount)")
    else:
        run.chmod(0o555)
    try:
        assert train(tmp_path, "r", 30, "--resume") == 2
        err = capsys.readouterr().err
        assert "cannot write in run folder" in err and "Traceback" not in err
        assert sorted(p.name for p in run.iterdir()) == before
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(run)], capture_output=True)
        else:
            run.chmod(0o755)


def test_a_torn_metrics_line_is_dropped_on_resume_and_a_damaged_one_skipped_by_readers(tiny_run, tmp_path, caplog):
    from unmt.run_directory import read_metrics

    metrics = copy_of(tiny_run, tmp_path) / "metrics.jsonl"
    lines = metrics.read_text().splitlines()
    metrics.write_text("\n".join([lines[0], "{not json", *lines[1:]]) + '\n{"kind": "train", "st')  # no newline
    assert train(tmp_path, "r", 25, "--resume") == 0
    text = metrics.read_text()
    assert '"st\n' not in text and text.endswith("\n")  # the torn last line went
    records = read_metrics(metrics)
    assert "damaged line" in caplog.text
    assert [r["step"] for r in records if r["kind"] == "eval"][-1] == 25


def test_a_wall_clock_jumping_backwards_does_not_stretch_a_timed_run(tmp_path, monkeypatch):
    real_time, start = time.time, time.time()
    monkeypatch.setattr(time, "time", lambda: real_time() - 3600 * (real_time() - start > 2))  # NTP steps back an hour
    began = time.monotonic()
    assert train(tmp_path, "r", 100000, "--max-minutes", "0.1") == 0
    assert time.monotonic() - began < 120  # the six-second budget ended the run despite the clock
    seconds = [r["seconds"] for r in map(json.loads, (tmp_path / "r" / "metrics.jsonl").read_text().splitlines())
               if r["kind"] == "train"]
    assert seconds == sorted(seconds) and all(s >= 0 for s in seconds)


def test_translations_keep_working_while_the_trainer_prunes_checkpoints(tmp_path):
    trainer = start_training(tmp_path, "r", 100000)
    try:
        wait_for_first_checkpoint(trainer, tmp_path / "r", timeout=600)
        command = [
            sys.executable, "-m", "unmt", "--quiet", "--checkpoints-dir", str(tmp_path), "translate", "--checkpoint",
            "r"
        ]
        # two readers at once, each loading the run while checkpoints come and go every few steps
        readers = [subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    text=True) for _ in range(2)]
        results = [
            reader.communicate("Marie sees the car .\n", timeout=300) + (reader.returncode,) for reader in readers
        ]
        assert trainer.poll() is None  # the trainer was running the whole time
    finally:
        trainer.send_signal(signal.SIGTERM)
        trainer.communicate(timeout=300)
    assert all(code == 0 and out.strip() for out, _, code in results), results
