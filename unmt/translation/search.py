"""Greedy (or sampled) and beam search over the cached incremental decoder."""
from __future__ import annotations

import torch

from unmt.data.vocab import EOS, PAD
from unmt.models.ensemble import Ensemble
from unmt.models.transformer import Transformer
from unmt.translation.decode_options import DecodeOptions
from unmt.translation.search_controls import ban, sample


def output_caps(
    src_pad_mask: torch.Tensor, ratio: float = 1.5, extra: int = 5, limit: int | None = None
) -> torch.Tensor:
    """(B,) output caps on the CPU: ratio x each sentence's own source length (EOS included) + extra, at most
    `limit`. fairseq's max_len_a/b, but per sentence where fairseq caps a batch by its longest source: an output
    that never ends is then cut at the same length whichever lines share its batch (unmt translate's batches and
    unmt serve's differ), so a line's translation never depends on its batch-mates."""
    caps = torch.tensor([int(length * ratio) + extra for length in src_pad_mask.sum(1).tolist()], dtype=torch.long)
    return caps.clamp(max=limit) if limit else caps


def max_output_length(src_pad_mask: torch.Tensor, ratio: float = 1.5, extra: int = 5) -> int:
    """The largest output cap in a batch: that of its longest source."""
    return int(output_caps(src_pad_mask, ratio, extra).max().item())


def _row_caps(max_len: int | torch.Tensor | None, src_pad_mask: torch.Tensor) -> torch.Tensor:
    """max_len as (B,) caps on the CPU: None, each sentence's own (output_caps); an int, the same for every row."""
    if max_len is None:
        return output_caps(src_pad_mask)
    if isinstance(max_len, int):
        return torch.full((src_pad_mask.shape[0],), max_len, dtype=torch.long)
    return max_len.to("cpu", torch.long)


def _strip(rows: torch.Tensor, caps: torch.Tensor) -> list[list[int]]:
    """(B, T) generated ids -> lists cut at each row's cap and at the first EOS (exclusive)."""
    out = []
    for row, cap in zip(rows.tolist(), caps.tolist()):
        row = row[:cap]
        out.append(row[: row.index(EOS)] if EOS in row else row)
    return out


Hypotheses = list[tuple[float, list[int]]]  # (score, subword ids without EOS), best first


@torch.no_grad()
def greedy_search(
    model: Transformer | Ensemble,
    src: torch.Tensor,
    src_pad_mask: torch.Tensor,
    lang_id: int | torch.Tensor,
    max_len: int | torch.Tensor | None = None,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    allowed: torch.Tensor | None = None,
    bias: torch.Tensor | None = None,
) -> list[list[int]]:
    """Argmax decoding, or sampling from softmax(logits / temperature) when temperature > 0.

    `lang_id` is one target-language tag for all rows or a (B,) tensor of tags, so that both directions of
    back-translation can share one decoding loop. `allowed` (B, V) bool, if given, restricts each row's output
    to its target language's own tokens. `max_len`: one cap for every row, (B,) caps, or None for each row's
    own (output_caps); a row ends at its EOS or its cap, whatever the other rows do. `bias` (B, V), if given, is
    added to each row's logits until the row emits that token (soft lexical constraints)."""
    found = scored_greedy_search(
        model, src, src_pad_mask, lang_id, max_len, temperature, generator, allowed, scored=False, bias=bias
    )
    return [ids for _, ids in found]


