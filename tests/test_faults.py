"""Faults injected for real: SIGKILL at a random moment, SIGINT, NaN losses, mismatched files and bad data.
Each test would fail without the protection it checks."""
import json
import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from tests.conftest import TINY
from unmt.checkpoint import load_weights, read_pointer
from unmt.cli import main

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

TRAIN = ["train", "--src", "en", "--tgt", "fr", *TINY, "--set", "runtime.threads=1", "--set", "evaluation.every=5"]


def start_training(checkpoints, run, steps):
    command = [
        sys.executable, "-m", "unmt.cli", "--quiet", "--checkpoints-dir", str(checkpoints), *TRAIN, "--run", run,
        "--max-steps", str(steps)
    ]
    # A shell starts background jobs with SIGINT ignored, and the child would inherit that: restore the default so
    # the SIGINT test means the same however pytest itself was started.
    restore_sigint = lambda: signal.signal(signal.SIGINT, signal.SIG_DFL)  # noqa: E731
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=restore_sigint)


def wait_for_first_checkpoint(process, run_dir, timeout=120):
    deadline = time.monotonic() + timeout
    while not (run_dir / "latest").exists():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "no checkpoint appeared"
        time.sleep(0.05)


def complete(checkpoint):
    names = {p.name for p in checkpoint.iterdir()}
    return names >= {
        "model.safetensors", "discriminator.safetensors", "trainer.json", "trainer.safetensors", "state.json"
    }


@pytest.mark.parametrize("seed", [0, 1])
def test_sigkill_at_a_random_moment_then_resume_matches_an_uninterrupted_run(tmp_path, seed):
    killed = tmp_path / "killed"
    process = start_training(tmp_path, "killed", 40)
    wait_for_first_checkpoint(process, killed)
    time.sleep(random.Random(seed).uniform(0.0, 2.0))  # somewhere in training, evaluation or checkpoint writing
    process.send_signal(signal.SIGKILL)
    process.wait()
    checkpoint = read_pointer(killed, "latest")
    assert complete(checkpoint)  # `latest` never names a half-written checkpoint
    load_weights(checkpoint / "model.safetensors")
    resumed = main(
        ["--quiet", "--checkpoints-dir", str(tmp_path), *TRAIN, "--run", "killed", "--max-steps", "40", "--resume"]
    )
    assert resumed == 0
    assert main(["--quiet", "--checkpoints-dir", str(tmp_path), *TRAIN, "--run", "straight", "--max-steps", "40"]) == 0
    final = {
        run: load_weights(read_pointer(tmp_path / run, "latest") / "model.safetensors")
        for run in ("killed", "straight")
    }
    for name, tensor in final["straight"].items():
        assert torch.equal(tensor, final["killed"][name]), name
    assert not any(p.name.startswith(".tmp-step-") for p in killed.iterdir())  # crash leftovers were cleaned


def test_nan_loss_stops_with_a_message_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    from unmt.translation.step import UNMTStep

    real_loss = UNMTStep.generator_loss

    def poisoned(self, batch, phase):
        loss, metrics = real_loss(self, batch, phase)
        return (loss * float("nan") if phase.step >= 12 else loss), metrics

    monkeypatch.setattr(UNMTStep, "generator_loss", poisoned)
    code = main(["--quiet", "--checkpoints-dir", str(tmp_path), *TRAIN, "--run", "r", "--max-steps", "20"])
    assert code == 2
    assert "loss became nan" in capsys.readouterr().err
    checkpoint = read_pointer(tmp_path / "r", "latest")
    assert json.loads((checkpoint / "state.json").read_text())["step"] == 10
    weights = load_weights(checkpoint / "model.safetensors")
    assert all(torch.isfinite(t).all() for t in weights.values())


def test_nan_in_gan_training_stops_and_keeps_the_last_checkpoint(tmp_path, monkeypatch, capsys):
    from unmt.gan.tasks import GANTask
    from unmt.run_directory import latest_checkpoint

    real_loss = GANTask.generator_loss
    calls = {"n": 0}

    def poisoned(self, batch):
        calls["n"] += 1
        loss, metrics = real_loss(self, batch)
        return (loss * float("inf") if calls["n"] > 25 else loss), metrics

    monkeypatch.setattr(GANTask, "generator_loss", poisoned)
    out = tmp_path / "gan"
    args = ["--quiet", "gan", "train", "--config", "configs/gan_ring.yaml", "--out", str(out), "--max-steps", "40",
            "--set", "train.eval_every=20", "--set", "model.hidden=16"]
    assert main(args) == 2
    assert "loss became" in capsys.readouterr().err
    assert latest_checkpoint(out).name.endswith("20")


def copy_run(source, destination):
    import shutil

    shutil.copytree(source, destination)
    return destination


def test_checkpoint_used_with_a_different_vocabulary_is_refused(tiny_run, tmp_path, capsys):
    from unmt.data.toy import generate_toy_corpus
    from unmt.data.vocab import Vocabulary

    checkpoints, name = tiny_run
    run = copy_run(checkpoints / name, tmp_path / "ck" / "swapped")
    corpus = generate_toy_corpus(n_train=500, n_valid=1, n_test=1, seed=9)
    Vocabulary.train({"en": iter(corpus.train_en), "fr": iter(corpus.train_fr)}, 200, "unigram").save(run / "spm.model")
    assert main(["--checkpoints-dir", str(tmp_path / "ck"), "translate", "--checkpoint", "swapped"]) == 2
    assert "pieces but the model expects" in capsys.readouterr().err


def test_resuming_with_the_wrong_language_pair_is_refused(tiny_run, tmp_path, capsys):
    checkpoints, name = tiny_run
    copy_run(checkpoints / name, tmp_path / "ck" / "r")
    code = main(
        ["--checkpoints-dir", str(tmp_path / "ck"), "train", "--src", "en", "--tgt", "de", "--run", "r", "--resume"]
    )
    assert code == 2 and "translates en-fr, not en-de" in capsys.readouterr().err


@pytest.mark.parametrize(
    "files, phrase",
    [
        ({"train.en": "a b c\n"}, "missing training corpus"),
        ({"train.en": "a b c\n", "train.fr": "\n\n  \n"}, "is empty"),
    ],
)
def test_missing_or_empty_corpora_fail_before_any_work(tmp_path, capsys, files, phrase):
    data = tmp_path / "data"
    data.mkdir()
    for file_name, text in files.items():
        (data / file_name).write_text(text)
    code = main(["--checkpoints-dir", str(tmp_path / "ck"), "train", "--src", "en", "--tgt", "fr", "--data", str(data)])
    assert code == 2 and phrase in capsys.readouterr().err
    assert not (tmp_path / "ck").exists() or not any((tmp_path / "ck").rglob("spm.model"))  # no work started
