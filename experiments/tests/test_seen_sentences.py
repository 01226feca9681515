"""experiments/seen_sentences.py: training pairs the model saw one side of, scored beside test pairs."""
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # experiments/
from seen_sentences import condition, seen_pairs, spread_sample  # noqa: E402

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


def test_sample_spreads_over_the_whole_range():
    picked = spread_sample(1000, 10)
    assert len(set(picked)) == 10 and picked[0] == 0 and picked[-1] >= 900
    assert spread_sample(3, 10) == [0, 1, 2]


def test_pairs_split_like_the_unsupervised_split():
    english = [f"en {i}" for i in range(10)]
    french = [f"fr {i}" for i in range(10)]
    halves = seen_pairs(english, french, sentences=5)
    sources, targets = halves["source_half"]
    assert sources == [f"en {i}" for i in range(5)] and targets == [f"fr {i}" for i in range(5)]
    sources, targets = halves["target_half"]
    assert sources == [f"en {i}" for i in range(5, 10)] and targets == [f"fr {i}" for i in range(5, 10)]


def test_conditions_name_the_side_the_model_trained_on():
    assert condition("source_half", forward=True) == "source seen"
    assert condition("source_half", forward=False) == "reference seen"
    assert condition("target_half", forward=True) == "reference seen"
    assert condition("target_half", forward=False) == "source seen"
    assert condition("test", forward=False) == "test"


def raw_folder(tmp_path, run_data: Path, english: str | None = None) -> Path:
    """A folder shaped like raw Multi30k from the tiny run's parallel test pairs."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for lang in ("en", "fr"):
        text = (run_data / f"test.{lang}").read_text()
        (raw / f"train.{lang}").write_text(english if lang == "en" and english is not None else text)
        (raw / f"test_2016_flickr.{lang}").write_text(text)
    return raw


def test_script_scores_every_condition_both_ways(tmp_path, tiny_run, score_with_script):
    checkpoints, run = tiny_run
    raw = raw_folder(tmp_path, checkpoints / run / "data")
    finished, out = score_with_script("seen_sentences.py", checkpoints / run, raw)
    assert finished.returncode == 0, finished.stderr
    result = json.loads(out.read_text())
    assert set(result["directions"]) == {"en-fr", "fr-en"}
    for found in result["directions"].values():
        assert set(found) == {"test", "source seen", "reference seen"}
        assert all(
            row["sentences"] > 0 and 0 <= row["bleu"] <= 100 and 0 <= row["chrf"] <= 100 for row in found.values()
        )


def test_unaligned_training_files_are_one_clear_error(tmp_path, tiny_run, score_with_script):
    checkpoints, run = tiny_run
    raw = raw_folder(tmp_path, checkpoints / run / "data", english="only one line\n")
    finished, _ = score_with_script("seen_sentences.py", checkpoints / run, raw)
    assert finished.returncode != 0 and "differ in length" in finished.stderr and "Traceback" not in finished.stderr