@torch.no_grad()
def scored_greedy_search(
    model: Transformer | Ensemble,
    src: torch.Tensor,
    src_pad_mask: torch.Tensor,
    lang_id: int | torch.Tensor,
    max_len: int | torch.Tensor | None = None,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
    allowed: torch.Tensor | None = None,
    top_k: int = 0,
    top_p: float = 1.0,
    min_len: int = 0,
    no_repeat_ngram_size: int = 0,
    scored: bool = True,
    bias: torch.Tensor | None = None,
) -> list[tuple[float, list[int]]]:
    """greedy_search, plus each output's log-probability under the model (its EOS included when it has one;
    0.0 when not `scored`; `bias` changes what is chosen, not how it is scored), and the sampling filters and bans
    of search_controls.

    Rows that have finished (EOS, or their own cap) are dropped from the batch as they finish, so the cost
    follows the sentences still being decoded rather than the longest one."""
    caps = _row_caps(max_len, src_pad_mask)
    B = src.shape[0]
    memory = model.encode(src, src_pad_mask)
    cache = model.new_cache()
    output = torch.full((B, int(caps.max())), PAD, dtype=torch.long)
    log_prob = torch.zeros(B, dtype=torch.float64)
    alive = torch.arange(B)  # original row index of each row still decoding
    alive_caps = caps
    token = torch.as_tensor(lang_id, dtype=torch.long, device=src.device).expand(B).reshape(B, 1)
    banned = ~allowed if allowed is not None else None  # once, not at every step
    bias = bias.clone() if bias is not None else None  # spent entry by entry as its tokens are emitted
    for step in range(int(caps.max())):
        logits = model.decode_step(token, memory, src_pad_mask, cache, step)
        if banned is not None:
            logits = logits.masked_fill(banned, float("-inf"))
        histories = output[alive, :step].tolist() if no_repeat_ngram_size else None
        choose_from = ban(logits if bias is None else logits + bias, histories, step, min_len, no_repeat_ngram_size)
        if temperature > 0:
            next_token = sample(choose_from, temperature, generator, top_k, top_p)
        else:
            next_token = choose_from.argmax(-1)
        if scored:
            token_log_probs = torch.log_softmax(logits.float(), dim=-1).gather(1, next_token[:, None]).squeeze(1)
            log_prob[alive] += token_log_probs.double().cpu()
        chosen = next_token.cpu()
        output[alive, step] = chosen
        if bias is not None:
            bias[torch.arange(len(next_token), device=bias.device), next_token] = 0.0
        running = (chosen != EOS) & (alive_caps > step + 1)
        if not running.all():
            if not running.any():
                break
            keep_cpu = running.nonzero().squeeze(1)
            keep = keep_cpu.to(next_token.device)
            alive, alive_caps, next_token = alive[keep_cpu], alive_caps[keep_cpu], next_token[keep]
            memory, src_pad_mask = memory[keep], src_pad_mask[keep]
            banned = banned[keep] if banned is not None else None
            bias = bias[keep] if bias is not None else None
            cache = model.reorder_cache(cache, keep)
        token = next_token[:, None]
    return list(zip(log_prob.tolist(), _strip(output, caps)))


