"""Supervised translation on parallel pairs (losses.mt): pairs stay aligned through filtering and batching,
a step trains both directions on them, a model learns to translate from them alone, and clear refusals."""
import random
import subprocess
import sys
from pathlib import Path

import pytest
import sacrebleu
import torch

from tests.test_learning import tiny_run
from tests.test_loss_groups import SMALL, step_record
from unmt.cli import main
from unmt.config import ConfigError, load_config
from unmt.data.corpus import BatchStream, DataError, load_text_dataset
from unmt.data.parallel import ParallelCorpus
from unmt.data.toy import ToyGrammar, write_toy_corpus
from unmt.data.vocab import Vocabulary
from unmt.translation.train import TrainingRun

RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "multi30k"


def write_parallel(directory: Path, n: int, seed: int) -> list[tuple[str, str]]:
    """n toy (English, French) translations as parallel.en / parallel.fr."""
    grammar = ToyGrammar(random.Random(seed))
    pairs = [grammar.sentence() for _ in range(n)]
    for i, lang in enumerate(("en", "fr")):
        (directory / f"parallel.{lang}").write_text("\n".join(p[i] for p in pairs) + "\n", encoding="utf-8")
    return pairs


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    directory = write_toy_corpus(tmp_path_factory.mktemp("data"), n_train=300, n_valid=10, n_test=10, seed=0)
    write_parallel(directory, 200, seed=5)
    return directory


def test_pairs_stay_aligned_and_are_filtered_together(tmp_path):
    vocab = Vocabulary.train({"en": ["the red dog runs"] * 50, "fr": ["le chien rouge court"] * 50}, 60, "bpe")
    english = ["the dog", "", "the red dog runs " * 20, "red dog", "runs"]
    french = ["le chien", "le chien rouge", "court", "chien rouge " * 20, "court"]
    for lang, lines in (("en", english), ("fr", french)):
        (tmp_path / f"parallel.{lang}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus = ParallelCorpus(
        *(load_text_dataset(tmp_path / f"parallel.{lang}") for lang in ("en", "fr")), vocab, max_len=12
    )
    # an empty side (line 2) or an over-long side (lines 3 and 4) drops the pair, whichever side it is on
    assert len(corpus) == 2
    sources, targets = next(BatchStream(corpus, max_tokens=1000, seed=0))
    decoded = sorted((vocab.decode(s), vocab.decode(t)) for s, t in zip(sources, targets))
    assert decoded == sorted([("the dog", "le chien"), ("runs", "court")])


def test_files_of_different_lengths_are_refused(tmp_path):
    vocab = Vocabulary.train({"en": ["a b c"] * 20, "fr": ["x y z"] * 20}, 30, "bpe")
    (tmp_path / "parallel.en").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "parallel.fr").write_text("x\ny\n", encoding="utf-8")
    with pytest.raises(DataError, match="3 and 2 lines"):
        ParallelCorpus(
            load_text_dataset(tmp_path / "parallel.en"), load_text_dataset(tmp_path / "parallel.fr"), vocab, 10
        )


def test_a_supervised_step_trains_both_directions_on_the_pairs_and_nothing_else(tmp_path, data, monkeypatch):
    record = step_record(tmp_path, data, monkeypatch, "losses.ae=0", "losses.bt=0", "losses.mt=1", "losses.adv=0")
    assert record.group_counts == [2]
    assert {"mt_en_fr", "mt_fr_en"} <= set(record.metrics) and not any(
        k.startswith(("ae_", "bt_")) for k in record.metrics
    )


def test_pairs_join_the_unsupervised_losses_in_one_pass(tmp_path, data, monkeypatch):
    record = step_record(tmp_path, data, monkeypatch, "losses.ae=1", "losses.bt=1", "losses.mt=0.5", "losses.adv=0.1")
    assert record.group_counts == [6]  # denoising, back-translation and translation, both ways each
    assert {"ae_en", "bt_fr_en", "mt_en_fr", "mt_fr_en", "adv"} <= set(record.metrics)


