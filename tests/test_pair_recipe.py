"""`pair` settings: the lexicon and embedding alignment methods chosen from what the corpora share. A pair in one
alphabet (toy English-French) gets self-learning seeded by its identical words; the same French written in
Cyrillic shares too few words to seed it and gets the fully unsupervised method; settings given by name stay."""
import json

from tests.conftest import TINY
from tests.test_pair_signals import corpora
from unmt.cli import main
from unmt.config import load_config
from unmt.lexicon.pair_signals import pair_signals
from unmt.translation.pair_recipe import resolve_pair_settings


def test_the_choice_follows_the_shared_words():
    english, french, cyrillic = corpora()
    pair = load_config(overrides=["back_translation.lexicon_method=pair", "pretraining.init_embeddings=pair"])
    same, same_choice = resolve_pair_settings(pair, pair_signals(english, french))
    other, other_choice = resolve_pair_settings(pair, pair_signals(english, cyrillic))
    assert (same.back_translation.lexicon_method, same.pretraining.init_embeddings) == ("identical_self_learning",) * 2
    assert (other.back_translation.lexicon_method, other.pretraining.init_embeddings) == ("self_learning",) * 2
    assert set(same_choice["settings"]) == {"back_translation.lexicon_method", "pretraining.init_embeddings"}
    assert "shared words" in same_choice["reason"] and same_choice["reason"] != other_choice["reason"]


def test_settings_given_by_name_are_left_alone():
    english, _, cyrillic = corpora()
    named = load_config(overrides=["back_translation.lexicon_method=anchors", "pretraining.init_embeddings=pair"])
    resolved, choice = resolve_pair_settings(named, pair_signals(english, cyrillic))
    assert resolved.back_translation.lexicon_method == "anchors"
    assert resolved.pretraining.init_embeddings == "self_learning"
    assert list(choice["settings"]) == ["pretraining.init_embeddings"]
    untouched, nothing = resolve_pair_settings(load_config(), pair_signals(english, cyrillic))
    assert untouched == load_config() and nothing == {}


def test_a_run_on_a_pair_in_two_alphabets_chooses_and_records_the_unseeded_method(tmp_path):
    english, _, cyrillic = corpora()
    data = tmp_path / "data"
    data.mkdir()
    for lang, lines in (("en", english), ("ru", cyrillic)):  # a third of the corpus: skip-gram training is the cost
        (data / f"train.{lang}").write_text("\n".join(lines[:500]) + "\n", encoding="utf-8")
    checkpoints = tmp_path / "ck"
    assert (
        main([
            "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "ru", "--data",
            str(data), "--run", "r", "--max-steps", "2", *TINY, "--set", "back_translation.lexicon_method=pair",
            "--set", "pretraining.init_embeddings=pair", "--set", "back_translation.word_by_word_steps=2"
        ])
        == 0
    )
    run = checkpoints / "r"
    setup = json.loads((run / "metrics.jsonl").read_text().splitlines()[0])
    chosen = setup["pair"]["chosen"]
    assert chosen["settings"] == {
        "back_translation.lexicon_method": "self_learning",
        "pretraining.init_embeddings": "self_learning",
    }
    lexicon = json.loads((run / "lexicon.json").read_text(encoding="utf-8"))
    assert lexicon["ru"] and lexicon["en"]  # a lexicon was induced both ways with the chosen method
    assert "pair" in (run / "config.yaml").read_text()  # the run keeps what was asked; the setup line says what it got
