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
