import json
import subprocess
import sys

import pytest

from tests.conftest import TINY
from unmt.cli import main


def unmt(*args, stdin=b"", cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "unmt.cli", *args], input=stdin, capture_output=True, cwd=cwd, timeout=300
    )


def test_train_writes_a_complete_run(tiny_run):
    checkpoints, name = tiny_run
    run = checkpoints / name
    for item in (
        "run.json", "config.yaml", "spm.model", "metrics.jsonl", "latest", "best", "data/train.en", "data/test.fr"
    ):
        assert (run / item).exists(), item
    latest = run / (run / "latest").read_text().strip()
    assert {p.name for p in latest.iterdir()} >= {
        "model.safetensors", "discriminator.safetensors", "trainer.json", "trainer.safetensors", "state.json"
    }
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert any("d_accuracy" in r for r in records) and any(r["kind"] == "eval" and "round_trip" in r for r in records)


def test_translate_keeps_one_line_per_line_and_defaults_to_latest_run(tiny_run):
    checkpoints, _ = tiny_run
    text = "the cat sees Marie .\n\n   \nMarie eats 3 apples .\r\nno newline at the end"
    result = unmt("--checkpoints-dir", str(checkpoints), "translate", stdin=text.encode())
    assert result.returncode == 0, result.stderr
    lines = result.stdout.decode().split("\n")
    assert lines[-1] == "" and len(lines) - 1 == 5
    assert lines[1] == "" and lines[2] == ""  # empty and whitespace-only lines stay empty
    assert "▁" not in result.stdout.decode()  # detokenised: no subword markers reach the user


def test_translate_reverse_direction_and_beam(tiny_run):
    checkpoints, name = tiny_run
    result = unmt(
        "--checkpoints-dir", str(checkpoints), "translate", "--checkpoint", name, "--src", "fr", "--tgt", "en",
        "--beam", "3", stdin="le chat voit Marie .\n".encode()
    )
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.decode().splitlines()) == 1


def test_translate_empty_input_gives_empty_output(tiny_run):
    checkpoints, _ = tiny_run
    result = unmt("--checkpoints-dir", str(checkpoints), "translate")
    assert result.returncode == 0 and result.stdout == b""


def test_evaluate_prints_signature_and_writes_json(tiny_run, tmp_path):
    checkpoints, _ = tiny_run
    out = tmp_path / "scores.json"
    result = unmt("--checkpoints-dir", str(checkpoints), "evaluate", "--json", str(out))
    assert result.returncode == 0, result.stderr
    assert "BLEU signature: nrefs:1" in result.stdout.decode()
    scores = json.loads(out.read_text())
    assert set(scores) >= {"en-fr", "fr-en"} and 0 <= scores["en-fr"]["bleu"] <= 100


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["translate", "--checkpoint", "nope"], "no unmt run at 'nope'"),
        (["translate", "--src", "de"], "not 'de'"),
        (["train", "--src", "en", "--tgt", "en"], "both 'en'"),
        (["train", "--src", "en", "--tgt", "fr", "--set", "model.layers=2"], "unknown config key 'model.layers'"),
        (["train", "--src", "en", "--tgt", "fr", "--data", "/nonexistent"], "does not exist"),
        (["train", "--src", "en", "--tgt", "de"], "toy corpus is English/French"),
    ],
)
def test_bad_input_is_one_sentence_and_nonzero_exit(tiny_run, args, phrase):
    checkpoints, _ = tiny_run
    result = unmt("--checkpoints-dir", str(checkpoints), *args)
    stderr = result.stderr.decode()
    assert result.returncode == 2
    assert phrase in stderr and "Traceback" not in stderr


def test_no_run_yet_is_a_clear_error(tmp_path):
    result = unmt("--checkpoints-dir", str(tmp_path / "empty"), "translate", stdin=b"hello\n")
    assert result.returncode == 2 and "unmt train" in result.stderr.decode()


def test_train_on_a_data_directory_and_resume(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    from unmt.data.toy import generate_toy_corpus

    corpus = generate_toy_corpus(n_train=500, n_valid=20, n_test=20, seed=5)
    (data / "train.en").write_text("\n".join(corpus.train_en) + "\n")
    (data / "train.fr").write_text("\n".join(corpus.train_fr) + "\n")
    common = [
        "--checkpoints-dir", str(tmp_path / "ck"), "--quiet", "train", "--src", "en", "--tgt", "fr", "--data",
        str(data), "--run", "r", *TINY
    ]
    assert main([*common, "--max-steps", "10"]) == 0
    assert main([*common, "--max-steps", "10"]) == 2  # the run exists: refuse to overwrite it
    assert main([*common, "--max-steps", "20", "--resume"]) == 0
    state = json.loads((tmp_path / "ck/r" / (tmp_path / "ck/r/latest").read_text().strip() / "state.json").read_text())
    assert state["step"] == 20
