import importlib.util
import io
import os
import subprocess
import sys

import pytest
import torch

from tests.export_toy_run import trained_toy_run
from unmt.cli import main
from unmt.data.corpus import read_lines
from unmt.translation.model_io import load_translator

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

# Only the tests that run fairseq's own tools need it installed; the export, the import and its refusals are unmt's
# code alone and run everywhere.
needs_fairseq = pytest.mark.skipif(importlib.util.find_spec("fairseq") is None, reason="fairseq is not installed")

FAIRSEQ_ENV = {**os.environ, "OMP_NUM_THREADS": "1"}  # and no TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD: exports need none


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    return trained_toy_run(tmp_path_factory)


@pytest.fixture(scope="module")
def exported(toy_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("fairseq") / "model"
    assert main(["--quiet", "export", str(toy_run), "--format", "fairseq", str(out)]) == 0
    return out


def fairseq(tool: str, *args) -> subprocess.CompletedProcess:
    """fairseq's own command-line tools (fairseq-interactive is fairseq_cli.interactive, and so on)."""
    result = subprocess.run([sys.executable, "-m", f"fairseq_cli.{tool}", *map(str, args)], capture_output=True,
                            text=True, timeout=600, env=FAIRSEQ_ENV)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def fairseq_interactive(folder, src, tgt, input_path, batch_size=1) -> list[str]:
    """Greedy translations by stock fairseq-interactive, in input order. One line a batch: fairseq caps a batch's
    outputs by its longest source where unmt caps each sentence by its own, so only alone do a degenerate line's
    limits agree."""
    result = fairseq(
        "interactive", folder, "--path", folder / "checkpoint.pt", "--source-lang", src, "--target-lang", tgt,
        "--bpe", "sentencepiece", "--sentencepiece-model", folder / "spm.model", "--beam", 1, "--min-len", 0,
        "--max-len-a", 1.5, "--max-len-b", 5, "--batch-size", batch_size, "--buffer-size", batch_size, "--cpu",
        "--input", input_path,
    )
    hypotheses = {}
    for line in result.stdout.splitlines():
        if line.startswith("D-"):
            ident, _, text = line.split("\t", 2)
            hypotheses[int(ident[2:])] = text
    return [hypotheses[i] for i in range(len(hypotheses))]


def unmt_translate(monkeypatch, capsys, input_path, *args) -> list[str]:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(input_path.read_bytes())))
    capsys.readouterr()
    assert main(["--quiet", "translate", "--batch-size", "1000", *args]) == 0
    return capsys.readouterr().out.split("\n")[:-1]


def test_export_writes_one_fairseq_model_per_direction(exported):
    for direction in ("en-fr", "fr-en"):
        names = {p.name for p in (exported / direction).iterdir()}
        src, tgt = direction.split("-")
        assert names == {"checkpoint.pt", f"dict.{src}.txt", f"dict.{tgt}.txt", "spm.model", "README.md"}
        state = torch.load(exported / direction / "checkpoint.pt", weights_only=True)  # plain values only
        assert state["cfg"]["model"]["_name"] == "transformer"


@needs_fairseq
@pytest.mark.parametrize("src, tgt", [("en", "fr"), ("fr", "en")])
def test_fairseq_interactive_gives_unmt_translates_greedy_output_on_every_line(
    toy_run, exported, monkeypatch, capsys, src, tgt
):
    test_set = toy_run / "data" / f"test.{src}"
    theirs = fairseq_interactive(exported / f"{src}-{tgt}", src, tgt, test_set)
    ours = unmt_translate(monkeypatch, capsys, test_set, "--checkpoint", str(toy_run), "--src", src, "--tgt", tgt)
    assert len(theirs) == len(ours) == len(read_lines(test_set))
    assert [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b] == []
    assert sum(bool(line.strip()) for line in ours) > 0.9 * len(ours)


def test_exported_then_imported_model_translates_like_the_original(toy_run, exported, tmp_path, monkeypatch, capsys):
    assert main(["--quiet", "--checkpoints-dir", str(tmp_path), "import", "--format", "fairseq",
                 str(exported / "en-fr" / "checkpoint.pt"), "--run", "back"]) == 0
    original, _ = load_translator(toy_run)
    imported, info = load_translator(tmp_path / "back")
    assert info["languages"] == ["en", "fr"]
    for name, tensor in original.model.state_dict().items():
        assert torch.equal(tensor, imported.model.state_dict()[name]), name
    assert {k: m.tolist() for k, m in imported.output_masks.items()} == {
        k: m.tolist() for k, m in original.output_masks.items()
    }
    for src in ("en", "fr"):
        test_set = toy_run / "data" / f"test.{src}"
        assert unmt_translate(monkeypatch, capsys, test_set, "--checkpoint", str(tmp_path / "back"), "--src", src) == \
            unmt_translate(monkeypatch, capsys, test_set, "--checkpoint", str(toy_run), "--src", src)


