"""Teacher-forced passes by length: rows of very different lengths go through separate passes, and splitting changes
neither the losses, nor their gradients, nor the encoder states the adversarial term sees."""
import random

import pytest
import torch

from unmt.models.transformer import Transformer, TransformerConfig
from unmt.translation import objectives
from unmt.translation.objectives import LossGroup, length_passes, sequence_losses

LANG_IDS = {"en": 5, "fr": 6}


def test_alike_lengths_share_one_pass():
    assert length_passes([10, 11, 9, 10], [12, 10, 11, 12]) == [[0, 1, 2, 3]]


def test_short_and_long_rows_are_cut_apart_and_every_row_is_in_exactly_one_pass():
    short, long = [4] * 20, [30] * 20
    sources = [length for pair in zip(short, long) for length in pair]  # interleaved: 4, 30, 4, 30, ...
    passes = length_passes(sources, sources)
    assert len(passes) == 2
    assert sorted(i for p in passes for i in p) == list(range(40))
    assert {frozenset(sources[i] for i in p) for p in passes} == {frozenset([4]), frozenset([30])}


def test_passes_stay_within_the_limit_however_spread_the_lengths():
    lengths = [2 ** (i % 8) for i in range(64)]
    passes = length_passes(lengths, lengths)
    assert 1 < len(passes) <= objectives.MAX_PASSES
    assert sorted(i for p in passes for i in p) == list(range(64))


def _groups(seed: int) -> list[LossGroup]:
    rng = random.Random(seed)

    def rows(n, low, high):
        return [[rng.randrange(8, 60) for _ in range(rng.randint(low, high))] for _ in range(n)]

    short_en, long_fr = rows(12, 2, 5), rows(6, 18, 25)
    return [
        LossGroup("ae_en", rows(12, 2, 5), short_en, "en", "en", 1.0, fools=True),
        LossGroup("ae_fr", rows(6, 18, 25), long_fr, "fr", "fr", 1.0, fools=True),
        LossGroup("bt_fr_en", rows(12, 2, 6), short_en, "fr", "en", 0.5),
        LossGroup("bt_en_fr", rows(6, 17, 26), long_fr, "en", "fr", 0.5),
    ]


def _losses_and_gradients(model, groups):
    model.zero_grad(set_to_none=True)
    computed = sequence_losses(model, groups, LANG_IDS, torch.device("cpu"), label_smoothing=0.1)
    sum(g.weight * loss for g, loss in zip(groups, computed.losses)).backward()
    gradients = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    return computed, gradients


def test_split_passes_give_the_losses_gradients_and_states_of_one_pass(monkeypatch):
    torch.manual_seed(0)
    model = Transformer(
        TransformerConfig(vocab_size=64, d_model=32, n_heads=2, encoder_layers=1, decoder_layers=1, ffn_dim=64)
    )
    groups = _groups(seed=1)
    split, split_gradients = _losses_and_gradients(model, groups)
    assert len(split.passes) > 1  # short English and long French rows do not share a pass
    monkeypatch.setattr(objectives, "MAX_PASSES", 1)
    whole, whole_gradients = _losses_and_gradients(model, groups)
    assert len(whole.passes) == 1
    assert split.tokens == whole.tokens
    for a, b in zip(split.losses, whole.losses):
        assert a.item() == pytest.approx(b.item(), rel=1e-5)
    assert split_gradients.keys() == whole_gradients.keys()
    for name in whole_gradients:
        torch.testing.assert_close(split_gradients[name], whole_gradients[name], rtol=1e-4, atol=1e-6)
    # the fooling rows' real states, each with the row it came from, are the same set either way
    fooling_rows, _ = objectives.fooling_rows(groups)
    ordered = []
    for computed in (split, whole):
        states, owners = computed.source_states(fooling_rows)
        assert len(states) == sum(len(r) + 1 for g in groups if g.fools for r in g.source)
        ordered.append(states[torch.argsort(owners, stable=True)])
    torch.testing.assert_close(ordered[0], ordered[1], rtol=1e-5, atol=1e-6)
