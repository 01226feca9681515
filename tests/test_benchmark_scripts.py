"""The Multi30k data scripts and benchmark run end to end on the real files (tiny model, seconds of training)."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "multi30k"
pytestmark = [
    pytest.mark.skipif(not (RAW / "train.en").is_file(), reason="../shared/data/multi30k is not on this machine"),
    pytest.mark.slow,
]

TINY_MODEL = [
    "data.vocab_size=500", "model.d_model=32", "model.n_heads=2", "model.encoder_layers=1", "model.decoder_layers=1",
    "model.ffn_dim=64", "model.dropout=0", "evaluation.every=1000", "evaluation.sentences=20", "runtime.threads=1",
    "back_translation.word_by_word_steps=3", "pretraining.init_embeddings=random"
]  # the aligned init is tested elsewhere


def test_prepare_split_has_no_sentence_on_both_sides(tmp_path):
    subprocess.run([sys.executable, "data_scripts/prepare_multi30k.py", str(RAW), str(tmp_path)], check=True)
    en, fr = (tmp_path / "train.en").read_text().splitlines(), (tmp_path / "train.fr").read_text().splitlines()
    raw_en, raw_fr = (RAW / "train.en").read_text().splitlines(), (RAW / "train.fr").read_text().splitlines()
    assert len(en) == len(fr) == len(raw_en) // 2
    assert en == raw_en[: len(raw_en) // 2]  # English: first half
    assert fr == raw_fr[len(raw_fr) // 2 :]  # French: second half, so no pair is complete
    assert (tmp_path / "test.en").read_text().count("\n") == (tmp_path / "test.fr").read_text().count("\n") == 1000


def test_multi30k_benchmark_writes_curve_and_scores(tmp_path):
    overrides = [arg for item in TINY_MODEL for arg in ("--set", item)]
    command = [
        sys.executable, "benchmarks/multi30k.py", "--minutes", "0.3", "--data", str(tmp_path / "data"), "--out",
        str(tmp_path), "--name", "smoke", "--beam", "2", *overrides
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    result = json.loads(next(tmp_path.glob("multi30k-smoke-*.json")).read_text())
    assert result["curve"] and all("test_bleu_en-fr" in r and "test_chrf_fr-en" in r for r in result["curve"])
    assert set(result["best_checkpoint_test"]) >= {"en-fr", "fr-en"} and result["machine"]["cores"] >= 1
    assert set(result["best_checkpoint_test_beam2"]) >= {"en-fr", "fr-en"}  # --beam adds a beam-search score
    assert next(tmp_path.glob("multi30k-smoke-*.png")).stat().st_size > 1000


def test_multi30k_benchmark_supervised_reference_trains_on_the_pairs_alone(tmp_path):
    overrides = [arg for item in TINY_MODEL for arg in ("--set", item)]
    data = tmp_path / "data"
    command = [sys.executable, "benchmarks/multi30k.py", "--minutes", "0.1", "--supervised", "--data", str(data),
               "--out", str(tmp_path), "--name", "sup", *overrides]
    subprocess.run(command, check=True, capture_output=True, timeout=600)
    result = json.loads(next(tmp_path.glob("multi30k-sup-*.json")).read_text())
    assert result["supervised"] and "losses.mt=1" in result["overrides"]
    assert (data / "parallel.en").read_text().count("\n") == (RAW / "train.en").read_text().count("\n")
    run = next((tmp_path / "runs").glob("multi30k-sup-*"))
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    trained = [r for r in records if "loss" in r]
    assert trained and all(
        "mt_en_fr" in r and "mt_fr_en" in r and not any(k.startswith(("ae_", "bt_", "d_")) for k in r) for r in trained
    )
