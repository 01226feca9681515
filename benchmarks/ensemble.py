"""Test BLEU and chrF of several runs alone and of their ensemble (the mean of their next-token probabilities).

Each run is represented by its round-trip-selected ('best') checkpoint, so nothing here looks at parallel data
before scoring. Two runs trained for an hour each cost the same training compute as one run of two hours, which
is the comparison this answers:

    python benchmarks/ensemble.py --run RUNS/a --run RUNS/b --data DATA --beam 1 --out results/ensemble.json
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scored_run import write_result  # noqa: E402

from unmt.checkpoint import read_pointer  # noqa: E402
from unmt.errors import USER_ERRORS  # noqa: E402
from unmt.translation.evaluate import score  # noqa: E402
from unmt.translation.model_io import load_ensemble_translator, load_translator  # noqa: E402


def scored(translator, lines: dict[str, list[str]], src: str, tgt: str, beam: int) -> dict:
    """Both directions' scores, and the seconds all the decoding took."""
    start = time.perf_counter()
    result = {}
    for a, b in ((src, tgt), (tgt, src)):
        result[f"{a}-{b}"] = {k: v for k, v in score(translator.translate(lines[a], b, beam), lines[b]).items() if not k.endswith("signature")}
    result["decode_seconds"] = round(time.perf_counter() - start, 1)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, action="append", required=True, help="run folder; give two or more")
    parser.add_argument("--data", type=Path, required=True, help="folder with test.<src> and test.<tgt>")
    parser.add_argument("--src", default="en")
    parser.add_argument("--tgt", default="fr")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--out", type=Path, required=True, help="JSON to write")
    args = parser.parse_args()
    if len(args.run) < 2:
        parser.error("give at least two --run folders")
    try:
        lines = {lang: (args.data / f"test.{lang}").read_text(encoding="utf-8").splitlines() for lang in (args.src, args.tgt)}
        singles = [load_translator(run, "best")[0] for run in args.run]
        ensemble = load_ensemble_translator(args.run, "best")[0]
    except USER_ERRORS as error:
        parser.error(str(error))
    members = [{"run": str(run), **scored(t, lines, args.src, args.tgt, args.beam)} for run, t in zip(args.run, singles)]
    together = scored(ensemble, lines, args.src, args.tgt, args.beam)
    directions = (f"{args.src}-{args.tgt}", f"{args.tgt}-{args.src}")
    summary = {}
    for direction in directions:
        alone = [member[direction]["bleu"] for member in members]
        summary[direction] = {
            "gain_over_best_member": round(together[direction]["bleu"] - max(alone), 2),
            "gain_over_member_mean": round(together[direction]["bleu"] - statistics.mean(alone), 2),
        }
    summary["decode_time_vs_member_mean"] = round(together["decode_seconds"] / statistics.mean(m["decode_seconds"] for m in members), 2)
    checkpoints = ", ".join((read_pointer(run, "best") or read_pointer(run, "latest")).name for run in args.run)  # those loaded
    write_result(args.out, ", ".join(map(str, args.run)), checkpoints, beam=args.beam, members=members, ensemble=together, summary=summary)
    for member in members:
        print(f"{member['run']}: " + "  ".join(f"{d} {member[d]['bleu']:.2f}" for d in directions))
    print("ensemble: " + "  ".join(f"{d} {together[d]['bleu']:.2f} ({summary[d]['gain_over_best_member']:+.2f} over the best member)" for d in directions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
