"""data_scripts/convert_dictionary.py on small hand-made dictd and TEI files: every candidate kept in order,
labels and notes dropped, malformed input refused in one sentence with nothing written."""
import gzip
import subprocess
import sys

import pytest

CONVERT = [sys.executable, "data_scripts/convert_dictionary.py"]
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

ENTRIES = [  # (headword, body) as FreeDict's dictd files hold them
    ("00databaseinfo", "Maintainer: someone\n"),
    ("dog", "dog /dɔg/\nchien, clébard\n"),
    ("run", "run /rʌn/\n1. fonctionner\n2. fuite\n3. s'élancer, se précipiter\n4. courir\n"),
    ("dog", "dog <n>\n [zool] toutou (fam.)\nNote: dog/dogs\n"),
    ("ice cream", "ice cream\nglace\n"),
    ("cauliflower", "cauliflower\nchou\u2010fleur\n"),
]


def number(value: int) -> str:
    digits = ""
    while True:
        digits = BASE64[value % 64] + digits
        value //= 64
        if not value:
            return digits


def write_dictd(folder, entries=ENTRIES, compress=True):
    data, index = b"", []
    for headword, body in entries:
        encoded = body.encode("utf-8")
        index.append(f"{headword}\t{number(len(data))}\t{number(len(encoded))}")
        data += encoded
    (folder / "x-y.index").write_text("\n".join(index) + "\n", encoding="utf-8")
    (folder / ("x-y.dict.dz" if compress else "x-y.dict")).write_bytes(gzip.compress(data) if compress else data)
    return folder / "x-y.index"


def convert(*args):
    return subprocess.run(CONVERT + [str(a) for a in args], capture_output=True, text=True)


@pytest.mark.parametrize("compress", [True, False])
def test_dictd_keeps_every_single_word_candidate_in_order(tmp_path, compress):
    index = write_dictd(tmp_path, compress=compress)
    result = convert(index, tmp_path / "out.txt")
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "out.txt").read_text(encoding="utf-8").splitlines()
    assert lines == ["dog chien", "dog clébard", "run fonctionner", "run fuite", "run s'élancer", "run courir",
                     "dog toutou", "cauliflower chou-fleur"]
    assert "1 multi-word headwords, 1 multi-word translations" in result.stdout  # ice cream; se précipiter


def test_tei_in_both_freedict_layouts(tmp_path):
    (tmp_path / "new.tei").write_text(
        '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>'
        '<entry><form><orth>Dog</orth></form><sense><cit type="trans"><quote>Chien</quote></cit>'
        '<cit type="trans"><quote>clébard</quote></cit><cit type="example"><quote>a dog</quote></cit></sense></entry>'
        '<entry><form><orth>red</orth></form><sense><cit type="trans"><quote>rouge</quote></cit></sense></entry>'
        "</body></text></TEI>", encoding="utf-8")
    (tmp_path / "old.tei").write_text(
        "<TEI.2><text><body><entry><form><orth>cat</orth></form><trans><tr>chat</tr></trans></entry></body></text></TEI.2>",
        encoding="utf-8")
    assert convert(tmp_path / "new.tei", tmp_path / "new.txt", "--lowercase").returncode == 0
    assert (tmp_path / "new.txt").read_text(encoding="utf-8").splitlines() == ["dog chien", "dog clébard", "red rouge"]
    assert convert(tmp_path / "old.tei", tmp_path / "old.txt").returncode == 0
    assert (tmp_path / "old.txt").read_text(encoding="utf-8").splitlines() == ["cat chat"]


def corrupt_field_count(folder):
    index = write_dictd(folder)
    index.write_text(index.read_text() + "broken line without tabs\n")
    return index, "expected 'headword<TAB>offset<TAB>length'"


def corrupt_offset(folder):
    index = write_dictd(folder)
    index.write_text(index.read_text() + "cat\tBAAA\tZ\n")
    return index, "points past the end"


def corrupt_number(folder):
    index = write_dictd(folder)
    index.write_text(index.read_text() + "cat\tB!\tZ\n")
    return index, "not a dictd base64 number"


def corrupt_compression(folder):
    index = write_dictd(folder)
    (folder / "x-y.dict.dz").write_bytes(b"not gzip at all")
    return index, "not a dictzip/gzip file"


def missing_data_file(folder):
    index = write_dictd(folder)
    (folder / "x-y.dict.dz").unlink()
    return index, "side by side"


def broken_xml(folder):
    (folder / "x.tei").write_text("<TEI><text><body><entry><orth>dog</orth>", encoding="utf-8")
    return folder / "x.tei", "not well-formed XML"


def no_pairs(folder):
    return write_dictd(folder, [("ice cream", "ice cream\nune glace\n")]), "holds no single-word translation pairs"


@pytest.mark.parametrize("corrupt", [corrupt_field_count, corrupt_offset, corrupt_number, corrupt_compression,
                                     missing_data_file, broken_xml, no_pairs])
def test_malformed_input_is_one_sentence_and_nothing_is_written(tmp_path, corrupt):
    source, message = corrupt(tmp_path)
    output = tmp_path / "out.txt"
    output.write_text("an earlier conversion\n")
    result = convert(source, output)
    assert result.returncode == 2
    assert (
        message in result.stderr and len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    )
    assert output.read_text() == "an earlier conversion\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("out")) == ["out.txt"]
