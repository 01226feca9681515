"""Greedy (or sampled) and beam search over the cached incremental decoder."""
from __future__ import annotations

import torch

from unmt.data.vocab import EOS, PAD
from unmt.models.ensemble import Ensemble
from unmt.models.transformer import Transformer
from unmt.translation.decode_options import DecodeOptions
from unmt.translation.search_controls import ban, sample


def max_output_length(src_pad_mask: torch.Tensor, ratio: float = 1.5, extra: int = 5) -> int:
    """The output cap of a batch: ratio x its longest source (EOS included) + extra, fairseq's max_len_a/b."""
    return int(src_pad_mask.sum(1).max().item() * ratio) + extra


def _strip(rows: torch.Tensor) -> list[list[int]]:
    """(B, T) generated ids -> lists cut at the first EOS (exclusive)."""
    out = []
    for row in rows.tolist():
        out.append(row[: row.index(EOS)] if EOS in row else row)
    return out


Hypotheses = list[tuple[float, list[int]]]  # (score, subword ids without EOS), best first


@torch.no_grad()
def greedy_search(
    model: Transformer | Ensemble,
    src: torch.Tensor,
    src_pad_mask: torch.Tensor,
    lang_id: int | torch.Tensor,
    max_len: int | None = None,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    allowed: torch.Tensor | None = None,
) -> list[list[int]]:
    """Argmax decoding, or sampling from softmax(logits / temperature) when temperature > 0.

    `lang_id` is one target-language tag for all rows or a (B,) tensor of tags, so that both directions of
    back-translation can share one decoding loop. `allowed` (B, V) bool, if given, restricts each row's output
    to its target language's own tokens."""
    found = scored_greedy_search(model, src, src_pad_mask, lang_id, max_len, temperature, generator, allowed, scored=False)
    return [ids for _, ids in found]


@torch.no_grad()
def scored_greedy_search(
    model: Transformer | Ensemble,
    src: torch.Tensor,
    src_pad_mask: torch.Tensor,
    lang_id: int | torch.Tensor,
    max_len: int | None = None,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    allowed: torch.Tensor | None = None,
    top_k: int = 0,
    top_p: float = 1.0,
    min_len: int = 0,
    no_repeat_ngram_size: int = 0,
    scored: bool = True,
) -> list[tuple[float, list[int]]]:
    """greedy_search, plus each output's log-probability under the model (its EOS included when it has one;
    0.0 when not `scored`), and the sampling filters and bans of search_controls.

    Rows that have finished are dropped from the batch as they finish, so the cost follows the sentences
    still being decoded rather than the longest one."""
    max_len = max_len or max_output_length(src_pad_mask)
    B = src.shape[0]
    memory = model.encode(src, src_pad_mask)
    cache = model.new_cache()
    output = torch.full((B, max_len), PAD, dtype=torch.long)
    log_prob = torch.zeros(B, dtype=torch.float64)
    alive = torch.arange(B)  # original row index of each row still decoding
    token = torch.as_tensor(lang_id, dtype=torch.long, device=src.device).expand(B).reshape(B, 1)
    for step in range(max_len):
        logits = model.decode_step(token, memory, src_pad_mask, cache, step)
        if allowed is not None:
            logits = logits.masked_fill(~allowed, float("-inf"))
        histories = output[alive, :step].tolist() if no_repeat_ngram_size else None
        choose_from = ban(logits, histories, step, min_len, no_repeat_ngram_size)
        if temperature > 0:
            next_token = sample(choose_from, temperature, generator, top_k, top_p)
        else:
            next_token = choose_from.argmax(-1)
        if scored:
            token_log_probs = torch.log_softmax(logits.float(), dim=-1).gather(1, next_token[:, None]).squeeze(1)
            log_prob[alive] += token_log_probs.double().cpu()
        output[alive, step] = next_token.cpu()
        running = next_token != EOS
        if not running.all():
            if not running.any():
                break
            keep = running.nonzero().squeeze(1)
            alive, next_token = alive[keep.cpu()], next_token[keep]
            memory, src_pad_mask = memory[keep], src_pad_mask[keep]
            allowed = allowed[keep] if allowed is not None else None
            cache = model.reorder_cache(cache, keep)
        token = next_token[:, None]
    return list(zip(log_prob.tolist(), _strip(output)))


@torch.no_grad()
def beam_search(
    model: Transformer | Ensemble,
    src: torch.Tensor,
    src_pad_mask: torch.Tensor,
    lang_id: int,
    beam_size: int = 5,
    max_len: int | None = None,
    length_penalty: float = 1.0,
    allowed: torch.Tensor | None = None,
) -> list[list[int]]:
    """Batched beam search; a finished hypothesis scores log p / length ** length_penalty."""
    if beam_size == 1:
        return greedy_search(model, src, src_pad_mask, lang_id, max_len, allowed=allowed)
    found = nbest_beam_search(model, src, src_pad_mask, lang_id, beam_size, max_len, length_penalty, allowed)
    return [hypotheses[0][1] for hypotheses in found]


