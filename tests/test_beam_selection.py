"""The beam's survivor selection as tensor ops gives exactly what the per-candidate loop it replaced gave: the
same finished hypotheses, survivors and outputs, with EOS frequent, beams cut short by an output restriction
(candidates at -inf) and sentences of several lengths in one batch."""
import pytest
import torch

from tests.test_transformer import LANG, random_source, tiny_model
from unmt.data.vocab import EOS, PAD
from unmt.translation.search import _done, beam_search, max_output_length


@torch.no_grad()
def loop_beam_search(model, src, src_pad_mask, lang_id, beam_size, max_len, length_penalty=1.0, allowed=None):
    """The earlier implementation: survivors picked candidate by candidate in Python, sentence by sentence; a
    sentence that is done finds nothing more (it leaves the search, whatever the others in its batch still do)."""
    max_len = max_len or max_output_length(src_pad_mask)
    B, K = src.shape[0], beam_size
    memory = model.encode(src, src_pad_mask).repeat_interleave(K, dim=0)
    src_pad_mask = src_pad_mask.repeat_interleave(K, dim=0)
    allowed = allowed.repeat_interleave(K, dim=0) if allowed is not None else None
    cache = model.new_cache()
    scores = torch.full((B, K), float("-inf"))
    scores[:, 0] = 0.0
    tokens = torch.full((B * K, 1), lang_id, dtype=torch.long)
    finished = [[] for _ in range(B)]
    done = set()
    for step in range(max_len):
        logits = model.decode_step(tokens[:, -1:], memory, src_pad_mask, cache, step)
        if allowed is not None:
            logits = logits.masked_fill(~allowed, float("-inf"))
        log_probs = torch.log_softmax(logits.float(), dim=-1)
        V = log_probs.shape[-1]
        top_scores, top_index = (scores.view(-1, 1) + log_probs).view(B, K * V).topk(2 * K, dim=1)
        beam_origin, next_token = top_index // V, top_index % V
        new_scores = torch.full((B, K), float("-inf"))
        new_rows = torch.zeros((B, K), dtype=torch.long)
        new_tokens = torch.full((B, K), PAD, dtype=torch.long)
        for b in range(B):
            if b in done:
                continue
            kept = 0
            for score, origin, token in zip(top_scores[b].tolist(), beam_origin[b].tolist(), next_token[b].tolist()):
                if score == float("-inf"):
                    break
                row = b * K + origin
                if token == EOS:
                    if kept < K:
                        hypothesis = tokens[row, 1:].tolist()
                        finished[b].append((score / (len(hypothesis) + 1) ** length_penalty, hypothesis))
                    continue
                if kept < K:
                    new_scores[b, kept], new_rows[b, kept], new_tokens[b, kept] = score, row, token
                    kept += 1
        order = new_rows.view(-1)
        tokens = torch.cat([tokens[order], new_tokens.view(-1, 1)], dim=1)
        cache = model.reorder_cache(cache, order)
        scores = new_scores
        done |= {b for b in range(B) if _done(finished[b], scores[b].max().item(), step + 1, length_penalty, K)}
        if len(done) == B:
            break
    results = []
    for b in range(B):
        if not finished[b]:
            finished[b].append((0.0, tokens[b * K, 1:].tolist()))
        results.append(max(finished[b], key=lambda item: item[0])[1])
    return results


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("eos_pull", [0.0, 1.2, 1.6])
def test_tensor_selection_equals_the_loop(seed, eos_pull):
    """eos_pull points EOS's (tied) embedding along the mean decoder state: with it, hypotheses end at different
    steps and ranks (at 1.2 / 1.6 some sentences of a batch end at once and others run to max_len)."""
    model = tiny_model(seed)
    src, mask = random_source(batch=6, length=9, seed=seed + 10)
    mask[3, 4:] = False
    src[~mask] = 0
    if eos_pull:
        with torch.no_grad():
            prefix = torch.randint(6, 40, (6, 8))
            prefix[:, 0] = LANG
            direction = model.decoder_states(prefix, model.encode(src, mask), mask).mean((0, 1))
            model.embed.weight[EOS] = eos_pull * direction / direction.norm() * model.embed.weight.norm(dim=1).mean()
    for beam, length_penalty in ((2, 0.0), (5, 1.0), (3, 0.6)):
        got = beam_search(model, src, mask, LANG, beam_size=beam, max_len=12, length_penalty=length_penalty)
        assert got == loop_beam_search(model, src, mask, LANG, beam, 12, length_penalty)


def test_tensor_selection_equals_the_loop_when_the_restriction_leaves_candidates_at_minus_infinity():
    model = tiny_model(3)
    src, mask = random_source(batch=3, length=6, seed=4)
    allowed = torch.zeros(3, 40, dtype=torch.bool)
    allowed[:, [EOS, 11, 12]] = True  # 3 tokens for a beam of 5: most of the 2K candidates are -inf
    allowed[2, 13:30] = True
    got = beam_search(model, src, mask, LANG, beam_size=5, max_len=10, allowed=allowed)
    assert got == loop_beam_search(model, src, mask, LANG, 5, 10, allowed=allowed)
    assert all(t in (11, 12) for t in got[0])
