"""experiments/nearest_sentence.py: the nearest real sentence of the other corpus, scored beside the model's output."""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # experiments/
from nearest_sentence import nearest_sentences, score_by_similarity  # noqa: E402

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

POOL = ["a dog runs on the beach .", "two men play guitar on stage .", "a woman rides a red bicycle .",
        "children play football in a park ."]


def test_a_garbled_query_still_finds_its_sentence():
    queries = ["two man plays guitars on a stage", "a dog is running on the beach", "a women riding her bicycle"]
    best, similarity = nearest_sentences(queries, POOL)
    assert best.tolist() == [1, 0, 2]
    assert np.all((similarity > 0) & (similarity <= 1 + 1e-9))
    exact, exact_similarity = nearest_sentences([POOL[3]], POOL)
    assert exact.tolist() == [3] and exact_similarity[0] > similarity.max()


def test_fractions_keep_the_most_similar_sentences():
    references = ["r one", "r two", "r three", "r four"]
    hypotheses = ["r one", "x", "x", "x"]  # only the most similar sentence is translated right
    retrieved = ["x", "x", "x", "r four"]  # only the least similar one is mined right
    rows = score_by_similarity(hypotheses, retrieved, references, np.array([0.9, 0.5, 0.4, 0.1]), fractions=(0.25, 1.0))
    assert [row["sentences"] for row in rows] == [1, 4]
    assert rows[0]["min_similarity"] == 0.9 and rows[1]["min_similarity"] == 0.1
    assert rows[0]["model_chrf"] > rows[0]["nearest_chrf"]
    assert rows[1]["nearest_chrf"] > rows[0]["nearest_chrf"]  # the right mined sentence only counts once kept


def test_script_compares_model_and_nearest_sentence_on_a_trained_run(tiny_run, score_with_script):
    checkpoints, run = tiny_run
    finished, out = score_with_script("nearest_sentence.py", checkpoints / run, checkpoints / run / "data")
    assert finished.returncode == 0, finished.stderr
    result = json.loads(out.read_text())
    assert set(result["directions"]) == {"en-fr", "fr-en"}
    for found in result["directions"].values():
        rows = found["by_similarity"]
        assert [row["sentences"] for row in rows] == sorted(row["sentences"] for row in rows)
        assert all(
            0 <= row[key] <= 100 for row in rows for key in ("model_bleu", "nearest_bleu", "model_chrf", "nearest_chrf")
        )
        assert len(found["most_similar_examples"]) == 3


def test_missing_training_half_is_one_clear_error(tmp_path, tiny_run, score_with_script):
    checkpoints, run = tiny_run
    data = tmp_path / "data"
    data.mkdir()
    for name in ("test.en", "test.fr"):
        (data / name).write_text((checkpoints / run / "data" / name).read_text())
    result, _ = score_with_script("nearest_sentence.py", checkpoints / run, data)
    assert result.returncode != 0 and "train.en" in result.stderr and "Traceback" not in result.stderr
