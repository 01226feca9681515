"""experiments/class_profiles.py: matching a class's members across languages by the company they keep, through a
context dictionary: right when the dictionary is right, wrong when it is scrambled."""
import json
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # experiments/
from class_profiles import SENTENCE, greedy_matching, main, match_class  # noqa: E402
from lexical_confusions import CLASSES  # noqa: E402

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

COLOURS = CLASSES["colours"]
# each colour describes its own things; the French side writes the noun first, as French does
THINGS = {
    "red": [("apple", "pomme"), ("fire", "feu")],
    "blue": [("sky", "ciel"), ("sea", "mer")],
    "green": [("grass", "herbe"), ("leaf", "feuille")],
    "black": [("night", "nuit"), ("coal", "charbon")],
    "white": [("snow", "neige"), ("milk", "lait")],
    "yellow": [("banana", "banane"), ("sun", "soleil")],
    "orange": [("carrot", "carotte"), ("pumpkin", "citrouille")],
    "pink": [("flamingo", "flamant"), ("candy", "bonbon")],
    "brown": [("bear", "ours"), ("mud", "boue")],
    "purple": [("grape", "raisin"), ("plum", "prune")],
    "gray": [("rock", "rocher"), ("mouse", "souris")],
}
FILLERS = [("man", "homme"), ("woman", "femme"), ("dog", "chien"), ("street", "rue")]


def corpora(seed: int) -> tuple[list[list[str]], list[list[str]]]:
    """Different sentences on each side (separate random draws), one colour each, beside its things and a filler."""
    rng = random.Random(seed)
    english, french = [], []
    for side in (english, french):
        for _ in range(600):
            index = rng.randrange(len(COLOURS))
            (en_forms, fr_forms), name = COLOURS[index], sorted(COLOURS[index][0])[0]
            thing, filler = rng.choice(THINGS[name]), rng.choice(FILLERS)
            if side is english:
                side.append(["a", filler[0], "sees", "the", sorted(en_forms)[0], thing[0]])
            else:
                side.append(["un", filler[1], "voit", "le", thing[1], sorted(fr_forms)[0]])
    return english, french


def right_dictionary() -> dict[str, set[str]]:
    pairs = [pair for things in THINGS.values() for pair in things] + FILLERS
    return {en: {fr} for en, fr in pairs}


def test_the_right_context_dictionary_tells_every_colour_apart():
    english, french = corpora(seed=0)
    outcome = match_class(COLOURS, english, french, right_dictionary(), window=3)
    assert outcome["nearest_right"] == outcome["matching_right"] == len(COLOURS)
    assert all(rank == 1 for rank in outcome["own_rank"].values())


def test_a_scrambled_context_dictionary_does_not():
    english, french = corpora(seed=0)
    dictionary = right_dictionary()
    words = sorted(dictionary)
    translations = [dictionary[w] for w in words]
    random.Random(1).shuffle(translations)
    outcome = match_class(COLOURS, english, french, dict(zip(words, translations)), window=SENTENCE)
    assert outcome["matching_right"] <= 4


def test_greedy_matching_is_one_to_one_best_pair_first():
    assert greedy_matching([[0.9, 0.8], [0.85, 0.1]]) == {0: 0, 1: 1}
    assert greedy_matching([[0.5, 0.9], [0.4, 0.95]]) == {1: 1, 0: 0}


def test_the_script_writes_its_json_and_refuses_a_missing_dictionary(tmp_path, capsys):
    english, french = corpora(seed=2)
    data = tmp_path / "data"
    data.mkdir()
    for lang, sentences in (("en", english), ("fr", french)):
        (data / f"train.{lang}").write_text("\n".join(" ".join(s) for s in sentences) + "\n", encoding="utf-8")
    dictionary = tmp_path / "dictionary.txt"
    dictionary.write_text(
        "".join(f"{en} {fr}\n" for en, frs in right_dictionary().items() for fr in frs), encoding="utf-8"
    )
    out = tmp_path / "profiles.json"
    assert (
        main(["--data", str(data), "--dictionary", str(dictionary), "--gold", str(dictionary), "--out", str(out)]) == 0
    )
    result = json.loads(out.read_text())
    assert result["dictionary"]["right"] == 1.0
    assert result["classes"]["colours"]["window 3"]["matching_right"] == len(COLOURS)
    assert main(["--data", str(data), "--dictionary", str(tmp_path / "none.txt"), "--out", str(out)]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_the_context_dictionary_can_come_from_a_runs_own_translations(tiny_run, tmp_path):
    checkpoints, name = tiny_run
    run = checkpoints / name
    out = tmp_path / "profiles.json"
    assert main(["--data", str(run / "data"), "--dictionary-from-run", str(run), "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["dictionary"]["words"] > 0 and set(result["classes"]) == set(CLASSES)
    assert (
        main(["--data", str(run / "data"), "--dictionary-from-run", str(tmp_path / "no-run"), "--out", str(out)]) == 2
    )
