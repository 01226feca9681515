"""experiments/lexical_confusions.py: word-class probes (right / confused / missing), copied words, looping outputs."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # experiments/
from lexical_confusions import CLASSES, class_outcomes, copied_share, looping_share, probe  # noqa: E402

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

COLOURS = CLASSES["colours"]


def test_a_probe_is_right_confused_or_missing():
    reference = "Un homme en chemise rouge."
    assert probe("A man in a red shirt.", reference, "Un homme en chemise rouge.", COLOURS) == "right"
    assert probe("A man in a red shirt.", reference, "Un homme en chemise bleue.", COLOURS) == "confused"
    assert probe("A man in a red shirt.", reference, "Un homme en chemise.", COLOURS) == "missing"
    # the right colour beside a wrong one still counts as right: the word was found
    assert probe("A man in a red shirt.", reference, "Un homme rouge en chemise bleue.", COLOURS) == "right"


def test_only_sentences_with_one_member_that_the_reference_translates_are_probes():
    assert probe("A man in a red and blue shirt.", "Un homme en chemise rouge et bleue.", "x", COLOURS) is None
    assert probe("A man in a shirt.", "Un homme en chemise.", "x", COLOURS) is None
    # the reference says it another way: no probe, whatever the model wrote
    assert (
        probe("A man in a red shirt.", "Un homme en chemise écarlate.", "Un homme en chemise rouge.", COLOURS) is None
    )
    # inflections and the other direction
    reversed_colours = [(fr, en) for en, fr in COLOURS]
    assert probe("Une robe blanche.", "A white dress.", "A white dress.", reversed_colours) == "right"


def test_class_outcomes_are_shares_of_the_probes():
    sources = ["A red car.", "A blue car.", "A green car.", "A car."]
    references = ["Une voiture rouge.", "Une voiture bleue.", "Une voiture verte.", "Une voiture."]
    hypotheses = ["Une voiture rouge.", "Une voiture noire.", "Une voiture.", "Une voiture rouge."]
    outcome = class_outcomes(sources, references, hypotheses, COLOURS)
    assert outcome["probes"] == 3
    assert outcome["right"] == outcome["confused"] == outcome["missing"] == round(1 / 3, 3)


def test_copied_words_are_source_words_the_target_corpus_never_uses():
    french_vocabulary = {"un", "homme", "en", "gilet", "orange"}
    sources, hypotheses = ["A man in a vest, orange."], ["Un homme en vest orange."]
    # 'homme' and 'orange' (a French word too) are not copies; 'vest' is: 1 of the 3 words of 4 letters or more
    assert copied_share(sources, hypotheses, french_vocabulary) == round(1 / 3, 4)


def test_looping_outputs_repeat_one_word_four_times_in_a_row():
    assert looping_share(["une fille bre bre bre bre .", "un chien un chien un chien", "non non non oui"]) == round(
        1 / 3, 4
    )


def test_script_scores_both_directions_of_a_run(tmp_path, tiny_run, score_with_script):
    checkpoints, run = tiny_run
    finished, out = score_with_script("lexical_confusions.py", checkpoints / run, checkpoints / run / "data")
    assert finished.returncode == 0, finished.stderr
    result = json.loads(out.read_text())
    assert set(result["directions"]) == {"en-fr", "fr-en"} and result["checkpoint"].startswith("step-")
    for found in result["directions"].values():
        assert (
            set(CLASSES) <= set(found)
            and 0 <= found["copied_word_share"] <= 1
            and 0 <= found["looping_output_share"] <= 1
        )
        assert all(found[name]["probes"] >= 0 for name in CLASSES)


def test_script_refuses_other_languages_in_one_line(tmp_path, tiny_run):
    import subprocess

    checkpoints, run = tiny_run
    command = [
        sys.executable, str(Path(__file__).resolve().parents[1] / "lexical_confusions.py"), "--run",
        str(checkpoints / run), "--data", str(checkpoints / run / "data"), "--out", str(tmp_path / "x.json"), "--src",
        "de"
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 2 and "must be en and fr" in finished.stderr and "Traceback" not in finished.stderr
