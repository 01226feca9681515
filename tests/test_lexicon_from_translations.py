"""A next run's word-by-word lexicon read off an earlier model's translations (back_translation.lexicon_from):
IBM Model 1 on each corpus sentence beside its translation recovers the words the translations carry, both
directions keyed as a run's lexicon.json, and the option refuses what it cannot use in one line."""
import json

import pytest

from tests.conftest import TINY as TINY_CLI
from unmt.cli import main
from unmt.config import ConfigError, load_config
from unmt.data.toy import generate_toy_corpus, gold_lexicon, write_toy_corpus
from unmt.lexicon.evaluation import inverted_dictionary
from unmt.lexicon.from_translations import lexicon_from_pairs, lexicon_from_translations
from unmt.lexicon.induce import precision_at_1
from unmt.translation.train import TrainingRun

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

TINY = [value for flag, value in zip(TINY_CLI[::2], TINY_CLI[1::2]) if flag == "--set"]


@pytest.fixture(scope="module")
def toy():
    return generate_toy_corpus(n_train=50, n_valid=10, n_test=500, seed=3)


def test_pairs_with_right_translations_give_the_generators_lexicon(toy):
    lexicon = lexicon_from_pairs(toy.test_en, toy.test_fr)
    assert precision_at_1(lexicon, gold_lexicon()) > 0.8
    assert all(word == word.lower() for word in lexicon)


def test_pairs_with_unrelated_sentences_give_no_such_lexicon(toy):
    shuffled = toy.test_fr[1:] + toy.test_fr[:1]
    assert precision_at_1(lexicon_from_pairs(toy.test_en, shuffled), gold_lexicon()) < 0.3


def test_both_directions_are_keyed_by_the_language_translated_into(toy):
    """A perfect 'model' (the parallel test set looked up) translating half of each side."""
    into = {"fr": dict(zip(toy.test_en, toy.test_fr)), "en": dict(zip(toy.test_fr, toy.test_en))}
    calls = []

    def translate(lines, lang):
        calls.append(lang)
        return [into[lang][line] for line in lines]

    corpora = {"en": toy.test_en[:250], "fr": toy.test_fr[250:]}
    lexicon = lexicon_from_translations(corpora, translate, "en", "fr")
    assert sorted(calls) == ["en", "fr"]
    assert precision_at_1(lexicon["fr"], gold_lexicon()) > 0.7  # English words -> French
    assert precision_at_1(lexicon["en"], inverted_dictionary(gold_lexicon())) > 0.7  # French words -> English


def test_a_run_reads_its_lexicon_off_an_earlier_run(tiny_run, tmp_path):
    checkpoints, name = tiny_run
    config = load_config(
        None, [*TINY, f"back_translation.lexicon_from={checkpoints / name}", "back_translation.word_by_word_steps=5"]
    )
    run = TrainingRun(config, "en", "fr", tmp_path / "next", None)
    written = json.loads((run.run_dir / "lexicon.json").read_text(encoding="utf-8"))
    assert set(written) == {"en", "fr"} and len(written["fr"]) > 20 and len(written["en"]) > 20
    earlier = json.loads((checkpoints / name / "lexicon.json").read_text(encoding="utf-8"))
    assert written != earlier  # not the earlier run's own induced lexicon
    run.run(max_steps=6)  # its word-by-word steps translate with it
    assert (run.run_dir / "latest").is_file()


def test_refusals_are_one_line(tiny_run, tmp_path, capsys):
    checkpoints, name = tiny_run
    common = [
        "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--max-steps", "2",
        *TINY_CLI
    ]
    assert main([*common, "--run", "missing", "--set", "back_translation.lexicon_from=no-such-run"]) == 2
    assert "back_translation.lexicon_from" in capsys.readouterr().err
    german = tmp_path / "en-de"
    write_toy_corpus(german, "en", "fr", n_train=300, seed=0)
    for split in ("train", "valid", "test"):
        (german / f"{split}.fr").rename(german / f"{split}.de")
    other = [
        *common, "--run", "other-languages", "--data", str(german), "--tgt", "de", "--set",
        f"back_translation.lexicon_from={name}"
    ]
    assert main(other) == 2
    assert "translates en/fr" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="word_by_word_steps"):
        load_config(None, [f"back_translation.lexicon_from={name}", "back_translation.word_by_word_steps=0"])
