"""n-best lists and their scores agree with force-decoding (`unmt score`), for the torch and CTranslate2 engines.

On the small trained toy run of the export tests (an untrained model's outputs run to the length cap, and a
hypothesis cut there has no EOS in its score, where force-decoding counts one)."""
import math

import pytest

from tests.export_toy_run import trained_toy_run
from unmt.cli import main
from unmt.translation.decode_options import DecodeOptions
from unmt.translation.model_io import load_translator
from unmt.translation.scoring import score_lines

pytestmark = pytest.mark.slow  # the toy run trains once per session, shared with the export tests

LINES = ["Marie sees the small red car .", "Paul walks to the house .", "", "the dog eats the big apple ."]


@pytest.fixture(scope="module")
def translator(tmp_path_factory):
    return load_translator(trained_toy_run(tmp_path_factory))[0]


@pytest.fixture(scope="module")
def ct2_translator(tmp_path_factory):
    pytest.importorskip("ctranslate2")
    from unmt.export.ct2_translator import CTranslate2Translator

    out = tmp_path_factory.mktemp("ct2") / "model"
    assert main(["--quiet", "export", str(trained_toy_run(tmp_path_factory)), "--format", "ctranslate2", str(out)]) == 0
    return CTranslate2Translator(out, threads=1)


def check_nbest_against_scores(engine, beam: int, nbest: int, lenpen: float = 1.0):
    options = DecodeOptions(beam=beam, nbest=nbest, lenpen=lenpen).check()
    found = engine.translate_hypotheses(LINES, "fr", options)
    best = engine.translate_hypotheses(LINES, "fr", DecodeOptions(beam=beam, lenpen=lenpen).check())
    # the first of the n-best is the 1-best output under the same length penalty
    assert [hypotheses[0].text for hypotheses in found] == [hypotheses[0].text for hypotheses in best]
    assert found[2] == [("", 0.0, 0)]  # an empty line
    sources = [engine.vocab.encode(line) for line in LINES if line]
    searched = engine.search_ids(sources, "fr", options)
    compared = 0
    for line, src, hypotheses in zip([line for line in LINES if line], sources, searched):
        assert 1 <= len(hypotheses) <= nbest
        ended = [(score, ids) for score, ids in hypotheses if len(ids) < cap(src)]
        scores = [score for score, _ in ended]  # hypotheses cut at the length cap follow the ended ones
        assert scores == sorted(scores, reverse=True) and all(s < 0 for s, _ in hypotheses)
        forced = engine.score_ids([src] * len(ended), [ids for _, ids in ended], "fr")
        for (score, ids), log_prob in zip(ended, forced):
            assert math.isclose(score, log_prob / (len(ids) + 1) ** lenpen, abs_tol=1e-4), (line, ids, score, log_prob)
        # `unmt score` reads text: the same score wherever the text encodes back into the subwords searched
        texts = [engine.vocab.decode(ids) for _, ids in ended]
        for (score, ids), text, value in zip(
            ended, texts, score_lines(engine, [line] * len(texts), texts, "fr", lenpen)
        ):
            if engine.vocab.encode(text) == ids:
                assert math.isclose(score, value, abs_tol=1e-4)
                compared += 1
    assert compared >= len(sources)  # at least as many as there are lines: the model ends its translations


def cap(src: list[int]) -> int:
    """The length cap of a sentence: its own, whatever else its batch holds."""
    return int((len(src) + 1) * 1.5) + 5


def test_torch_beam_nbest_scores_equal_forced_scores(translator):
    check_nbest_against_scores(translator, beam=4, nbest=4)
    check_nbest_against_scores(translator, beam=3, nbest=2, lenpen=0.6)


def test_torch_greedy_score_equals_forced_score(translator):
    check_nbest_against_scores(translator, beam=1, nbest=1)


def test_ctranslate2_nbest_scores_equal_its_forced_scores_and_torchs(translator, ct2_translator):
    check_nbest_against_scores(ct2_translator, beam=4, nbest=3)
    check_nbest_against_scores(ct2_translator, beam=1, nbest=1)
    ours = translator.translate_nbest(LINES, "fr", nbest=3, beam_size=4)
    theirs = ct2_translator.translate_nbest(LINES, "fr", nbest=3, beam_size=4)
    for a, b in zip(ours, theirs):
        assert a[0][0] == b[0][0] and math.isclose(a[0][1], b[0][1], abs_tol=1e-4)


def test_translate_nbest_contract(translator):
    out = translator.translate_nbest(LINES, "fr", nbest=2, beam_size=4)
    assert len(out) == len(LINES) and out[2] == [("", 0.0)]
    assert all(isinstance(text, str) and isinstance(score, float) for pairs in out for text, score in pairs)
    assert [pairs[0][0] for pairs in out] == translator.translate(LINES, "fr", beam_size=4)


def test_a_long_line_joins_its_pieces_and_sums_their_scores(translator):
    saved, translator.max_input_len = translator.max_input_len, 5
    try:
        line = LINES[0] + " " + LINES[1]
        pieces = translator.split_long(translator.vocab.encode(line))
        [[(text, score)]] = translator.translate_nbest([line], "fr", nbest=1, beam_size=2)
        found = translator.search_ids(pieces, "fr", DecodeOptions(beam=2))
    finally:
        translator.max_input_len = saved
    assert len(pieces) > 1
    assert math.isclose(score, sum(hypotheses[0][0] for hypotheses in found), abs_tol=1e-6)
    assert text == " ".join(t for t in (translator.vocab.decode(h[0][1]) for h in found) if t)


def test_true_pairs_outscore_shuffled_ones(translator, tmp_path_factory):
    run = trained_toy_run(tmp_path_factory)
    source = (run / "data" / "test.en").read_text().splitlines()[:100]
    target = (run / "data" / "test.fr").read_text().splitlines()[:100]
    shuffled = target[1:] + target[:1]  # every line paired with the next one's translation
    true_scores, false_scores = (
        score_lines(translator, source, target, "fr"),
        score_lines(translator, source, shuffled, "fr"),
    )
    right = sum(a > b for a, b in zip(true_scores, false_scores)) / len(source)
    assert right > 0.8
