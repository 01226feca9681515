"""Settings the data cannot honour are said once and recorded as used, instead of passing in silence: a vocabulary
the corpus cannot fill, a length limit above every sentence, an evaluation sample larger than the evaluation set."""
import json
import logging

import pytest
import yaml

from tests.conftest import TINY
from unmt.cli import main

pytestmark = pytest.mark.slow  # trains a few steps


def test_settings_the_toy_corpus_cannot_honour_are_warned_once_and_recorded_as_used(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="unmt")
    code = main([
        "--checkpoints-dir", str(tmp_path), "train", "--src", "en", "--tgt", "fr", "--run", "r", "--max-steps", "2",
        *TINY, "--set", "runtime.threads=1", "--set", "data.vocab_size=10000000", "--set",
        "evaluation.sentences=100000", "--set", "data.max_len=300"
    ])
    assert code == 0
    said = [record.getMessage() for record in caplog.records if record.name == "unmt"]
    run = tmp_path / "r"
    vocab_size = json.loads((run / "run.json").read_text())["model"]["vocab_size"]
    assert vocab_size < 10000000
    assert yaml.safe_load((run / "config.yaml").read_text())["data"]["vocab_size"] == vocab_size  # agrees with run.json
    setup = next(r for r in map(json.loads, (run / "metrics.jsonl").read_text().splitlines()) if r["kind"] == "setup")
    adjusted = setup["adjusted"]
    assert adjusted["data.vocab_size"] == {"asked": 10000000, "used": vocab_size}
    assert adjusted["evaluation.sentences"]["asked"] == 100000 and adjusted["evaluation.sentences"]["used"] < 100000
    assert adjusted["data.max_len"]["asked"] == 300 and adjusted["data.max_len"]["used"] < 300
    for key in ("data.vocab_size=10000000", "evaluation.sentences=100000", "data.max_len=300"):
        assert sum(key in line for line in said) == 1, key  # said once, in one line


def test_settings_the_data_can_honour_are_not_adjusted(tiny_run):
    checkpoints, name = tiny_run
    setup = next(r for r in map(json.loads, (checkpoints / name / "metrics.jsonl").read_text().splitlines())
                 if r["kind"] == "setup")
    assert "data.vocab_size" not in setup.get("adjusted", {})
    assert "evaluation.sentences" not in setup.get("adjusted", {})
