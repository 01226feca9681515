"""Each sentence's output is capped by its own source length, so a line's translation never depends on the lines
that share its batch (unmt translate's batches of 64, unmt serve's dynamic ones, back-translation's). Checked on
models whose outputs run away, where the cap is what decides the output."""
import torch

from tests.test_transformer import LANG, tiny_model
from unmt.data.toy import generate_toy_corpus
from unmt.data.vocab import EOS
from unmt.translation.decode_options import DecodeOptions
from unmt.translation.model_io import load_translator
from unmt.translation.search import greedy_search, output_caps, search

SHORT, LONG = 3, 30


def short_and_long(seed=0):
    """A 3-token source padded in a batch with a 30-token one."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(6, 40, (2, LONG), generator=g)
    mask = torch.ones_like(src, dtype=torch.bool)
    mask[0, SHORT:] = False
    src[~mask] = 0
    return src, mask


def never_ending(rows: int) -> torch.Tensor:
    """An output restriction without EOS: every output runs to its cap, as a barely trained model's often do."""
    allowed = torch.ones(rows, 40, dtype=torch.bool)
    allowed[:, EOS] = False
    return allowed


def test_caps_follow_each_sentences_own_length():
    _, mask = short_and_long()
    assert output_caps(mask).tolist() == [int(SHORT * 1.5) + 5, int(LONG * 1.5) + 5]
    assert output_caps(mask, 2.0, 1, limit=40).tolist() == [SHORT * 2 + 1, 40]


def test_a_runaway_line_is_cut_at_its_own_cap_alone_and_beside_a_much_longer_line():
    model = tiny_model(1)
    src, mask = short_and_long()
    cap = int(SHORT * 1.5) + 5
    for options in (DecodeOptions(), DecodeOptions(beam=3, nbest=3)):
        together = search(model, src, mask, LANG, options, never_ending(2))
        alone = search(model, src[:1, :SHORT], mask[:1, :SHORT], LANG, options, never_ending(1))
        assert [ids for _, ids in together[0]] == [ids for _, ids in alone[0]]
        assert {len(ids) for _, ids in alone[0]} == {cap}  # it ran away: the cap decided
        assert {len(ids) for _, ids in together[1]} == {int(LONG * 1.5) + 5}  # the long line kept its longer cap
    sampled = search(model, src, mask, LANG, DecodeOptions(sampling=True, nbest=2), never_ending(2),
                     torch.Generator().manual_seed(0))
    assert [len(ids) for _, ids in sampled[0]] == [cap, cap]


def test_lines_that_end_keep_their_output_and_back_translation_caps_each_row():
    """Without the restriction this model ends some lines: those come out as they did alone, EOS and all."""
    model = tiny_model(2)
    src, mask = short_and_long(seed=3)
    together = greedy_search(model, src, mask, torch.tensor([LANG, LANG]))  # back-translation's call
    alone = greedy_search(model, src[:1, :SHORT], mask[:1, :SHORT], LANG)
    assert together[0] == alone[0] and len(together[0]) <= int(SHORT * 1.5) + 5


def test_a_barely_trained_run_translates_each_line_alone_as_in_a_batch_of_64(tiny_run):
    checkpoints, name = tiny_run
    translator, _ = load_translator(checkpoints / name)
    corpus = generate_toy_corpus(10, 10, 40, seed=5)
    lines = sorted(corpus.test_en, key=len)[:20] + [" ".join(corpus.test_en[:6])]  # short ones, and a long one
    for options in (DecodeOptions(), DecodeOptions(beam=3)):
        batched = translator.translate_hypotheses(lines, "fr", options)
        alone = [translator.translate_hypotheses([line], "fr", options)[0] for line in lines[:20]]
        assert [h[0].text for h in batched[:20]] == [h[0].text for h in alone]
    caps = [int((len(translator.vocab.encode(line)) + 1) * 1.5) + 5 for line in lines[:20]]
    greedy = translator.translate_hypotheses(lines[:20], "fr", DecodeOptions())
    assert any(h[0].tokens == cap for h, cap in zip(greedy, caps)), "no line ran to its cap: the test shows nothing"
