"""Files that say how big they are, lying: each reader checks the claim against the data before it allocates, and a
lie is one sentence (a user error), never a MemoryError, a numpy allocation failure or a parser's traceback."""
import json
import struct

import pytest
import torch
from safetensors.torch import save_file

from unmt.checkpoint import CheckpointError, load_weights
from unmt.cli import main
from unmt.data.vocab import Vocabulary
from unmt.errors import DataError
from unmt.export.fairseq_layout import read_dictionary
from unmt.export.output_folder import ExportError
from unmt.lexicon.vectors_io import VectorFileError, read_vectors
from unmt.tensor_state import load_state, save_state


@pytest.mark.parametrize("header, said", [
    ("1000000000 3", "header claims 1000000000 vectors but the file holds 2"),
    ("50 3", "header claims 50 vectors but the file holds 2"),
    ("2 1000000", "lying.vec:2: expected a word and 1000000 numbers, got 3"),  # read row by row: nothing allocated
], ids=["impossible-count", "plausible-count", "impossible-dimension"])
def test_a_vector_header_that_claims_more_than_the_file_holds_is_one_sentence(tmp_path, header, said):
    path = tmp_path / "lying.vec"
    path.write_text(f"{header}\nthe 0.1 0.2 0.3\ncat 0.4 0.5 0.6\n")
    with pytest.raises(VectorFileError, match=said):
        read_vectors(path)


def test_a_vector_header_that_lies_is_refused_by_the_command_in_one_line(tmp_path, capsys):
    (tmp_path / "lying.vec").write_text("1000000000 2\nthe 0.1 0.2\n")
    (tmp_path / "fine.vec").write_text("1 2\nle 0.1 0.2\n")
    code = main(["align", "--src-emb", str(tmp_path / "lying.vec"), "--tgt-emb", str(tmp_path / "fine.vec"),
                 "--src", "en", "--tgt", "fr", "--output", str(tmp_path / "aligned")])
    err = capsys.readouterr().err
    assert code == 2 and "header claims" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_a_vector_file_with_repeated_words_still_matches_its_header(tmp_path):
    (tmp_path / "twice.vec").write_text("3 2\nthe 0.1 0.2\nthe 0.3 0.4\ncat 0.5 0.6\n")
    vectors = read_vectors(tmp_path / "twice.vec")
    assert vectors.words == ["the", "cat"] and vectors.vectors[0].tolist() == pytest.approx([0.1, 0.2])


def safetensors_with_header(header: dict, payload: bytes = b"") -> bytes:
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + payload


@pytest.mark.parametrize(
    "content",
    [
        struct.pack("<Q", 10**12) + b"{}",  # a header length far beyond the file
        safetensors_with_header(
            {"w": {"dtype": "F32", "shape": [100000, 100000], "data_offsets": [0, 40_000_000_000]}}, b"\0" * 16
        ),
    ],
    ids=["header-length", "tensor-size"],
)
def test_a_safetensors_file_whose_header_lies_is_a_damaged_checkpoint(tmp_path, content):
    (tmp_path / "model.safetensors").write_bytes(content)
    with pytest.raises(CheckpointError, match="damaged"):
        load_weights(tmp_path / "model.safetensors")


def test_a_trainer_state_that_names_tensors_its_file_lacks_is_one_sentence(tmp_path):
    save_state({"step": 3, "moments": torch.zeros(4)}, tmp_path)
    structure = json.loads((tmp_path / "trainer.json").read_text())
    structure["dict"][1][1] = {"tensor": "trainer.not_there"}
    (tmp_path / "trainer.json").write_text(json.dumps(structure))
    with pytest.raises(CheckpointError, match="does not match"):
        load_state(tmp_path)


def test_a_trainer_state_that_is_no_structure_is_one_sentence(tmp_path):
    save_file({}, str(tmp_path / "trainer.safetensors"))
    (tmp_path / "trainer.json").write_text("[1, 2, 3]")
    with pytest.raises(CheckpointError, match="does not match"):
        load_state(tmp_path)


def test_a_subword_model_that_is_not_one_is_one_sentence(tmp_path):
    (tmp_path / "spm.model").write_bytes(b"\x0a\xff\xff\xff\xff\x0f not a model")
    with pytest.raises(DataError, match="not a SentencePiece model"):
        Vocabulary.load(tmp_path / "spm.model", ("en", "fr"))


def test_a_fairseq_dictionary_that_is_not_text_is_one_sentence(tmp_path):
    (tmp_path / "dict.en.txt").write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ExportError, match="not UTF-8"):
        read_dictionary(tmp_path / "dict.en.txt")
