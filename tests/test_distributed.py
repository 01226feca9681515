"""Training on several processes with torch.distributed (gloo, 2 processes on this CPU): one step of the world on
a global batch equals one process's step on that batch; a rank killed mid-run stops the job, and the job resumed
under torchrun ends with the weights of a run that was never interrupted; the GANs train under torchrun too."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from tests.conftest import TINY
from unmt.checkpoint import load_weights, read_pointer
from unmt.config import load_config
from unmt.data.toy import write_toy_corpus

pytestmark = pytest.mark.slow

# Deterministic apart from the data split: no noise, no dropout, back-translation from the first step, word by word
# (row by row, so the same whichever process translates a sentence). Adam's first update is lr * g / (|g| + eps): it
# magnifies the rounding of a near-zero gradient by lr / eps, so the discriminator's rate is kept small enough for
# a 1e-6 comparison to measure how the ranks combine their gradients rather than Adam's conditioning.
EXACT = [
    "data.vocab_size=300", "data.max_tokens=300", "model.d_model=32", "model.n_heads=2", "model.encoder_layers=1",
    "model.decoder_layers=1", "model.ffn_dim=64", "discriminator.hidden=32", "discriminator.dropout=0",
    "discriminator.lr=5e-5", "noise.word_dropout=0", "noise.word_shuffle=0", "noise.word_blank=0", "losses.bt=1",
    "losses.adv=0.1", "runtime.threads=1", "back_translation.word_by_word_steps=5",
    "pretraining.init_embeddings=random", "evaluation.sentences=10"
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def global_batch(run) -> dict:
    """The first sentences of each corpus, the same for every process."""
    return {lang: run.corpora[lang].rows(torch.arange(12).numpy()) for lang in run.languages}


def _one_step(rank: int, world: int, port: int, run_dir: str, data: str, out: str) -> None:
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    from unmt.distributed import shutdown, world_from_environment
    from unmt.translation.train import TrainingRun

    world_info = world_from_environment("cpu")
    run = TrainingRun(load_config(None, EXACT), "en", "fr", Path(run_dir), Path(data), world=world_info)
    batch = global_batch(run)
    share = {lang: rows[rank::world] for lang, rows in batch.items()}  # each rank its own disjoint half
    run.train_step(lambda: share)
    if rank == 0:
        torch.save({"model": run.model.state_dict(), "discriminator": run.discriminator.state_dict()}, out)
    shutdown()


def test_one_step_of_two_processes_equals_one_process_on_the_global_batch(tmp_path):
    data = write_toy_corpus(tmp_path / "data", n_train=300, n_valid=10, n_test=10, seed=0)
    from unmt.translation.train import TrainingRun

    single = TrainingRun(load_config(None, EXACT), "en", "fr", tmp_path / "single", data)
    batch = global_batch(single)
    before = {k: v.clone() for k, v in single.model.state_dict().items()}
    single.train_step(lambda: {lang: rows[0::2] + rows[1::2] for lang, rows in batch.items()})
    shutil.copytree(tmp_path / "single", tmp_path / "world", ignore=shutil.ignore_patterns("step-*", "latest", "best"))

    out = tmp_path / "world.pt"
    mp.spawn(_one_step, args=(2, free_port(), str(tmp_path / "world"), str(data), str(out)), nprocs=2, join=True)
    world = torch.load(out, weights_only=True)
    for name, module in (("model", single.model), ("discriminator", single.discriminator)):
        for key, value in module.state_dict().items():
            assert torch.allclose(world[name][key], value, atol=1e-6, rtol=0), f"{name}.{key}"
    assert any(not torch.equal(before[k], v) for k, v in single.model.state_dict().items())  # the step did move them


TORCHRUN_TRAIN = [
    "train", "--src", "en", "--tgt", "fr", *TINY, "--set", "runtime.threads=1", "--set", "evaluation.every=10"
]


def torchrun(checkpoints: Path, run: str, steps: int, *extra: str) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()), "-m",
        "unmt", "--quiet", "--checkpoints-dir", str(checkpoints), *TORCHRUN_TRAIN, "--run-name", run, "--max-steps",
        str(steps), *extra
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)


def worker_pids(parent: int) -> list[int]:
    children = Path(f"/proc/{parent}/task/{parent}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def test_a_rank_killed_mid_run_stops_the_job_and_the_resumed_job_ends_as_an_uninterrupted_one(tmp_path):
    straight = torchrun(tmp_path, "straight", 40)
    _, err = straight.communicate(timeout=900)
    assert straight.returncode == 0, err.decode()[-2000:]

    killed = torchrun(tmp_path, "killed", 40)
    deadline = time.monotonic() + 600
    while not (tmp_path / "killed" / "latest").is_file():
        assert time.monotonic() < deadline and killed.poll() is None, "no checkpoint appeared"
        time.sleep(0.2)
    workers = worker_pids(killed.pid)
    assert len(workers) == 2
    os.kill(workers[1], signal.SIGKILL)  # one rank dies mid-run
    _, err = killed.communicate(timeout=300)
    assert killed.returncode != 0  # the job stops: no rank trains on alone
    checkpoint = read_pointer(tmp_path / "killed", "latest")
    assert {p.name for p in checkpoint.iterdir()} >= {"model.safetensors", "trainer.json", "state.json"}

    resumed = torchrun(tmp_path, "killed", 40, "--resume")
    _, err = resumed.communicate(timeout=900)
    assert resumed.returncode == 0, err.decode()[-2000:]
    final = {
        name: load_weights(read_pointer(tmp_path / name, "latest") / "model.safetensors")
        for name in ("straight", "killed")
    }
    for key, value in final["straight"].items():
        assert torch.equal(final["killed"][key], value), key


DIGITS = Path(__file__).resolve().parents[2] / "shared" / "data" / "digits"


@pytest.mark.parametrize("config, extra", [
    ("configs/gan_dcgan_digits.yaml", []),
    ("configs/gan_cyclegan_mnist_usps.yaml", ["--data", str(DIGITS)]),
], ids=["dcgan", "cyclegan"])
def test_gans_train_under_torchrun_with_rank_0_the_only_writer(tmp_path, config, extra):
    if extra and not (DIGITS / "usps-zip.train.gz").is_file():
        pytest.skip("../shared/data/digits is not on this machine")
    out = tmp_path / "gan"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_port", str(free_port()), "-m",
        "unmt", "--quiet", "gan", "train", "--config", config, "--out", str(out), "--max-steps", "6", *extra, "--set",
        "train.log_every=3", "--set", "train.eval_every=100", "--set", "train.eval_samples=64", "--set",
        "train.batch_size=8", "--set", "train.threads=1", "--set", "model.channels=8"
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=900, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    assert result.returncode == 0, result.stderr[-2000:]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "train"] == [3, 6]  # one writer: no line twice
    assert [r["step"] for r in records if r["kind"] == "eval"] == [0, 6]
    checkpoint = read_pointer(out, "latest")
    assert checkpoint.name == "step-0000006" and (checkpoint / "trainer.json").is_file()
    assert result.stdout.count('"run"') == 1  # the result is printed once, by rank 0


def test_a_process_that_cannot_reach_its_rendezvous_says_so_in_one_sentence_instead_of_hanging(tmp_path):
    env = {**os.environ, "RANK": "1", "LOCAL_RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
           "MASTER_PORT": str(free_port()), "UNMT_DIST_JOIN_SECONDS": "3"}  # nobody listens there
    command = [
        sys.executable, "-m", "unmt", "--checkpoints-dir", str(tmp_path), *TORCHRUN_TRAIN, "--run-name", "r",
        "--max-steps", "1"
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 2
    assert "could not join the other 1 process(es)" in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()  # nothing was written