@torch.no_grad()
def nbest_beam_search(
    model: Transformer | Ensemble,
    src: torch.Tensor,
    src_pad_mask: torch.Tensor,
    lang_id: int,
    beam_size: int = 5,
    max_len: int | None = None,
    length_penalty: float = 1.0,
    allowed: torch.Tensor | None = None,
    min_len: int = 0,
    no_repeat_ngram_size: int = 0,
) -> list[Hypotheses]:
    """Every finished hypothesis of each sentence, best first; its score is log p (EOS included) / (length + 1)
    ** length_penalty, length counted without EOS. A sentence where none finished within max_len gets its best
    live beam, scored the same way without an EOS."""
    max_len = max_len or max_output_length(src_pad_mask)
    B, K, device = src.shape[0], beam_size, src.device
    memory = model.encode(src, src_pad_mask).repeat_interleave(K, dim=0)  # (B*K, S, C)
    src_pad_mask = src_pad_mask.repeat_interleave(K, dim=0)
    allowed = allowed.repeat_interleave(K, dim=0) if allowed is not None else None
    cache = model.new_cache()
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0  # all beams start identical: keep one so the first step does not pick K copies
    tokens = torch.full((B * K, 1), lang_id, dtype=torch.long, device=device)
    finished: list[Hypotheses] = [[] for _ in range(B)]
    for step in range(max_len):
        logits = model.decode_step(tokens[:, -1:], memory, src_pad_mask, cache, step)
        if allowed is not None:
            logits = logits.masked_fill(~allowed, float("-inf"))
        log_probs = torch.log_softmax(logits.float(), dim=-1)  # (B*K, V)
        histories = tokens[:, 1:].tolist() if no_repeat_ngram_size else None
        log_probs = ban(log_probs, histories, step, min_len, no_repeat_ngram_size)
        V = log_probs.shape[-1]
        candidates = (scores.reshape(-1, 1) + log_probs).view(B, K * V)
        top_scores, top_index = candidates.topk(2 * K, dim=1)  # 2K so K survive after removing EOS
        beam_origin, next_token = top_index // V, top_index % V
        rows = beam_origin + torch.arange(B, device=device)[:, None] * K  # (B, 2K) rows of the flat beam
        # In rank order, a candidate ending in EOS finishes if fewer than K live candidates rank above it; the
        # first K live ones survive, in rank order. Tensor ops over all sentences at once, not a loop per candidate.
        real = top_scores > float("-inf")
        ends = (next_token == EOS) & real
        live = ~ends & real
        above = live.cumsum(1) - live.long()  # live candidates ranked above each one
        slot = torch.where(live & (above < K), above, K)  # K: not kept (a column dropped below)
        new_scores = torch.full((B, K + 1), float("-inf"), device=device).scatter_(1, slot, top_scores)[:, :K]
        new_rows = torch.zeros((B, K + 1), dtype=torch.long, device=device).scatter_(1, slot, rows)[:, :K]
        new_tokens = torch.full((B, K + 1), PAD, dtype=torch.long, device=device).scatter_(1, slot, next_token)[:, :K]
        for b, i in (ends & (above < K)).nonzero().tolist():
            hypothesis = tokens[rows[b, i], 1:].tolist()
            finished[b].append((top_scores[b, i].item() / (len(hypothesis) + 1) ** length_penalty, hypothesis))
        order = new_rows.reshape(-1)
        tokens = torch.cat([tokens[order], new_tokens.reshape(-1, 1)], dim=1)
        cache = model.reorder_cache(cache, order)
        scores = new_scores
        best_live = scores.max(dim=1).values.tolist()
        if all(_done(finished[b], best_live[b], step + 1, length_penalty, K) for b in range(B)):
            break
    for b in range(B):
        finished[b].sort(key=lambda item: -item[0])  # stable: of equal scores, the first found stays first
        # Fewer than K ended within max_len: the live beams, cut at the limit, follow in their own order (as
        # fairseq finalises them there), so an n-best list is full; the best finished one stays first.
        for k in range(K - len(finished[b])):
            if scores[b, k].item() == float("-inf"):
                break
            hypothesis = tokens[b * K + k, 1:].tolist()
            finished[b].append((scores[b, k].item() / (len(hypothesis) + 1) ** length_penalty, hypothesis))
    return finished


def _done(finished, best_live: float, length, length_penalty, K) -> bool:
    """A sentence is done when K hypotheses have finished and the best live beam, normalised at its current
    length, scores below the best finished one (the usual heuristic: a live beam could in principle still
    overtake it by growing longer, but rarely does)."""
    if len(finished) < K:
        return False
    if best_live == float("-inf"):
        return True
    return max(score for score, _ in finished) >= best_live / (length + 1) ** length_penalty


def search(model: Transformer | Ensemble, src: torch.Tensor, src_pad_mask: torch.Tensor, lang_id: int,
           options: DecodeOptions, allowed: torch.Tensor | None = None,
           generator: torch.Generator | None = None) -> list[Hypotheses]:
    """Up to options.nbest hypotheses per sentence, best first, each scored log p / (length + 1) ** lenpen: the
    beam's own ranking, which greedy decoding and sampling (options.nbest draws per sentence) report too."""
    # A generous --max-len-a/-b stops at the position table rather than past it.
    max_len = min(max_output_length(src_pad_mask, options.max_len_a, options.max_len_b), model.config.max_positions)
    if options.beam > 1:
        found = nbest_beam_search(model, src, src_pad_mask, lang_id, options.beam, max_len, options.lenpen, allowed,
                                  options.min_len, options.no_repeat_ngram_size)
        return [hypotheses[: options.nbest] for hypotheses in found]
    draws = options.nbest if options.sampling else 1
    if draws > 1:
        src, src_pad_mask = src.repeat_interleave(draws, 0), src_pad_mask.repeat_interleave(draws, 0)
        allowed = allowed.repeat_interleave(draws, 0) if allowed is not None else None
    temperature = options.temperature if options.sampling else 0.0
    found = scored_greedy_search(model, src, src_pad_mask, lang_id, max_len, temperature, generator, allowed,
                                 options.topk, options.topp, options.min_len, options.no_repeat_ngram_size)
    scored = [(log_prob / (len(ids) + 1) ** options.lenpen, ids) for log_prob, ids in found]
    return [sorted(scored[i : i + draws], key=lambda item: -item[0]) for i in range(0, len(scored), draws)]