@pytest.mark.slow
def test_a_model_learns_to_translate_from_the_pairs_alone(tmp_path):
    """No denoising, no back-translation, no discriminator: BLEU on unseen toy sentences must come from the pairs."""
    test = set(
        write_toy_corpus(tmp_path / "data", n_train=2000, n_valid=30, n_test=30, seed=0)
        .joinpath("test.en")
        .read_text()
        .splitlines()
    )
    pairs = write_parallel(tmp_path / "data", 2000, seed=5)
    assert sum(en in test for en, _ in pairs) <= 3  # scored on sentences it (almost never) trained on
    run = tiny_run(tmp_path, "losses.ae=0", "losses.bt=0", "losses.adv=0", "losses.mt=1",
                   "back_translation.word_by_word_steps=0", "pretraining.init_embeddings=random")
    sentences, references = run.test["en"], run.test["fr"]
    before = sacrebleu.corpus_bleu(run.translator.translate(sentences, "fr"), [references]).score
    discriminator_before = {k: v.clone() for k, v in run.discriminator.state_dict().items()}
    run.run(max_steps=350)
    after = sacrebleu.corpus_bleu(run.translator.translate(sentences, "fr"), [references]).score
    assert before < 5 and after > 20, (before, after)
    # a fooling term weighted 0 throughout: the discriminator is not trained at all
    assert run.trainer.d_optimizer is None
    assert all(torch.equal(v, discriminator_before[k]) for k, v in run.discriminator.state_dict().items())


def test_lambda_mt_without_parallel_pairs_is_one_clear_error(tmp_path, capsys):
    data = write_toy_corpus(tmp_path / "data", n_train=100, n_valid=5, n_test=5, seed=0)
    with pytest.raises(ConfigError, match="parallel.en and .*parallel.fr"):
        tiny_run(tmp_path, "losses.mt=1")
    code = main([
        "--checkpoints-dir", str(tmp_path / "runs"), "train", "--src", "en", "--tgt", "fr", "--data", str(data),
        "--max-steps", "1", "--set", "losses.mt=0:0,100:1"
    ])
    assert code == 2 and "losses.mt trains on parallel pairs" in capsys.readouterr().err
    for lang in ("en", "fr"):
        (data / f"parallel.{lang}").write_text("", encoding="utf-8")
    code = main([
        "--checkpoints-dir", str(tmp_path / "runs"), "train", "--src", "en", "--tgt", "fr", "--data", str(data),
        "--max-steps", "1", "--set", "losses.mt=1"
    ])
    error = capsys.readouterr().err
    assert code == 2 and "parallel.en is empty" in error and "Traceback" not in error


@pytest.mark.skipif(not (RAW / "train.en").is_file(), reason="../shared/data/multi30k is not on this machine")
def test_prepare_multi30k_writes_the_pairs_only_when_asked(tmp_path):
    subprocess.run(
        [sys.executable, "data_scripts/prepare_multi30k.py", str(RAW), str(tmp_path / "unsupervised")], check=True
    )
    assert not list((tmp_path / "unsupervised").glob("parallel.*"))
    subprocess.run(
        [sys.executable, "data_scripts/prepare_multi30k.py", str(RAW), str(tmp_path / "supervised"), "--parallel"],
        check=True,
    )
    english = (tmp_path / "supervised" / "parallel.en").read_text(encoding="utf-8").splitlines()
    french = (tmp_path / "supervised" / "parallel.fr").read_text(encoding="utf-8").splitlines()
    assert english == (RAW / "train.en").read_text(encoding="utf-8").splitlines()
    assert french == (RAW / "train.fr").read_text(encoding="utf-8").splitlines() and len(english) == len(french)


def test_a_resumed_run_continues_the_pairs_where_it_stopped_or_does_without_them(tmp_path, data):
    supervised = [*SMALL, "losses.mt=1", "evaluation.every=3"]
    first = TrainingRun(load_config(None, supervised), "en", "fr", tmp_path / "run", data)
    first.run(max_steps=3)
    position = first.streams["parallel"].state_dict()
    assert position["index"] == 3
    again = TrainingRun(load_config(None, supervised), "en", "fr", tmp_path / "run", data, resume=True)
    assert again.streams["parallel"].state_dict() == position
    without = TrainingRun(
        load_config(None, [*SMALL, "evaluation.every=3"]), "en", "fr", tmp_path / "run", data, resume=True
    )
    assert "parallel" not in without.streams and without.trainer.step_count == 3
    without.run(max_steps=6)
    assert without.trainer.step_count == 6
