"""The data scripts for any Multi30k pair: the unsupervised split (source = first half, target = second half),
its refusals, and the IBM Model 1 test dictionary (scoring only) for a pair other than English-French."""
import subprocess
import sys
from pathlib import Path

import pytest

from unmt.lexicon.evaluation import read_dictionary

RAW = Path(__file__).resolve().parents[2] / "shared" / "data" / "multi30k"
PREPARE = [sys.executable, "data_scripts/prepare_multi30k.py"]


def write_raw(directory: Path, languages=("en", "fr", "cs"), n: int = 10) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for split in ("train", "val", "test_2016_flickr"):
        for lang in languages:
            lines = [f"{split} {lang} line {i}" for i in range(n)]
            (directory / f"{split}.{lang}").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_any_target_language_gets_the_second_half(tmp_path):
    write_raw(tmp_path / "raw")
    subprocess.run(
        [*PREPARE, str(tmp_path / "raw"), str(tmp_path / "out"), "--tgt", "cs"], check=True, capture_output=True
    )
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "test.cs", "test.en", "train.cs", "train.en", "valid.cs", "valid.en"
    ]
    assert (out / "train.en").read_text().splitlines() == [f"train en line {i}" for i in range(5)]
    assert (out / "train.cs").read_text().splitlines() == [f"train cs line {i}" for i in range(5, 10)]
    assert (out / "valid.cs").read_text().splitlines() == [f"val cs line {i}" for i in range(5, 10)]
    assert (out / "test.cs").read_text().splitlines() == [f"test_2016_flickr cs line {i}" for i in range(10)]


def test_the_default_pair_is_still_english_french(tmp_path):
    write_raw(tmp_path / "raw")
    subprocess.run(
        [*PREPARE, str(tmp_path / "raw"), str(tmp_path / "out"), "--parallel"], check=True, capture_output=True
    )
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["parallel.en", "parallel.fr", "test.en", "test.fr", "train.en", "train.fr", "valid.en", "valid.fr"]
    assert (tmp_path / "out" / "train.fr").read_text().splitlines()[0] == "train fr line 5"


@pytest.mark.parametrize(
    "extra, phrase",
    [(["--tgt", "de"], "missing"), (["--tgt", "en"], "both 'en'"), (["--tgt", "cs", "--short"], "not parallel")],
)
def test_refusals_are_one_line(tmp_path, extra, phrase):
    write_raw(tmp_path / "raw")
    if "--short" in extra:
        extra = extra[:-1]
        (tmp_path / "raw" / "train.cs").write_text("only one line\n", encoding="utf-8")
    result = subprocess.run(
        [*PREPARE, str(tmp_path / "raw"), str(tmp_path / "out"), *extra], capture_output=True, text=True
    )
    assert result.returncode == 2 and phrase in result.stderr and "Traceback" not in result.stderr


def test_test_dictionary_for_another_pair(tmp_path):
    english = ["a dog runs", "a cat sleeps", "the dog sleeps", "the cat runs"] * 10
    czech = ["pes běží", "kočka spí", "pes spí", "kočka běží"] * 10
    (tmp_path / "train.en").write_text("\n".join(english) + "\n", encoding="utf-8")
    (tmp_path / "train.cs").write_text("\n".join(czech) + "\n", encoding="utf-8")
    command = [
        sys.executable, "data_scripts/build_test_dictionary.py", str(tmp_path / "train.en"), str(tmp_path / "train.cs"),
        str(tmp_path / "en-cs.txt"), "--lowercase"
    ]
    subprocess.run(command, check=True, capture_output=True)
    gold = read_dictionary(tmp_path / "en-cs.txt")
    assert (
        gold["dog"] == {"pes"} and gold["cat"] == {"kočka"} and gold["sleeps"] == {"spí"} and gold["runs"] == {"běží"}
    )


@pytest.mark.skipif(not (RAW / "train.cs").is_file(), reason="../shared/data/multi30k has no Czech on this machine")
def test_english_czech_split_of_the_real_files(tmp_path):
    subprocess.run([*PREPARE, str(RAW), str(tmp_path), "--tgt", "cs"], check=True, capture_output=True)
    raw_en, raw_cs = ((RAW / f"train.{lang}").read_text(encoding="utf-8").splitlines() for lang in ("en", "cs"))
    assert (tmp_path / "train.en").read_text(encoding="utf-8").splitlines() == raw_en[:14500]
    assert (tmp_path / "train.cs").read_text(encoding="utf-8").splitlines() == raw_cs[14500:]
    assert len((tmp_path / "test.cs").read_text(encoding="utf-8").splitlines()) == 1000
