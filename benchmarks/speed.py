"""Training and translation speed against the machine's own matrix-multiply ceiling and against fairseq, in one run.

    python benchmarks/speed.py --run toy=RUNS/toy300 --run multi30k=RUNS/enfr1h:DATA \
        --peer-python benchmarks/peers/.venv/bin/python --out benchmarks/results/speed-DATE.json
    python benchmarks/speed.py --quick --out /tmp/speed-quick.json   # a tiny run trained on the spot: a smoke test
    python benchmarks/speed.py --fixed-cost DATA --peer-python PYTHON --out ...   # the fixed cost of a step

One JSON holds:
- the ceiling: the measured dense matmul rate, fp32 (and bf16 where the hardware has it), square and at the
  model's own shapes;
- per trained run (`--run NAME=RUN_DIR[:DATA_DIR]`; a run trained without --data keeps its toy corpus in RUN/data):
  the UNMT step resumed from the run's latest checkpoint, with and without the latent discriminator (losses.adv=0,
  what fairseq's online back-translation lacks), both with denoising and back-translation weighted 1 (the phase
  fairseq trains in). Target tokens/s of the median turn; the step's time split by wrapping unmt's own functions
  from here (nothing under unmt/ is edited): host work (noise, batching, padding), back-translation generation,
  the one batched forward pass of denoising + back-translation and its backward, the discriminator, the
  optimisers; analytic FLOPs of the step over its time over the ceiling (MFU);
- translation sentences/s, greedy and beam 5, at batch sizes 1, 16 and 64 (`Translator.translate`: raw text in,
  detokenised text out), en->fr, on the first N test sentences;
- with `--peer-python`, fairseq's online_backtranslation at the same shape, data, batch and starting weights
  (benchmarks/peers/fairseq_obt.py in its own environment), run between two halves of our turns;
- with `--fixed-cost DATA_DIR`, one more run, "fixed_cost", trained here on DATA_DIR at a shape whose arithmetic
  costs next to nothing (benchmarks/speed_fixed_cost.py), and a "fixed_cost" section: seconds per step and per
  back-translation decoding step, aten operators per step and per decoding step, for unmt and (the peer then
  trains at that shape) fairseq, and their ratios;
- the peak RSS, the machine, the commands' arguments.

Denoising and back-translation share the step's forward and backward passes (unmt.translation.objectives, rows
grouped by length, not by objective): their split is the ratio of the two measured apart on the same captured
batches (`ae_share`), applied to the shared passes.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from report import timestamped, write_report  # noqa: E402
from speed_ceiling import ceiling  # noqa: E402
from speed_fixed_cost import fixed_cost_run, fixed_cost_section, measure_fixed_cost  # noqa: E402
from speed_instruments import CODE_VARIANTS, Flops, Regions  # noqa: E402
from speed_peer import run_peer  # noqa: E402
from speed_profile import candidate_optimisations, profile_steps  # noqa: E402
from speed_training import (  # noqa: E402
    PHASE,
    VARIANTS,
    build_runs,
    measure_training,
    split_denoising_from_back_translation,
    summarise,
)
from speed_translation import measure_translation, test_sentences  # noqa: E402
from unmt.config import load_config  # noqa: E402

ROOT = HERE.parent


def peak_rss_mib(who=resource.RUSAGE_SELF) -> float:
    return round(resource.getrusage(who).ru_maxrss / 1024, 1)


# --- quick mode: a tiny run trained here -----------------------------------------------------------------
QUICK = ["data.toy_sentences=400", "data.vocab_size=200", "data.max_tokens=200", "model.d_model=32", "model.n_heads=2",
         "model.encoder_layers=1", "model.decoder_layers=1", "model.ffn_dim=64", "discriminator.hidden=32",
         "evaluation.every=1000", "evaluation.sentences=10", "back_translation.word_by_word_steps=0",
         "pretraining.init_embeddings=random", "losses.bt=1", "runtime.max_minutes=0"]


def quick_run(scratch: Path, threads: int) -> tuple[Path, Path]:
    from unmt.translation.train import TrainingRun as Run
    config = load_config(ROOT / "configs" / "toy.yaml", [*QUICK, f"runtime.threads={threads}"])
    run = Run(config, "en", "fr", scratch / "quick", None)
    for _ in range(3):
        run.train_step(lambda: {lang: next(stream) for lang, stream in run.streams.items()})
    run.state.save(run.directory, {})  # a checkpoint to resume from, without the end-of-run evaluation
    return scratch / "quick", scratch / "quick" / "data"


def parse_run(spec: str) -> tuple[str, Path, Path]:
    name, _, paths = spec.partition("=")
    run_dir, _, data_dir = paths.partition(":")
    return name, Path(run_dir), Path(data_dir) if data_dir else Path(run_dir) / "data"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--run", action="append", type=parse_run, default=[], help="NAME=RUN_DIR[:DATA_DIR], a trained run"
    )
    parser.add_argument("--quick", action="store_true", help="train a tiny run here and time it briefly (smoke test)")
    parser.add_argument("--fixed-cost", type=Path, metavar="DATA_DIR",
                        help="train a run at a negligible-compute shape on DATA_DIR here and measure its fixed cost")
    parser.add_argument("--peer-python", help="python of benchmarks/peers/.venv: run fairseq on the --peer-run's shape")
    parser.add_argument("--peer-run", help="NAME of the --run the peer trains like (default: the last one)")
    parser.add_argument("--peer-updates", type=int, default=40)
    parser.add_argument("--peer-skip", type=int, default=5, help="first peer updates left out (warm-up)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=KEY=VALUE;KEY=VALUE",
                        help="one more variant beside the two, e.g. bf16=runtime.precision=bf16; an override @NAME "
                        f"applies a code change instead ({', '.join(CODE_VARIANTS)})")
    parser.add_argument(
        "--profile-steps", type=int, default=3, help="steps of the first variant under torch.profiler and cProfile"
    )
    parser.add_argument("--steps", type=int, default=8, help="steps per timed turn")
    parser.add_argument(
        "--turns", type=int, default=4, help="turns per variant, alternating; the median turn is reported"
    )
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps per variant first")
    parser.add_argument("--split-reps", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--translate-sentences", type=int, default=64)
    parser.add_argument("--translate-reps", type=int, default=3)
    parser.add_argument("--beams", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--ceiling-seconds", type=float, default=1.0, help="time per matmul shape")
    parser.add_argument("--out", type=Path, default=timestamped("speed"))
    args = parser.parse_args()
    if not args.run and not args.quick and not args.fixed_cost:
        parser.error("give --run NAME=RUN_DIR[:DATA_DIR] (a trained run), --quick or --fixed-cost DATA_DIR")
    if args.quick:
        args.steps, args.turns, args.warmup, args.split_reps = 2, 2, 1, 1
        args.translate_sentences, args.translate_reps, args.ceiling_seconds, args.profile_steps = 4, 1, 0.05, 1
    variants = dict(VARIANTS)
    for spec in args.variant:
        name, _, overrides = spec.partition("=")
        variants[name] = [o for o in overrides.split(";") if o]
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    settings = [f"runtime.threads={args.threads}", f"runtime.device={args.device}"]
    started = time.time()
    report = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
              "phase_overrides": PHASE, "variants": variants,
              "steps_per_turn": args.steps, "turns": args.turns, "shapes": {}}

    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        if args.quick:
            args.run = [("quick", *quick_run(scratch, args.threads))]
        if args.fixed_cost:
            *fixed_run, vocabularies_tried = fixed_cost_run(args.fixed_cost, scratch, args.threads)
            args.run.append(("fixed_cost", *fixed_run))
        shapes = {"square_256" if args.quick else "square_2048": (256, 256, 256) if args.quick else (2048, 2048, 2048)}
        for name, run_dir, _ in args.run:
            m = load_config(run_dir / "config.yaml", []).model
            tokens = load_config(run_dir / "config.yaml", []).data.max_tokens * 2
            vocab = len(__import__("sentencepiece").SentencePieceProcessor(model_file=str(run_dir / "spm.model")))
            shapes[f"{name}_ffn"] = (tokens, m.d_model, m.ffn_dim)
            shapes[f"{name}_output_projection"] = (tokens, m.d_model, vocab)
            shapes[f"{name}_decode_step_output"] = (64, m.d_model, vocab)
        report["ceiling"] = ceiling(device, shapes, args.ceiling_seconds)
        top = report["ceiling"]["fp32_ceiling_gflops"]
        print(f"ceiling fp32 {top} GFLOP/s", file=sys.stderr, flush=True)

        peer_name = args.peer_run or args.run[-1][0]
        for name, run_dir, data_dir in args.run:
            regions, flops, captured = Regions(device), Flops(), []
            setup_started = time.perf_counter()
            runs = build_runs(run_dir, data_dir, scratch / name, settings, variants)
            first = next(iter(runs.values()))
            start_step = first.trainer.step_count
            between, fixed = None, name == "fixed_cost"
            if args.peer_python and name == peer_name:
                peer_out = (
                    args.out.with_name(args.out.name.replace("speed", "peer", 1))
                    if "speed" in args.out.name
                    else args.out.with_suffix(".peer.json")
                )

                def between(run_dir=run_dir, data_dir=data_dir, run=first, out=peer_out, fixed=fixed):
                    dropout = run.phases.at(run.trainer.step_count).dropout
                    report["peer"] = run_peer(args.peer_python, run_dir, data_dir, run.config, dropout, scratch,
                                              args, out, max(1, args.profile_steps) if fixed else 0)
                    report["peer"]["json"] = str(out)

            # At the fixed-cost shape the peer runs amid the fixed-cost turns, which are the timing reported; the
            # instrumented turns there only feed the time split, and one is enough for that.
            results, groups = measure_training(
                runs, args.steps, 1 if fixed else args.turns, args.warmup, regions, flops, captured,
                None if fixed else between, variants
            )
            if fixed:
                fixed_unmt = measure_fixed_cost(runs, args.steps, args.turns, args.warmup, args.profile_steps, between,
                                                variants)
            split = split_denoising_from_back_translation(first, groups[-3:], args.split_reps)
            shape = {
                "run": str(run_dir),
                "data": str(data_dir),
                "checkpoint_step": start_step,
                "model": {
                    k: getattr(first.config.model, k)
                    for k in ("d_model", "n_heads", "encoder_layers", "decoder_layers", "ffn_dim")
                },
                "vocab_size": len(first.vocab),
                "max_tokens_per_language": first.config.data.max_tokens,
                "setup_seconds": round(time.perf_counter() - setup_started, 1),
                "denoising_vs_back_translation": split,
                "training": {variant: summarise(turns, split["ae_share"], top) for variant, turns in results.items()},
            }
            shape["candidate_optimisations"] = candidate_optimisations(first, groups, args.split_reps + 2)
            if args.profile_steps:
                shape["profile"] = profile_steps(first, args.profile_steps)
            shape["peak_rss_mib_after_training"] = peak_rss_mib()
            lines = test_sentences(data_dir, first.languages[0], args.translate_sentences)
            shape["translation"] = measure_translation(first, lines, args.beams, args.batches, args.translate_reps)
            shape["peak_rss_mib_after_translation"] = peak_rss_mib()
            report["shapes"][name] = shape
            for variant, summary in shape["training"].items():
                print(
                    f"{name} {variant}: {summary['target_tokens_per_second_median']} target tokens/s, "
                    f"MFU {summary['mfu']:.3f}, BT length x{summary['bt_output_over_source_tokens']}, "
                    f"split {summary['time_split']}",
                    file=sys.stderr,
                    flush=True,
                )
            del runs, first
    if args.fixed_cost:
        report["fixed_cost"] = fixed_cost_section(
            fixed_unmt, report.get("peer") if peer_name == "fixed_cost" else None, vocabularies_tried
        )
    if "peer" in report:
        peer_rate = report["peer"]["target_tokens_per_second_median"]
        ours = report["shapes"][peer_name]["training"]
        report["ours_over_peer"] = {
            variant: round(s["target_tokens_per_second_median"] / peer_rate, 3) for variant, s in ours.items()
        }
    report["peak_rss_mib"] = peak_rss_mib()
    report["wall_seconds"] = round(time.time() - started, 1)
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "FATAL")
    sys.exit(main())
