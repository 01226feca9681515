"""Sampling, the length limits, the repetition ban and token batching of `unmt translate`'s search options."""
import pytest
import torch

from unmt.config import ConfigError
from unmt.data.vocab import EOS
from unmt.translation.batching import length_batches
from unmt.translation.decode_options import DecodeOptions, resolve_device
from unmt.translation.model_io import load_translator
from unmt.translation.search_controls import repeated_ngram_ends, sample

LINES = ["Marie sees the small red car .", "Paul walks to the house .", "the dog eats the big apple ."]


@pytest.fixture(scope="module")
def translator(tiny_run):
    checkpoints, name = tiny_run
    return load_translator(checkpoints / name)[0]


def texts(translator, options, lines=LINES):
    found = translator.translate_hypotheses(lines, "fr", options, generator=translator.generator(options))
    return [[h.text for h in hypotheses] for hypotheses in found]


def test_sampling_with_a_seed_is_reproducible_and_without_varies(translator):
    options = DecodeOptions(sampling=True, nbest=3, seed=7, temperature=1.5).check()
    first, again = texts(translator, options), texts(translator, options)
    assert first == again and all(len(samples) == 3 for samples in first)
    other = texts(translator, DecodeOptions(sampling=True, nbest=3, seed=8, temperature=1.5).check())
    assert other != first  # another seed, other draws (at temperature 1.5 on an untrained model, surely)


def test_top_k_1_sampling_is_greedy(translator):
    sampled = texts(translator, DecodeOptions(sampling=True, topk=1, seed=3, temperature=2.0).check())
    assert [s[0] for s in sampled] == translator.translate(LINES, "fr")


def test_top_p_keeps_the_likeliest_subword_and_the_nucleus_only():
    logits = torch.tensor([[3.0, 2.0, 0.0, -1.0]])
    generator = torch.Generator().manual_seed(0)
    draws = {sample(logits, 1.0, generator, top_p=0.01).item() for _ in range(50)}
    assert draws == {0}  # a nucleus smaller than the likeliest subword's mass still holds it
    draws = {sample(logits, 1.0, generator, top_p=0.9).item() for _ in range(300)}
    assert draws == {0, 1}  # 0.67 + 0.24 reach 0.9: the other two are outside
    assert {sample(logits, 1.0, generator, top_k=2).item() for _ in range(300)} == {0, 1}


def test_repeated_ngram_ends():
    assert repeated_ngram_ends([[5, 6, 5]], 2) == [(0, 6)]  # "5 6" seen: after 5, 6 would repeat it
    assert repeated_ngram_ends([[5, 6, 7], [4]], 1) == [(0, 5), (0, 6), (0, 7), (1, 4)]
    assert repeated_ngram_ends([[5, 6]], 3) == []


@pytest.mark.parametrize("beam", [1, 3])
def test_no_repeat_ngram_and_length_limits_hold(translator, beam):
    rows = [translator.vocab.encode(line) for line in LINES]
    for ids_list in translator.search_ids(rows, "fr", DecodeOptions(beam=beam, no_repeat_ngram_size=1)):
        ids = ids_list[0][1]
        assert len(ids) == len(set(ids))  # no subword twice
    capped = translator.search_ids(rows, "fr", DecodeOptions(beam=beam, max_len_a=0, max_len_b=3))
    assert all(len(h[0][1]) <= 3 for h in capped)
    long = translator.search_ids(rows, "fr", DecodeOptions(beam=beam, min_len=12))
    assert all(len(h[0][1]) >= 12 and EOS not in h[0][1] for h in long)


def test_defaults_are_todays_search(translator):
    """The options' defaults decode exactly as the plain beam/greedy entry points do."""
    for beam in (1, 4):
        rows = [translator.vocab.encode(line) for line in LINES]
        assert [
            h[0][1] for h in translator.search_ids(rows, "fr", DecodeOptions(beam=beam))
        ] == translator.translate_ids(rows, "fr", beam)


def test_length_batches():
    rows = [[1] * n for n in (5, 1, 3, 3, 9)]
    assert length_batches(rows, 2) == [[1, 2], [3, 0], [4]]  # shortest first, two a batch
    # tokens as padded, EOS included: 2 x 4 = 8 fit in 10; a third row of 4 (12) does not, nor two of 6 or 10
    assert length_batches(rows, None, 10) == [[1, 2], [3], [0], [4]]
    assert length_batches(rows, 2, 100) == length_batches(rows, 2)
    assert length_batches(rows, None, 100) == [[1, 2, 3, 0, 4]]


@pytest.mark.parametrize("options, message", [
    (DecodeOptions(beam=2, nbest=3), "larger than --beam"),
    (DecodeOptions(sampling=True, beam=2), "leave --beam at 1"),
    (DecodeOptions(topk=5), "only with --sampling"),
    (DecodeOptions(sampling=True, topp=0), "sampling-topp"),
    (DecodeOptions(max_len_a=0, max_len_b=0), "no output"),
])
def test_bad_options_are_refused_in_one_sentence(options, message):
    with pytest.raises(ConfigError, match=message):
        options.check()


def test_devices():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigError, match="not a device"):
        resolve_device("gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            resolve_device("cuda:0")
