"""Lines longer than the model's input: cut into word-aligned pieces, every subword translated, one line out."""
import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from unmt.translation.model_io import load_translator


def test_a_very_long_line_is_translated_in_pieces(tiny_run, caplog):
    checkpoints, name = tiny_run
    translator, _ = load_translator(checkpoints / name)
    long_line = " ".join(["the small cat sees Marie ."] * 200)  # far above max_input_len subwords
    assert len(translator.vocab.encode(long_line)) > 3 * translator.max_input_len
    with caplog.at_level(logging.WARNING, logger="unmt"):
        out = translator.translate(["Marie .", long_line, ""], "fr")
    assert len(out) == 3 and out[2] == ""
    assert "line 2 is longer than" in caplog.text and "pieces" in caplog.text
    short = translator.translate(["the small cat sees Marie ."], "fr")[0]
    assert len(out[1]) > 3 * len(short)  # every piece came back, not just the first


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=299), max_size=700))
def test_split_long_keeps_every_subword_in_order(tiny_run, ids):
    checkpoints, name = tiny_run
    translator, _ = load_translator(checkpoints / name)
    pieces = translator.split_long(ids)
    assert [i for piece in pieces for i in piece] == ids
    assert all(0 < len(piece) <= translator.max_input_len for piece in pieces if ids)

