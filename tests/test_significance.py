"""Corpus scores with signatures and the paired bootstrap between two systems."""
import json

import pytest

from unmt.cli import main
from unmt.translation.significance import corpus_scores, paired_bootstrap

REFS = [f"the {c} dog runs to the {h} house number {i} ." for i, (c, h) in
        enumerate(zip(["red", "small", "big", "old", "new"] * 12, ["green", "white", "blue", "far", "near"] * 12))]
GOOD = [r if i % 5 else r.replace("dog", "cat") for i, r in enumerate(REFS)]  # 4 lines in 5 exact
BAD = [" ".join(r.split()[:4]) for r in REFS]  # cut short


def test_corpus_scores_carry_four_metrics_and_their_signatures():
    scores = corpus_scores(REFS, REFS)
    assert scores["bleu"] == 100 and scores["chrf"] == 100 and scores["chrf++"] == 100 and scores["ter"] == 0
    assert "nrefs:1" in scores["bleu_signature"] and "nw:2" in scores["chrf++_signature"]
    assert "nw:0" in scores["chrf_signature"] and scores["ter_signature"].startswith("nrefs:1")


def test_a_system_against_itself_is_no_difference():
    result = paired_bootstrap(GOOD, GOOD, REFS)
    for metric in result.values():
        assert metric["difference"] == 0 and metric["ci"] == [0, 0] and metric["p_value"] == 1.0


def test_a_clearly_worse_system_is_significantly_worse():
    result = paired_bootstrap(GOOD, BAD, REFS)
    for name in ("bleu", "chrf", "chrf++"):
        r = result[name]
        assert r["difference"] < 0 and r["ci"][1] < 0 and r["p_value"] < 0.01
    assert result["ter"]["difference"] > 0 and result["ter"]["p_value"] < 0.01  # TER: lower is better
    assert paired_bootstrap(GOOD, BAD, REFS) == result  # one seed, the same resamples


def test_evaluate_hyp_and_compare_files(tmp_path, capsys):
    for name, lines in (("ref", REFS), ("good", GOOD), ("bad", BAD)):
        (tmp_path / name).write_text("\n".join(lines) + "\n")
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--hyp", str(tmp_path / "good"), "--ref", str(tmp_path / "ref"), "--compare",
                 str(tmp_path / "bad"), "--src", "en", "--tgt", "fr", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "en-fr: BLEU" in printed and "TER signature" in printed and "95% CI" in printed
    saved = json.loads(out.read_text())
    assert saved["en-fr"]["bleu"] == corpus_scores(GOOD, REFS)["bleu"]
    assert saved["compare"]["en-fr"]["bleu"]["difference"] < 0


@pytest.mark.parametrize("bad_file, message", [("short", "not parallel"), ("missing", "is missing")])
def test_evaluate_hyp_refuses_bad_files_in_one_sentence(tmp_path, capsys, bad_file, message):
    (tmp_path / "ref").write_text("a\nb\n")
    (tmp_path / "short").write_text("a\n")
    assert main(["evaluate", "--hyp", str(tmp_path / bad_file), "--ref", str(tmp_path / "ref")]) == 2
    assert message in capsys.readouterr().err
