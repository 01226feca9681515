"""experiments/bleu_protocols.py: the same hypotheses scored under detokenized and multi-bleu-style protocols."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # experiments/
from bleu_protocols import bleu_under_protocols  # noqa: E402

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

REFERENCES = ["l'homme regarde l'enfant qui joue dans le parc avec un grand chien noir ."] * 4


def test_lowercasing_forgives_case_and_only_case():
    shouted = [line.upper() for line in REFERENCES]
    scores = bleu_under_protocols(shouted, REFERENCES, "fr")
    assert round(scores["sacrebleu_13a_lowercased"], 6) == round(scores["moses_tokenized_lowercased"], 6) == 100
    assert scores["sacrebleu_13a_cased"] < 10 and scores["moses_tokenized_cased"] < 10


def test_splitting_elisions_makes_a_wrong_word_cost_less():
    # One wrong elided word: one of 14 tokens under sacreBLEU's 13a, one of 16 once "l'" is a token of its own.
    hypotheses = [line.replace("l'enfant", "l'arbre") for line in REFERENCES]
    scores = bleu_under_protocols(hypotheses, REFERENCES, "fr")
    assert 0 < scores["sacrebleu_13a_cased"] < scores["moses_tokenized_cased"] < 100


def test_script_scores_a_trained_run(tiny_run, score_with_script):
    checkpoints, run = tiny_run
    finished, out = score_with_script("bleu_protocols.py", checkpoints / run, checkpoints / run / "data")
    assert finished.returncode == 0, finished.stderr
    result = json.loads(out.read_text())
    assert set(result["scores"]) == {"en-fr", "fr-en"}
    for by_protocol in result["scores"].values():
        assert len(by_protocol) == 4 and all(0 <= value <= 100 for value in by_protocol.values())
        assert by_protocol["sacrebleu_13a_lowercased"] >= by_protocol["sacrebleu_13a_cased"]


def test_a_folder_without_a_run_is_one_clear_error(tmp_path, score_with_script):
    result, _ = score_with_script("bleu_protocols.py", tmp_path, tmp_path)
    assert result.returncode != 0 and "is this a unmt run folder?" in result.stderr and "Traceback" not in result.stderr


def test_missing_test_files_are_one_clear_error(tmp_path, tiny_run, score_with_script):
    checkpoints, run = tiny_run
    result, _ = score_with_script("bleu_protocols.py", checkpoints / run, tmp_path)
    assert result.returncode != 0 and "test.en" in result.stderr and "Traceback" not in result.stderr
