"""Stopping a trainer the way a cluster does: SIGTERM (preemption, `scancel`, Kubernetes), SIGUSR1 (SLURM's warning
ahead of a time limit) and SIGINT each finish the step in progress, save it, release the run and exit with
128 + the signal's number; the resumed run then ends exactly as an uninterrupted one. Also under torchrun, for the
GANs, and during setup (nothing to save: the run folder is left as it was found)."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import torch

from tests.test_distributed import torchrun, worker_pids
from tests.test_faults import TRAIN, complete, start_training, wait_for_first_checkpoint
from unmt.checkpoint import load_weights, read_pointer
from unmt.cli import main

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

STEPS = 60
STOPPED = re.compile(r"stopped by (SIG\w+) at step (\d+): checkpoint (step-\d+) saved")


def stop_and_read(process, signum):
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=180)
    return process.returncode, stderr.decode()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGUSR1, signal.SIGINT], ids=lambda s: s.name)
def test_a_stop_signal_saves_the_step_it_stopped_at_and_releases_the_run(tmp_path, signum):
    run = tmp_path / "r"
    process = start_training(tmp_path, "r", STEPS)
    wait_for_first_checkpoint(process, run)
    time.sleep(0.3)
    code, stderr = stop_and_read(process, signum)
    assert code == 128 + signum, stderr
    assert "Traceback" not in stderr
    name, step, saved = STOPPED.search(stderr).groups()
    assert name == signum.name and 0 < int(step) < STEPS
    checkpoint = read_pointer(run, "latest")
    assert checkpoint.name == saved and complete(checkpoint)
    assert json.loads((checkpoint / "state.json").read_text())["step"] == int(step)  # the step it stopped at
    assert not (run / ".lock").exists()
    if signum == signal.SIGTERM:  # the checkpoint is exact: the resumed run ends as an uninterrupted one
        assert (
            main([
                "--quiet", "--checkpoints-dir", str(tmp_path), *TRAIN, "--run", "r", "--max-steps", str(STEPS),
                "--resume"
            ])
            == 0
        )
        resumed = load_weights(read_pointer(run, "latest") / "model.safetensors")
        straight = tmp_path / "straight"
        assert (
            main(["--quiet", "--checkpoints-dir", str(straight), *TRAIN, "--run", "r", "--max-steps", str(STEPS)]) == 0
        )
        for key, value in load_weights(read_pointer(straight / "r", "latest") / "model.safetensors").items():
            assert torch.equal(resumed[key], value), key


def test_sigterm_during_setup_leaves_no_run_folder_and_no_lock(tmp_path, monkeypatch, capsys):
    import unmt.translation.train as train_module

    real = train_module.build_networks

    def terminated_while_building(*args):  # the signal arrives while the run is being prepared
        os.kill(os.getpid(), signal.SIGTERM)
        return real(*args)

    monkeypatch.setattr(train_module, "build_networks", terminated_while_building)
    previous = signal.getsignal(signal.SIGTERM)
    code = main(["--quiet", "--checkpoints-dir", str(tmp_path), *TRAIN, "--run", "r", "--max-steps", "20"])
    assert code == 128 + signal.SIGTERM
    assert "interrupted" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()  # a new run stopped before its first checkpoint leaves nothing
    assert signal.getsignal(signal.SIGTERM) is previous  # the command put the handlers back


def test_sigterm_stops_every_rank_at_one_step_under_torchrun_and_the_job_resumes(tmp_path):
    job = torchrun(tmp_path, "r", 400)
    deadline = time.monotonic() + 600
    while not (tmp_path / "r" / "latest").is_file():
        assert time.monotonic() < deadline and job.poll() is None, "no checkpoint appeared"
        time.sleep(0.2)
    assert len(worker_pids(job.pid)) == 2
    job.send_signal(signal.SIGTERM)  # to torchrun, which passes it to both ranks, as SLURM and Kubernetes do
    _, stderr = job.communicate(timeout=300)
    stderr = stderr.decode()
    stops = set(STOPPED.findall(stderr))
    assert len(stops) == 1, stderr[-3000:]  # every rank stopped at the same step, named the same checkpoint
    step = int(stops.pop()[1])
    checkpoint = read_pointer(tmp_path / "r", "latest")
    assert complete(checkpoint) and json.loads((checkpoint / "state.json").read_text())["step"] == step
    assert not (tmp_path / "r" / ".lock").exists()

    resumed = torchrun(tmp_path, "r", step + 10, "--resume")
    _, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr.decode()[-2000:]
    assert json.loads((read_pointer(tmp_path / "r", "latest") / "state.json").read_text())["step"] == step + 10


def test_sigterm_stops_a_gan_run_with_a_checkpoint_at_that_step(tmp_path):
    out = tmp_path / "gan"
    command = [sys.executable, "-m", "unmt", "--quiet", "gan", "train", "--config", "configs/gan_ring.yaml", "--out",
               str(out), "--max-steps", "100000", "--set", "train.eval_every=20", "--set", "model.hidden=16"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for_first_checkpoint(process, out, timeout=600)
    time.sleep(0.3)
    code, stderr = stop_and_read(process, signal.SIGTERM)
    assert code == 128 + signal.SIGTERM, stderr
    _, step, saved = STOPPED.search(stderr).groups()
    checkpoint = read_pointer(out, "latest")
    assert checkpoint.name == saved and json.loads((checkpoint / "state.json").read_text())["step"] == int(step)
    assert not (out / ".lock").exists()
