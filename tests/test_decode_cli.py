"""The decoding, scoring and comparison options of `unmt translate`, `unmt score` and `unmt evaluate`, end to end."""
import io
import json
import logging
import sys

import pytest

from unmt.cli import main
from unmt.translation.model_io import load_translator
from unmt.translation.scoring import score_lines

LINES = ["Marie sees the small red car .", "", "Paul walks to the house ."]


def run(capsys, monkeypatch, tiny_run, *argv, stdin: str = ""):
    checkpoints, name = tiny_run
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
    capsys.readouterr()
    code = main(["--checkpoints-dir", str(checkpoints), *argv[:1], "--checkpoint", name, *argv[1:]])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_output_formats_carry_the_same_best_translation(capsys, monkeypatch, caplog, tiny_run):
    text = "\n".join(LINES) + "\n"
    with caplog.at_level(logging.INFO, logger="unmt"):
        _, plain, _ = run(capsys, monkeypatch, tiny_run, "translate", "--beam", "3", stdin=text)
    assert any("sentences/s" in r.getMessage() and "tokens/s" in r.getMessage() for r in caplog.records)
    _, scored, _ = run(
        capsys, monkeypatch, tiny_run, "translate", "--beam", "3", "--output-format", "score", stdin=text
    )
    _, nbest, _ = run(
        capsys, monkeypatch, tiny_run, "translate", "--beam", "3", "--nbest", "3", "--output-format", "nbest",
        stdin=text
    )
    _, as_json, _ = run(
        capsys, monkeypatch, tiny_run, "translate", "--beam", "3", "--nbest", "2", "--output-format", "json", stdin=text
    )
    best = plain.split("\n")[:3]
    assert [line.split("\t")[1] for line in scored.splitlines()] == best
    rows = [line.split("\t") for line in nbest.splitlines()]
    firsts = {}
    for number, score, translation in rows:
        firsts.setdefault(int(number), (float(score), translation))
    assert [firsts[i][1] for i in range(3)] == best and firsts[1] == (0.0, "")
    objects = [json.loads(line) for line in as_json.splitlines()]
    assert len(objects) == 3 and [o["translations"][0] for o in objects] == best
    assert all(len(o["translations"]) == len(o["scores"]) <= 2 for o in objects)
    assert objects[0]["scores"][0] == pytest.approx(float(scored.splitlines()[0].split("\t")[0]), abs=1e-5)
    assert firsts[0][0] == pytest.approx(objects[0]["scores"][0], abs=1e-5)


def test_token_batching_gives_the_same_translations(capsys, monkeypatch, tiny_run):
    text = "\n".join(LINES * 3) + "\n"
    # Each sentence's length cap is its own, so other batches change no output of this barely trained run
    _, by_sentences, _ = run(capsys, monkeypatch, tiny_run, "translate", stdin=text)
    _, by_tokens, _ = run(capsys, monkeypatch, tiny_run, "translate", "--max-tokens", "25", stdin=text)
    assert by_tokens == by_sentences and by_tokens.count("\n") == 9


def test_score_writes_one_score_a_line_normalised_or_not(capsys, monkeypatch, tiny_run, tmp_path):
    checkpoints, name = tiny_run
    source, target = (
        ["Marie sees the small red car .", "", "Paul walks ."],
        ["Marie voit la voiture .", "", "Paul marche ."],
    )
    (tmp_path / "src").write_text("\n".join(source) + "\n")
    (tmp_path / "tgt").write_text("\n".join(target) + "\n")
    code, out, _ = run(capsys, monkeypatch, tiny_run, "score", str(tmp_path / "src"), str(tmp_path / "tgt"))
    assert code == 0
    normalised = [float(v) for v in out.split()]
    translator = load_translator(checkpoints / name)[0]
    assert normalised == pytest.approx(score_lines(translator, source, target, "fr"), abs=1e-5)
    _, out, _ = run(
        capsys, monkeypatch, tiny_run, "score", "--unnormalized", str(tmp_path / "src"), str(tmp_path / "tgt")
    )
    sums = [float(v) for v in out.split()]
    lengths = [len(translator.vocab.encode(t)) + 1 for t in target]  # subwords + EOS
    assert sums == pytest.approx([n * length for n, length in zip(normalised, lengths)], abs=1e-4)
    assert normalised[1] == 0.0 and sums[0] < normalised[0] < 0


def test_evaluate_compares_a_run_with_itself(capsys, monkeypatch, tiny_run, tmp_path):
    checkpoints, name = tiny_run
    out = tmp_path / "cmp.json"
    code, printed, _ = run(capsys, monkeypatch, tiny_run, "evaluate", "--compare", name, "--json", str(out))
    assert code == 0 and "paired bootstrap" in printed and "chrF++" in printed
    saved = json.loads(out.read_text())
    assert {"en-fr", "fr-en"} <= set(saved["compare"])
    assert all(r["p_value"] == 1.0 and r["difference"] == 0 for d in saved["compare"].values() for r in d.values())


@pytest.mark.parametrize("argv, message", [
    (["translate", "--beam", "2", "--nbest", "3", "--output-format", "nbest"], "larger than --beam"),
    (["translate", "--nbest", "2", "--beam", "2"], "--output-format nbest or json"),
    (["translate", "--device", "mps"], "only auto, cpu"),
    (["translate", "--max-tokens", "0"], "at least 1"),
    (["score", "missing.en", "missing.fr"], "is not a file"),
])
def test_bad_decoding_options_are_one_sentence(capsys, monkeypatch, tiny_run, argv, message):
    code, _, err = run(capsys, monkeypatch, tiny_run, *argv, stdin="a b c\n")
    assert code == 2 and message in err and "Traceback" not in err
