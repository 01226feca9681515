"""torch.compile against eager on the teacher-forced pass (most of a UNMT step): does it pay, compile time counted?

    python benchmarks/compile_cost.py --out benchmarks/results/compile_cost-DATE.json
    python benchmarks/compile_cost.py --config configs/toy.yaml --dropout 0 --out /tmp/compile-toy.json

The model of a configuration (random weights: a teacher-forced pass costs the same whatever the weights) runs
forward and backward (encoder, decoder, output layer over the real positions, label-smoothed loss) on batches
whose shapes vary as a training step's do: `--batches` distinct (rows, source length, target length) shapes of
about the recipe's tokens per step. Per mode and precision: the seconds of the first pass over those batches
(compilation, recompilation on new shapes included) and the median of later passes, alternated between modes.
Modes: eager; `torch.compile` of `encode` and `decoder_states` with shapes left to torch (a shape that changes is
made dynamic after one recompile) and with `dynamic=True` from the start.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from report import timestamped, write_report  # noqa: E402
from unmt.config import load_config  # noqa: E402
from unmt.hardware import has_bf16  # noqa: E402
from unmt.models.transformer import Transformer, TransformerConfig  # noqa: E402

ROOT = HERE.parent
# how encode and decoder_states run: None = eager, else torch.compile's options
MODES = {"eager": None, "compiled": {}, "compiled_dynamic": {"dynamic": True}}


def shapes_like_a_step(tokens_per_step: int, count: int, seed: int) -> list[tuple[int, int, int]]:
    """(rows, source length, target length) of `count` batches with about `tokens_per_step` target tokens each."""
    generator = torch.Generator().manual_seed(seed)
    shapes = []
    for _ in range(count):
        target = int(torch.randint(12, 31, (1,), generator=generator))
        source = max(4, target + int(torch.randint(-4, 5, (1,), generator=generator)))
        shapes.append((max(1, tokens_per_step // target), source, target))
    return shapes


def make_batch(shape: tuple[int, int, int], vocab: int, seed: int):
    rows, source, target = shape
    generator = torch.Generator().manual_seed(seed)
    src = torch.randint(5, vocab, (rows, source), generator=generator)
    src_mask = torch.arange(source)[None] < torch.randint(source // 2, source + 1, (rows, 1), generator=generator)
    tgt_in = torch.randint(5, vocab, (rows, target), generator=generator)
    tgt_out = torch.randint(5, vocab, (rows, target), generator=generator)
    real = torch.arange(target)[None] < torch.randint(target // 2, target + 1, (rows, 1), generator=generator)
    return src.masked_fill(~src_mask, 0), src_mask, tgt_in, tgt_out, real


def forward_backward(model: Transformer, encode, decoder_states, batch, smoothing: float, bf16: bool) -> None:
    src, src_mask, tgt_in, tgt_out, real = batch
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        states = decoder_states(tgt_in, encode(src, src_mask), src_mask)
        logits = model.output_logits(states[real])
        loss = F.cross_entropy(logits.float(), tgt_out[real], label_smoothing=smoothing)
    loss.backward()
    model.zero_grad(set_to_none=True)


def one_pass(run, batches) -> float:
    started = time.perf_counter()
    for batch in batches:
        run(batch)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "multi30k_en_fr.yaml")
    parser.add_argument("--vocab", type=int, help="default: the configuration's data.vocab_size")
    parser.add_argument("--dropout", type=float, default=0.1, help="the rate while timed (the recipe's from step 1500)")
    parser.add_argument(
        "--tokens", type=int, help="target tokens per batch (default: 4 x data.max_tokens, the step's four groups)"
    )
    parser.add_argument("--batches", type=int, default=6, help="distinct batch shapes")
    parser.add_argument("--reps", type=int, default=5, help="timed passes over the batches after the first")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--out", type=Path, default=timestamped("compile_cost"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    config = load_config(args.config, [])
    m = config.model
    vocab = args.vocab or config.data.vocab_size
    tokens = args.tokens or 4 * config.data.max_tokens
    shapes = shapes_like_a_step(tokens, args.batches, seed=0)
    batches = [make_batch(shape, vocab, seed=i) for i, shape in enumerate(shapes)]
    precisions = ["fp32"] + (["bf16"] if has_bf16(torch.device("cpu")) else [])
    runs = {}
    for mode in dict.fromkeys(["eager", *args.modes]):  # eager always: every ratio is against it
        options = MODES[mode]
        torch.manual_seed(0)
        model = Transformer(
            TransformerConfig(
                vocab, m.d_model, m.n_heads, m.encoder_layers, m.decoder_layers, m.ffn_dim, args.dropout, m.activation
            )
        ).train()
        encode, decoder_states = model.encode, model.decoder_states
        if options is not None:
            torch._dynamo.reset()  # each mode compiles afresh, so its first pass counts its own compilation
            encode, decoder_states = torch.compile(encode, **options), torch.compile(decoder_states, **options)
        for precision in precisions:
            runs[(mode, precision)] = (lambda batch, model=model, e=encode, d=decoder_states, bf16=precision == "bf16":
                                       forward_backward(model, e, d, batch, config.optim.label_smoothing, bf16))

    first = {key: one_pass(run, batches) for key, run in runs.items()}  # compiles, in mode order
    later = {key: [] for key in runs}
    for _ in range(args.reps):
        for key, run in runs.items():
            later[key].append(one_pass(run, batches))
    results = {}
    for (mode, precision), times in later.items():
        eager = statistics.median(later[("eager", precision)])
        median = statistics.median(times)
        results[f"{mode}_{precision}"] = {
            "first_pass_seconds": round(first[(mode, precision)], 3),
            "pass_seconds_median": round(median, 4),
            "pass_seconds": [round(t, 4) for t in times],
            "eager_over_this": round(eager / median, 3),
            # how many passes before compiling has paid for itself (never, where it is slower)
            "passes_to_repay_first": round((first[(mode, precision)] - median) / (eager - median), 1)
            if eager > median
            else None,
        }
        print(f"{mode} {precision}: first {first[(mode, precision)]:.1f} s, then {median:.3f} s a pass, eager / this "
              f"{eager / median:.3f}", file=sys.stderr)
    report = {
        "config": str(args.config),
        "model": {
            "d_model": m.d_model, "layers": [m.encoder_layers, m.decoder_layers], "ffn_dim": m.ffn_dim, "vocab": vocab,
            "dropout": args.dropout
        },
        "batch_shapes": shapes,
        "reps": args.reps,
        "results": results,
    }
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
