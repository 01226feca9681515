"""Which losses a UNMT step computes: a group weighted 0 is skipped (not computed and multiplied by 0), and the
adversarial term then falls on the inputs that are left, each labelled with the language it is written in."""
from dataclasses import dataclass
from pathlib import Path

import pytest

from unmt.config import load_config
from unmt.data.toy import write_toy_corpus
from unmt.translation import objectives
from unmt.translation.train import TrainingRun

SMALL = [
    "data.vocab_size=300", "data.max_tokens=200", "model.d_model=32", "model.n_heads=2", "model.encoder_layers=1",
    "model.decoder_layers=1", "model.ffn_dim=64", "discriminator.hidden=32", "evaluation.sentences=10",
    "back_translation.word_by_word_steps=0", "pretraining.init_embeddings=random",
]


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return write_toy_corpus(tmp_path_factory.mktemp("data"), n_train=300, n_valid=10, n_test=10, seed=0)


@dataclass
class StepRecord:
    group_counts: list[int]  # groups in each teacher-forced pass
    labelled: list[list[str]]  # per labelling call of the adversarial term, the language of every row
    metrics: dict[str, float]
    sentences: dict[str, int]  # batch size per language


def step_record(tmp_path: Path, data: Path, monkeypatch, *overrides: str) -> StepRecord:
    """Runs one generator step (the run's first) and records what it computed."""
    run = TrainingRun(load_config(None, [*SMALL, *overrides]), "en", "fr", tmp_path / "run", data)
    task = run.task
    group_counts, labelled = [], []
    sequence_losses, row_labels = objectives.sequence_losses, task._row_labels

    def counting_sequence_losses(model, groups, *args):
        group_counts.append(len(groups))
        return sequence_losses(model, groups, *args)

    def recording_row_labels(row_languages):
        labelled.append(list(row_languages))
        return row_labels(row_languages)

    monkeypatch.setattr(objectives, "sequence_losses", counting_sequence_losses)
    task._row_labels = recording_row_labels
    batch = {lang: next(stream) for lang, stream in run.streams.items()}
    _, metrics = task.begin(run.phases.at(0)).generator_loss(batch)
    return StepRecord(group_counts, labelled, metrics, {lang: len(rows) for lang, rows in batch.items()})


def test_denoising_weighted_zero_is_not_computed_and_the_adversary_sees_the_back_translated_inputs(
    tmp_path, data, monkeypatch
):
    record = step_record(tmp_path, data, monkeypatch, "losses.ae=0", "losses.bt=1", "losses.adv=0.1")
    assert record.group_counts == [2]  # the two back-translation groups only
    metrics = record.metrics
    assert "ae_en" not in metrics and "ae_fr" not in metrics and "bt_fr_en" in metrics and "adv" in metrics
    # English sentences were translated into French first: those inputs are French, and the reverse
    assert record.labelled == [["fr"] * record.sentences["en"] + ["en"] * record.sentences["fr"]]


def test_with_denoising_on_the_adversary_sees_only_the_denoising_inputs(tmp_path, data, monkeypatch):
    record = step_record(tmp_path, data, monkeypatch, "losses.ae=1", "losses.bt=1", "losses.adv=0.1")
    assert record.group_counts == [4]
    assert record.labelled == [["en"] * record.sentences["en"] + ["fr"] * record.sentences["fr"]]


def test_a_step_always_trains_something_even_when_both_translation_weights_are_zero(tmp_path, data, monkeypatch):
    record = step_record(tmp_path, data, monkeypatch, "losses.ae=0", "losses.bt=0", "losses.adv=0")
    assert record.group_counts == [2] and "ae_en" in record.metrics and "bt_fr_en" not in record.metrics
