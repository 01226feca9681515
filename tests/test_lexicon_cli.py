"""`unmt embed`, `unmt align` and `unmt translate --word-by-word` as the README shows them, on toy text."""
import json

import numpy as np
import pytest

from tests.test_cli import unmt
from unmt.data.toy import generate_toy_corpus, gold_lexicon
from unmt.lexicon.evaluation import write_dictionary

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


@pytest.fixture(scope="module")
def aligned(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("lexicon")
    corpus = generate_toy_corpus(n_train=3000, n_valid=1, n_test=1, seed=6)
    (tmp / "train.en").write_text("\n".join(corpus.train_en) + "\n")
    (tmp / "train.fr").write_text("\n".join(corpus.train_fr) + "\n")
    write_dictionary(tmp / "gold.txt", gold_lexicon())
    for lang in ("en", "fr"):
        result = unmt(
            "embed", "--input", str(tmp / f"train.{lang}"), "--output", str(tmp / f"{lang}.vec"), "--dim", "20",
            "--epochs", "3", "--threads", "1"
        )
        assert result.returncode == 0, result.stderr.decode()
    result = unmt(
        "align", "--src-emb", str(tmp / "en.vec"), "--tgt-emb", str(tmp / "fr.vec"), "--src", "en", "--tgt", "fr",
        "--method", "identical", "--output", str(tmp / "aligned"), "--gold", str(tmp / "gold.txt"), "--threads", "1"
    )
    assert result.returncode == 0, result.stderr.decode()
    return tmp, result.stdout.decode()


def test_align_writes_map_lexicon_and_report(aligned):
    tmp, stdout = aligned
    W = np.load(tmp / "aligned" / "mapping.npy", allow_pickle=False)
    assert W.shape == (20, 20) and np.allclose(W @ W.T, np.eye(20), atol=1e-6)  # Procrustes maps are orthogonal
    report = json.loads((tmp / "aligned" / "report.json").read_text())
    assert [s["stage"] for s in report["stages"]] == ["identical", "identical+refinement"]
    assert all(0 <= s["p@1"] <= s["p@5"] <= 1 and s["words"] > 50 for s in report["stages"])
    assert "p@1=" in stdout
    records = [json.loads(line) for line in (tmp / "aligned" / "metrics.jsonl").read_text().splitlines()]
    assert [(r["kind"], r["stage"]) for r in records] == [("eval", s["stage"]) for s in report["stages"]]
    assert not (tmp / "aligned" / ".lock").exists()  # the run directory's lock went with the command
    lexicon = json.loads((tmp / "aligned" / "lexicon.json").read_text())
    assert lexicon["fr"]["Marie"] == "Marie" and lexicon["en"]["Paul"] == "Paul"  # names are their own translation


def test_word_by_word_translation_keeps_lines(aligned):
    tmp, _ = aligned
    text = "Marie sees the cat .\n\n   \nPaul eats 3 apples .\r\n"
    result = unmt(
        "translate", "--word-by-word", "--lexicon", str(tmp / "aligned" / "lexicon.json"), "--src", "en",
        stdin=text.encode()
    )
    assert result.returncode == 0, result.stderr.decode()
    lines = result.stdout.decode().split("\n")
    assert len(lines) == 5 and lines[1] == lines[2] == "" and lines[0].startswith("Marie ")
    assert lines[0] != "Marie sees the cat ."  # words were replaced


@pytest.mark.parametrize(
    "args, phrase",
    [
        (["embed", "--input", "/nonexistent.txt", "--output", "x.vec"], "does not exist"),
        (["align", "--src-emb", "BAD", "--tgt-emb", "BAD", "--src", "en", "--tgt", "fr", "--output", "o"], "header"),
        (["align", "--src-emb", "BAD", "--tgt-emb", "BAD", "--src", "en", "--tgt", "en", "--output", "o"], "both 'en'"),
        (["translate", "--word-by-word", "--lexicon", "missing.json"], "does not exist"),
        (["translate", "--word-by-word", "--lexicon", "BAD"], "not valid JSON"),
        (["translate", "--lexicon", "x.json"], "only used with --word-by-word"),
    ],
)
def test_bad_input_is_one_clear_error(tmp_path, args, phrase):
    (tmp_path / "BAD").write_text("not vectors at all\n")
    result = unmt(*args, cwd=tmp_path)
    stderr = result.stderr.decode()
    assert result.returncode == 2 and phrase in stderr and "Traceback" not in stderr, stderr


def test_word_by_word_with_a_runs_own_lexicon(tiny_run):
    checkpoints, name = tiny_run
    result = unmt(
        "--checkpoints-dir", str(checkpoints), "translate", "--checkpoint", name, "--word-by-word", "--src", "fr",
        stdin="Victor voit 3 chats .\n".encode()
    )
    assert result.returncode == 0, result.stderr.decode()
    assert (
        result.stdout.decode().count("\n") == 1
        and "Victor" in result.stdout.decode()
        and " 3 " in result.stdout.decode()
    )
