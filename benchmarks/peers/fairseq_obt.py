"""fairseq's online back-translation (denoising + on-the-fly back-translation, no discriminator) timed on our data.

Runs in the peer's own environment (benchmarks/peers/setup_fairseq.sh makes benchmarks/peers/.venv); unmt is
never imported here, nor fairseq in unmt. benchmarks/speed.py calls it between its own turns; alone:

    python benchmarks/peers/warm_start.py RUN WORK                       # in unmt's environment: WORK/warm_start.pt
    benchmarks/peers/.venv/bin/python benchmarks/peers/fairseq_obt.py --work WORK --data DATA --spm RUN/spm.model \
        --dict WORK/dict.txt --warm-start WORK/warm_start.pt --updates 40 --out benchmarks/results/peer-DATE.json

What it does: encodes DATA/train.<lang> with the run's SentencePiece model (keeping the lines of 1..--max-len
pieces, as unmt's corpus does), binarises them with fairseq-preprocess, then runs fairseq-train --task
online_backtranslation at the given shape (pre-norm transformer, all embeddings shared, learned positions holding
the warm start's table), batch (--max-tokens per sub-batch, batch sizes not rounded to multiples of 8, data
loading in the training process as unmt's), noise (word dropout 0.1, shuffle 3, blank 0.1), optimiser and
threads, with the obt_timing plugin recording every update. Reports target tokens/s (fairseq's `ntokens`: the
four sub-batches' target tokens with EOS; the back-translations' tokens are not counted, as in unmt) over the
updates after --skip, as the median of windows of --window updates, each timed from the start of one update to
the start of the next (data loading and logging included), and the time split of the updates. With
--profile-updates N, N more updates after the timed ones run under torch.profiler (and one more closes their
window): the fixed-cost figures of benchmarks/speed.py --fixed-cost, aten operators per update and per decoding
step of the generator (benchmarks/peers/op_count.py), beside the generation's seconds per decoding step.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from op_count import per_unit

HERE = Path(__file__).resolve().parent


def prepare(args) -> Path:
    """WORK/bin: dict.txt and <lang>/train.{bin,idx}, from DATA/train.<lang> through the run's subword model."""
    import sentencepiece

    sp = sentencepiece.SentencePieceProcessor(model_file=str(args.spm))
    binary, tokens = args.work / "bin", args.work / "tok"
    tokens.mkdir(parents=True, exist_ok=True)
    binary.mkdir(parents=True, exist_ok=True)
    if args.dict:
        shutil.copy(args.dict, binary / "dict.txt")
    else:  # every ordinary piece of the subword model
        pieces = [sp.id_to_piece(i) for i in range(len(sp)) if not (sp.is_control(i) or sp.is_unknown(i))]
        (binary / "dict.txt").write_text("".join(f"{p} 1\n" for p in pieces), encoding="utf-8")
    kept = {}
    for lang in args.languages:
        lines = (args.data / f"train.{lang}").read_text(encoding="utf-8").splitlines()
        encoded = [" ".join(p) for p in sp.encode([line.strip() for line in lines], out_type=str)]
        encoded = [e for e in encoded if e and len(e.split()) <= args.max_len]
        kept[lang] = len(encoded)
        (tokens / f"train.{lang}").write_text("\n".join(encoded) + "\n", encoding="utf-8")
        subprocess.run([_tool("fairseq-preprocess"), "--only-source", "--trainpref", str(tokens / f"train.{lang}"),
                        "--destdir", str(binary / lang), "--srcdict", str(binary / "dict.txt"), "--workers", "1"],
                       check=True, capture_output=True)
    args.kept_sentences = kept
    return binary


