import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from unmt.translation.model_io import load_translator
from unmt.translation.streaming import translate_stream


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_any_bytes_in_gives_one_line_out_per_line_in(tiny_run, data):
    checkpoints, name = tiny_run
    translator, _ = load_translator(checkpoints / name)
    out = io.StringIO()
    count = translate_stream(translator, io.BytesIO(data), out, "fr", chunk_lines=3)
    expected = len(io.BytesIO(data).readlines())
    assert count == expected
    assert out.getvalue().count("\n") == expected
    for line_in, line_out in zip(io.BytesIO(data).readlines(), out.getvalue().split("\n")):
        if not line_in.strip():
            assert line_out == ""


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200))
def test_translate_command_on_random_bytes(tiny_run, monkeypatch, capsys, data):
    """The whole `unmt translate` command, stdin as raw bytes: exit 0 and one output line per input line."""
    import sys

    from unmt.cli import main

    checkpoints, name = tiny_run
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    capsys.readouterr()
    assert main(["--quiet", "--checkpoints-dir", str(checkpoints), "translate", "--checkpoint", name]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == len(io.BytesIO(data).readlines())


def test_invalid_utf8_is_replaced_with_one_warning_naming_the_lines(tiny_run, caplog):
    import logging

    checkpoints, name = tiny_run
    translator, _ = load_translator(checkpoints / name)
    out = io.StringIO()
    with caplog.at_level(logging.WARNING, logger="unmt"):
        count = translate_stream(
            translator, io.BytesIO(b"Marie .\n\xff bad\nPaul .\n\xfe\xfd\n"), out, "fr", chunk_lines=2
        )
    assert count == 4 and out.getvalue().count("\n") == 4
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "lines 2, 4" in warnings[0].getMessage()