@pytest.fixture(scope="module")
def fairseq_trained(toy_run, tmp_path_factory):
    """A checkpoint that fairseq-train itself wrote: its default transformer (post-norm, sinusoidal positions,
    embeddings shared from a joined dictionary), one update on the toy corpus."""
    from unmt.data.vocab import Vocabulary

    folder = tmp_path_factory.mktemp("fairseq_trained")
    vocab = Vocabulary.load(toy_run / "spm.model", ["en", "fr"])
    for lang in ("en", "fr"):
        lines = read_lines(toy_run / "data" / f"train.{lang}")[:200]
        (folder / f"train.{lang}").write_text(
            "".join(" ".join(vocab.sp.encode(line, out_type=str)) + "\n" for line in lines)
        )
    fairseq("preprocess", "-s", "en", "-t", "fr", "--trainpref", folder / "train", "--destdir", folder / "bin",
            "--joined-dictionary", "--workers", 1)
    fairseq("train", folder / "bin", "-s", "en", "-t", "fr", "--arch", "transformer", "--encoder-layers", 1,
            "--decoder-layers", 1, "--encoder-embed-dim", 32, "--decoder-embed-dim", 32, "--encoder-ffn-embed-dim", 64,
            "--decoder-ffn-embed-dim", 64, "--encoder-attention-heads", 2, "--decoder-attention-heads", 2,
            "--share-all-embeddings", "--optimizer", "adam", "--lr", "1e-3", "--max-tokens", 2000, "--max-update", 1,
            "--cpu", "--save-dir", folder / "ck", "--no-epoch-checkpoints", "--disable-validation")
    return folder


def _import(tmp_path, capsys, checkpoint, *extra) -> tuple[int, str]:
    capsys.readouterr()
    code = main([
        "--quiet", "--checkpoints-dir", str(tmp_path / "runs"), "import", "--format", "fairseq", str(checkpoint),
        *map(str, extra)
    ])
    return code, capsys.readouterr().err


@needs_fairseq
def test_a_fairseq_trained_transformer_of_another_shape_is_refused_in_one_sentence(fairseq_trained, tmp_path, capsys):
    code, err = _import(
        tmp_path, capsys, fairseq_trained / "ck" / "checkpoint_last.pt", "--data", fairseq_trained / "bin"
    )
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "post-norm" in err and "does not fit unmt's model" in err
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())


def _altered_copy(exported, tmp_path, change) -> object:
    """A copy of the exported en-fr folder whose checkpoint `change(state)` edited."""
    folder = tmp_path / "en-fr"
    folder.mkdir()
    for item in (exported / "en-fr").iterdir():
        (folder / item.name).write_bytes(item.read_bytes())
    state = torch.load(folder / "checkpoint.pt", weights_only=True)
    change(state)
    torch.save(state, folder / "checkpoint.pt")
    return folder / "checkpoint.pt"


def test_an_lstm_checkpoint_is_refused(exported, tmp_path, capsys):
    checkpoint = _altered_copy(exported, tmp_path, lambda s: s["cfg"]["model"].update(_name="lstm", arch="lstm"))
    code, err = _import(tmp_path, capsys, checkpoint)
    assert code == 2 and "architecture 'lstm'" in err and err.count("\n") == 1


def test_positions_other_than_ours_need_approximate(exported, tmp_path, capsys):
    def shift(state):
        state["model"]["decoder.embed_positions.weight"] += 0.5

    checkpoint = _altered_copy(exported, tmp_path, shift)
    code, err = _import(tmp_path, capsys, checkpoint)
    assert code == 2 and "learned positions" in err and "--approximate" in err
    code, err = _import(tmp_path, capsys, checkpoint, "--approximate", "--run", "approx")
    assert code == 0 and (tmp_path / "runs" / "approx" / "run.json").is_file()


def test_a_checkpoint_that_would_run_code_is_refused_without_running_it(tmp_path, capsys):
    marker = tmp_path / "ran"
    checkpoint = tmp_path / "evil.pt"
    torch.save({"model": {}, "payload": _RunsCode(str(marker))}, checkpoint)
    code, err = _import(tmp_path, capsys, checkpoint)
    assert code == 2 and "only running its code could rebuild" in err and not marker.exists()


class _RunsCode:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


@pytest.mark.parametrize("case", ["garbage", "missing", "run exists", "no dictionary"])
def test_bad_import_requests_are_one_sentence_exit_2(exported, tmp_path, capsys, case):
    garbage = tmp_path / "garbage.pt"
    garbage.write_bytes(b"not a checkpoint at all")
    if case == "run exists":
        (tmp_path / "runs" / "taken").mkdir(parents=True)
        (tmp_path / "runs" / "taken" / "file").write_text("keep me")
    checkpoint = {"garbage": garbage, "missing": tmp_path / "nope.pt"}.get(case, exported / "en-fr" / "checkpoint.pt")
    extra = {"run exists": ["--run", "taken"], "no dictionary": ["--data", str(tmp_path)]}.get(case, [])
    code, err = _import(tmp_path, capsys, checkpoint, *extra)
    phrase = {"garbage": "not a readable fairseq checkpoint", "missing": "is missing",
              "run exists": "already exists and is not empty", "no dictionary": "no dictionary"}[case]
    assert code == 2 and phrase in err and err.count("\n") == 1
    if case == "run exists":
        assert (tmp_path / "runs" / "taken" / "file").read_text() == "keep me"
        assert sorted(p.name for p in (tmp_path / "runs").iterdir()) == ["taken"]


def test_fairseq_export_refuses_a_folder_that_is_not_empty(toy_run, tmp_path, capsys):
    (tmp_path / "keep").write_text("x")
    capsys.readouterr()
    assert main(["--quiet", "export", str(toy_run), "--format", "fairseq", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err and [p.name for p in tmp_path.iterdir()] == ["keep"]
