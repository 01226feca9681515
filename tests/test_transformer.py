import torch

from unmt.data.vocab import EOS
from unmt.models.transformer import Transformer, TransformerConfig
from unmt.translation.search import beam_search, greedy_search

LANG = 5


def tiny_model(seed=0):
    torch.manual_seed(seed)
    config = TransformerConfig(
        vocab_size=40, d_model=32, n_heads=4, encoder_layers=2, decoder_layers=2, ffn_dim=64, dropout=0.0
    )
    return Transformer(config).eval()


def random_source(batch=4, length=7, seed=1):
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(6, 40, (batch, length), generator=g)
    mask = torch.ones_like(src, dtype=torch.bool)
    mask[0, 5:] = False  # a shorter sentence, padded
    src[~mask] = 0
    return src, mask


def test_cached_decoding_matches_full_decoding():
    model = tiny_model()
    src, mask = random_source()
    prefix = torch.cat([torch.full((4, 1), LANG), torch.randint(6, 40, (4, 6))], dim=1)
    memory = model.encode(src, mask)
    full = model.decode(prefix, memory, mask)  # (B, T, V)
    cache = model.new_cache()
    steps = [model.decode_step(prefix[:, t : t + 1], memory, mask, cache, t) for t in range(prefix.shape[1])]
    assert torch.allclose(torch.stack(steps, dim=1), full, atol=1e-5)


def uncached_greedy(model, src, mask, max_len):
    memory = model.encode(src, mask)
    out = []
    for b in range(src.shape[0]):
        tokens = [LANG]
        for _ in range(max_len):
            logits = model.decode(torch.tensor([tokens]), memory[b : b + 1], mask[b : b + 1])[0, -1]
            tokens.append(int(logits.argmax()))
            if tokens[-1] == EOS:
                break
        body = tokens[1:]
        out.append(body[: body.index(EOS)] if EOS in body else body)
    return out


def test_greedy_search_with_cache_equals_uncached_greedy():
    model = tiny_model()
    src, mask = random_source()
    assert greedy_search(model, src, mask, LANG, max_len=12) == uncached_greedy(model, src, mask, 12)


def sequence_log_prob(model, src, mask, tokens):
    memory = model.encode(src, mask)
    tgt = torch.tensor([[LANG] + tokens])
    log_probs = torch.log_softmax(model.decode(tgt, memory, mask), -1)[0]
    targets = tokens + [EOS]
    return sum(log_probs[t, token].item() for t, token in enumerate(targets))


def test_beam_search_finds_a_hypothesis_at_least_as_likely_as_greedy():
    model = tiny_model(3)
    # Make EOS likely enough that hypotheses finish within max_len.
    with torch.no_grad():
        model.embed.weight[EOS] *= 8
    src, mask = random_source(batch=3)
    greedy = greedy_search(model, src, mask, LANG, max_len=10)
    beam = beam_search(model, src, mask, LANG, beam_size=5, max_len=10, length_penalty=0.0)
    compared = 0
    for b in range(3):
        one = (src[b : b + 1], mask[b : b + 1])
        if len(greedy[b]) < 10:  # greedy finished within max_len: its sequence is one the beam also considered
            compared += 1
            assert sequence_log_prob(model, *one, beam[b]) >= sequence_log_prob(model, *one, greedy[b]) - 1e-4
    assert compared == 3  # the comparison above ran on every row


def test_beam_of_one_is_greedy():
    model = tiny_model()
    src, mask = random_source()
    assert beam_search(model, src, mask, LANG, beam_size=1, max_len=8) == greedy_search(
        model, src, mask, LANG, max_len=8
    )


def test_per_row_target_languages():
    model = tiny_model()
    src, mask = random_source(batch=2)
    mixed = greedy_search(model, src, mask, torch.tensor([LANG, LANG + 1]), max_len=8)
    assert mixed[0] == greedy_search(model, src[:1], mask[:1], LANG, max_len=8)[0]
    assert mixed[1] == greedy_search(model, src[1:], mask[1:], LANG + 1, max_len=8)[0]


def test_padding_does_not_change_the_encoding():
    model = tiny_model()
    src, mask = random_source()
    alone = model.encode(src[:1, :5], mask[:1, :5])
    padded = model.encode(src, mask)[:1, :5]
    assert torch.allclose(alone, padded, atol=1e-5)


def test_output_restriction_keeps_each_row_in_its_language():
    model = tiny_model()
    src, mask = random_source(batch=2)
    allowed = torch.zeros(2, 40, dtype=torch.bool)
    allowed[0, 10:20] = True
    allowed[1, 20:30] = True
    allowed[:, EOS] = True
    for outputs in (
        greedy_search(model, src[:2], mask[:2], LANG, max_len=8, allowed=allowed),
        beam_search(model, src[:2], mask[:2], LANG, beam_size=3, max_len=8, allowed=allowed),
    ):
        assert outputs[0] and all(10 <= t < 20 for t in outputs[0])
        assert outputs[1] and all(20 <= t < 30 for t in outputs[1])


def test_under_autocast_the_output_layer_casts_the_tied_embeddings_once_per_decoding():
    """A low-precision copy of the (V, C) table made at every decoding step is where bf16 generation lost time."""
    model = tiny_model()
    src, mask = random_source()
    with torch.autocast("cpu", dtype=torch.bfloat16), torch.profiler.profile(record_shapes=True) as profiler:
        outputs = greedy_search(model, src, mask, LANG, max_len=6)
    table = list(model.embed.weight.shape)
    casts = [e for e in profiler.events() if e.name == "aten::_to_copy" and e.input_shapes and
             sorted(e.input_shapes[0]) == sorted(table)]
    assert max(len(o) for o in outputs) > 1  # several decoding steps ran
    assert len(casts) == 1


def test_the_output_layer_gives_the_same_logits_as_a_product_with_the_transposed_table():
    model = tiny_model()
    states = torch.randn(3, 5, 32)
    assert torch.equal(model.output_logits(states), states @ model.embed.weight.T)