def _tool(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def train_command(args, binary: Path) -> list[str]:
    m = args
    command = [
        _tool("fairseq-train"), str(binary), "--cpu", "--task", "online_backtranslation", "--mono-langs",
        ",".join(args.languages), "--valid-lang-pairs", "-".join(args.languages), "--disable-validation", "--arch",
        "transformer", "--share-all-embeddings", "--encoder-normalize-before", "--decoder-normalize-before",
        "--encoder-learned-pos", "--decoder-learned-pos", "--encoder-embed-dim", str(m.d_model), "--decoder-embed-dim",
        str(m.d_model), "--encoder-ffn-embed-dim", str(m.ffn), "--decoder-ffn-embed-dim", str(m.ffn),
        "--encoder-layers", str(m.encoder_layers), "--decoder-layers", str(m.decoder_layers),
        "--encoder-attention-heads", str(m.heads), "--decoder-attention-heads", str(m.heads), "--activation-fn",
        m.activation, "--dropout", str(m.dropout), "--attention-dropout", str(m.dropout), "--activation-dropout",
        str(m.dropout), "--max-source-positions", "512", "--max-target-positions", "512", "--word-dropout-prob", "0.1",
        "--max-word-shuffle-distance", "3", "--word-blanking-prob", "0.1", "--optimizer", "adam", "--adam-betas",
        "(0.9,0.98)", "--lr", str(args.lr), "--lr-scheduler", "inverse_sqrt", "--warmup-updates",
        str(args.warmup_updates), "--criterion", "label_smoothed_cross_entropy", "--label-smoothing",
        str(args.label_smoothing), "--max-tokens", str(args.max_tokens), "--required-batch-size-multiple", "1",
        "--num-workers", "0", "--max-update", str(total_updates(args)), "--no-save", "--save-dir",
        str(args.work / "checkpoints"), "--log-format", "simple", "--log-interval", "10", "--seed", "1", "--user-dir",
        str(HERE / "obt_timing")
    ]
    if args.warm_start:
        command += ["--finetune-from-model", str(args.warm_start)]
    return command


def total_updates(args) -> int:
    """The timed updates, then the profiled ones and one more whose start closes the profile."""
    return args.updates + (args.profile_updates + 1 if args.profile_updates else 0)


def summarise(records: list[dict], skip: int, window: int) -> dict:
    """Rates of windows of `window` updates, each update timed from its start to the next one's start."""
    periods = [b["start"] - a["start"] for a, b in zip(records, records[1:])][skip:]
    timed = records[skip : skip + len(periods)]
    if not timed:
        raise SystemExit(f"only {len(records)} updates were recorded: raise --updates above --skip + 1")
    starts = list(range(0, len(timed) - window + 1, window)) or [0]
    windows = [(timed[i : i + window], periods[i : i + window]) for i in starts]
    rates = [sum(r["ntokens"] for r in updates) / sum(seconds) for updates, seconds in windows]
    total = sum(periods)
    bt = sum(r["bt_seconds"] for r in timed)
    task = sum(r["task_seconds"] for r in timed)
    trainer = sum(r["trainer_seconds"] for r in timed)
    return {
        "target_tokens_per_second_median": round(statistics.median(rates), 1),
        "target_tokens_per_second_per_window": [round(r, 1) for r in rates],
        "target_tokens_per_second_overall": round(sum(r["ntokens"] for r in timed) / total, 1),
        "seconds_per_update_median": round(statistics.median(periods), 4),
        "target_tokens_per_update": round(statistics.mean(r["ntokens"] for r in timed), 1),
        "updates_timed": len(timed),
        "window": window,
        "time_split": {
            "bt_generation": round(bt / total, 4),
            "denoise_bt_forward_backward": round((task - bt) / total, 4),
            "optimizer_and_trainer": round((trainer - task) / total, 4),
            "between_updates (data loading, noise, logging)": round((total - trainer) / total, 4),
        },
        "bt_generated_over_source_tokens": round(
            sum(r["bt_generated_tokens"] for r in timed) / max(1, sum(r["bt_source_tokens"] for r in timed)), 3
        ),
        "generation": generation(windows),
    }


def generation(windows: list[tuple[list[dict], list[float]]]) -> dict:
    """Back-translation generation per update and per decoding step / decoded token, medians over the windows,
    named as benchmarks/speed_fixed_cost.py names unmt's."""
    def seconds_per(count: str) -> float | None:
        values = [sum(r["bt_seconds"] for r in u) / sum(r.get(count, 0) for r in u) for u, _ in windows
                  if sum(r.get(count, 0) for r in u)]
        return round(statistics.median(values), 7) if values else None

    updates = [r for u, _ in windows for r in u]
    mean = lambda key: round(statistics.mean(r.get(key, 0) for r in updates), 1)  # noqa: E731
    return {
        "seconds_per_step_median": round(statistics.median(sum(p) / len(p) for _, p in windows), 7),  # as turns
        "generation_seconds_per_step_median": round(statistics.median(r["bt_seconds"] for r in updates), 7),
        "seconds_per_decode_step": seconds_per("decode_steps"),
        "seconds_per_decoded_token": seconds_per("decoded_tokens"),
        "decode_steps_per_step": mean("decode_steps"),
        "decoded_tokens_per_step": mean("decoded_tokens"),
        "target_tokens_per_step": mean("ntokens"),
    }


def profiled(records: list[dict], profile: dict) -> dict:
    """Operator counts of the profiled updates, per update and per decoding step / decoded token."""
    first, n = profile["first_update"], profile["updates"]
    updates = records[first : first + n]
    return {"profiled_steps": n, **per_unit(profile, n, sum(r["decode_steps"] for r in updates),
                                            sum(r["decoded_tokens"] for r in updates))}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True, help="scratch folder (data, logs)")
    parser.add_argument("--data", type=Path, required=True, help="folder with train.<lang>")
    parser.add_argument("--spm", type=Path, required=True, help="the SentencePiece model both trainers use")
    parser.add_argument(
        "--dict", type=Path, help="fairseq dict.txt (from warm_start.py); default: every piece of --spm"
    )
    parser.add_argument("--warm-start", type=Path, help="checkpoint from warm_start.py; default: fairseq's own init")
    parser.add_argument("--languages", nargs=2, default=["en", "fr"])
    parser.add_argument("--d-model", type=int, default=256)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--encoder-layers", type=int, default=2)
    parser.add_argument("--decoder-layers", type=int, default=2)
    parser.add_argument("--ffn", type=int, default=1024)
    parser.add_argument("--activation", default="relu")
    parser.add_argument("--dropout", type=float, default=0.1)
    parser.add_argument("--max-tokens", type=int, default=500, help="padded tokens per sub-batch")
    parser.add_argument("--max-len", type=int, default=50, help="longest training sentence in pieces")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--warmup-updates", type=int, default=200)
    parser.add_argument("--label-smoothing", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--updates", type=int, default=40)
    parser.add_argument("--skip", type=int, default=5, help="first updates left out (warm-up)")
    parser.add_argument("--window", type=int, default=8, help="updates per timed window")
    parser.add_argument("--profile-updates", type=int, default=0,
                        help="updates after the timed ones to count aten operators of under torch.profiler")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    import fairseq
    import torch

    started = time.time()
    binary = prepare(args)
    log = args.work / "updates.jsonl"
    log.unlink(missing_ok=True)
    env = {
        **os.environ, "OBT_TIMING_LOG": str(log), "OMP_NUM_THREADS": str(args.threads),
        "MKL_NUM_THREADS": str(args.threads), "TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD": "1",
        "OBT_PROFILE_FROM": str(args.updates), "OBT_PROFILE_UPDATES": str(args.profile_updates)
    }  # fairseq's own checkpoint loader; this one was written by warm_start.py
    command = train_command(args, binary)
    train_started = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    (args.work / "train.log").write_text(done.stdout + done.stderr)
    if done.returncode != 0:
        print(done.stderr[-4000:], file=sys.stderr)
        return done.returncode
    lines = [json.loads(line) for line in log.read_text().splitlines()]
    records = [r for r in lines if "profile" not in r]
    profiles = [r["profile"] for r in lines if "profile" in r]
    report = {
        "peer": "fairseq online_backtranslation",
        "fairseq": fairseq.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": args.threads,
        "warm_start": str(args.warm_start) if args.warm_start else None,
        "command": command,
        "kept_sentences": args.kept_sentences,
        "updates_recorded": len(records),
        **summarise(records[: args.updates + 1], args.skip, args.window),  # the profiled updates left out
        "train_wall_seconds": round(time.time() - train_started, 1),
        "wall_seconds": round(time.time() - started, 1),
        "peak_rss_mib_fairseq_train": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }
    if profiles:
        report["fixed_cost"] = {**report["generation"], **profiled(records, profiles[0])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"fairseq: {report['target_tokens_per_second_median']} target tokens/s -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