@torch.no_grad()
def beam_search(
    model: Transformer | Ensemble,
    src: torch.Tensor,
    src_pad_mask: torch.Tensor,
    lang_id: int,
    beam_size: int = 5,
    max_len: int | torch.Tensor | None = None,
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
    max_len: int | torch.Tensor | None = None,
    length_penalty: float = 1.0,
    allowed: torch.Tensor | None = None,
    min_len: int = 0,
    no_repeat_ngram_size: int = 0,
) -> list[Hypotheses]:
    """Every finished hypothesis of each sentence, best first; its score is log p (EOS included) / (length + 1)
    ** length_penalty, length counted without EOS. A sentence where none finished within its cap gets its best
    live beam, scored the same way without an EOS. `max_len` as in greedy_search: one cap, (B,) caps or None.

    A sentence leaves the batch once it is done (_done) or at its own cap, so what it finds never depends on the
    sentences that share its batch."""
    caps = _row_caps(max_len, src_pad_mask)
    B, K, device = src.shape[0], beam_size, src.device
    memory = model.encode(src, src_pad_mask).repeat_interleave(K, dim=0)  # (B*K, S, C)
    src_pad_mask = src_pad_mask.repeat_interleave(K, dim=0)
    allowed = allowed.repeat_interleave(K, dim=0) if allowed is not None else None
    cache = model.new_cache()
    scores = torch.full((B, K), float("-inf"), device=device)
    scores[:, 0] = 0.0  # all beams start identical: keep one so the first step does not pick K copies
    tokens = torch.full((B * K, 1), lang_id, dtype=torch.long, device=device)
    finished: list[Hypotheses] = [[] for _ in range(B)]
    active = list(range(B))  # the original index of each sentence still searching
    cap_of = caps.tolist()
    for step in range(max(cap_of)):
        n = len(active)
        logits = model.decode_step(tokens[:, -1:], memory, src_pad_mask, cache, step)
        if allowed is not None:
            logits = logits.masked_fill(~allowed, float("-inf"))
        log_probs = torch.log_softmax(logits.float(), dim=-1)  # (n*K, V)
        histories = tokens[:, 1:].tolist() if no_repeat_ngram_size else None
        log_probs = ban(log_probs, histories, step, min_len, no_repeat_ngram_size)
        V = log_probs.shape[-1]
        candidates = (scores.reshape(-1, 1) + log_probs).view(n, K * V)
        top_scores, top_index = candidates.topk(2 * K, dim=1)  # 2K so K survive after removing EOS
        beam_origin, next_token = top_index // V, top_index % V
        rows = beam_origin + torch.arange(n, device=device)[:, None] * K  # (n, 2K) rows of the flat beam
        # In rank order, a candidate ending in EOS finishes if fewer than K live candidates rank above it; the
        # first K live ones survive, in rank order. Tensor ops over all sentences at once, not a loop per candidate.
        real = top_scores > float("-inf")
        ends = (next_token == EOS) & real
        live = ~ends & real
        above = live.cumsum(1) - live.long()  # live candidates ranked above each one
        slot = torch.where(live & (above < K), above, K)  # K: not kept (a column dropped below)
        new_scores = torch.full((n, K + 1), float("-inf"), device=device).scatter_(1, slot, top_scores)[:, :K]
        new_rows = torch.zeros((n, K + 1), dtype=torch.long, device=device).scatter_(1, slot, rows)[:, :K]
        new_tokens = torch.full((n, K + 1), PAD, dtype=torch.long, device=device).scatter_(1, slot, next_token)[:, :K]
        for b, i in (ends & (above < K)).nonzero().tolist():
            hypothesis = tokens[rows[b, i], 1:].tolist()
            finished[active[b]].append((top_scores[b, i].item() / (len(hypothesis) + 1) ** length_penalty, hypothesis))
        order = new_rows.reshape(-1)
        tokens = torch.cat([tokens[order], new_tokens.reshape(-1, 1)], dim=1)
        cache = model.reorder_cache(cache, order)
        scores = new_scores
        best_live = scores.max(dim=1).values.tolist()
        stopping = [
            step + 1 >= cap_of[active[b]] or _done(finished[active[b]], best_live[b], step + 1, length_penalty, K)
            for b in range(n)
        ]
        if not any(stopping):
            continue
        for b in (b for b in range(n) if stopping[b]):
            _finalise(finished[active[b]], scores[b].tolist(), tokens[b * K : (b + 1) * K, 1:].tolist(), length_penalty)
        keep = [b for b in range(n) if not stopping[b]]
        if not keep:
            break
        flat = torch.tensor([b * K + k for b in keep for k in range(K)], device=device)
        memory, src_pad_mask, tokens = memory[flat], src_pad_mask[flat], tokens[flat]
        allowed = allowed[flat] if allowed is not None else None
        cache = model.reorder_cache(cache, flat)
        scores = scores[torch.tensor(keep, device=device)]
        active = [active[b] for b in keep]
    return finished


def _finalise(finished: Hypotheses, live_scores: list[float], live_tokens: list[list[int]], length_penalty) -> None:
    """Sort a sentence's finished hypotheses, best first (stable: of equal scores, the first found stays first).
    Fewer than K ended within its cap: the live beams, cut there, follow in their own order (as fairseq finalises
    them at the limit), so an n-best list is full; the best finished one stays first."""
    finished.sort(key=lambda item: -item[0])
    for k in range(len(live_scores) - len(finished)):
        if live_scores[k] == float("-inf"):
            break
        finished.append((live_scores[k] / (len(live_tokens[k]) + 1) ** length_penalty, live_tokens[k]))


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
    # Each sentence's own cap; a generous --max-len-a/-b stops at the position table rather than past it.
    caps = output_caps(src_pad_mask, options.max_len_a, options.max_len_b, model.config.max_positions)
    if options.beam > 1:
        found = nbest_beam_search(model, src, src_pad_mask, lang_id, options.beam, caps, options.lenpen, allowed,
                                  options.min_len, options.no_repeat_ngram_size)
        return [hypotheses[: options.nbest] for hypotheses in found]
    draws = options.nbest if options.sampling else 1
    if draws > 1:
        src, src_pad_mask = src.repeat_interleave(draws, 0), src_pad_mask.repeat_interleave(draws, 0)
        allowed = allowed.repeat_interleave(draws, 0) if allowed is not None else None
        caps = caps.repeat_interleave(draws, 0)
    temperature = options.temperature if options.sampling else 0.0
    found = scored_greedy_search(model, src, src_pad_mask, lang_id, caps, temperature, generator, allowed,
                                 options.topk, options.topp, options.min_len, options.no_repeat_ngram_size)
    scored = [(log_prob / (len(ids) + 1) ** options.lenpen, ids) for log_prob, ids in found]
    return [sorted(scored[i : i + draws], key=lambda item: -item[0]) for i in range(0, len(scored), draws)]
