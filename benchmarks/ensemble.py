"""Test BLEU and chrF of several runs alone and of their ensemble (the mean of their next-token probabilities).

Each run is represented by its round-trip-selected ('best') checkpoint, so nothing here looks at parallel data
before scoring. Two runs trained for an hour each cost the same training compute as one run of two hours, which
is the comparison this answers:

    python benchmarks/ensemble.py --run RUNS/a --run RUNS/b --data DATA --beam 1 --out results/ensemble.json

With three or more runs, `--subsets` also scores every smaller ensemble, reusing each member's own scores.
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scored_run import write_result  # noqa: E402
from unmt.checkpoint import read_pointer  # noqa: E402
from unmt.errors import USER_ERRORS  # noqa: E402
from unmt.translation.evaluate import round_trip_bleu, score  # noqa: E402
from unmt.translation.model_io import ensemble_translator, load_ensemble_members  # noqa: E402


def scored(translator, lines: dict[str, list[str]], valid: dict[str, list[str]], src: str, tgt: str, beam: int) -> dict:
    """Both directions' test scores, the seconds that decoding took, and the unsupervised round-trip BLEU on the
    monolingual validation halves (the criterion a user without parallel data would choose by)."""
    start = time.perf_counter()
    result = {}
    for a, b in ((src, tgt), (tgt, src)):
        result[f"{a}-{b}"] = score(translator.translate(lines[a], b, beam), lines[b])
    result["decode_seconds"] = round(time.perf_counter() - start, 1)
    if valid:
        trips = [round_trip_bleu(translator, valid[a], a, b, beam) for a, b in ((src, tgt), (tgt, src))]
        result["round_trip"] = round(statistics.mean(trips), 2)
    return result


def gains(together: dict, members: list[dict], directions) -> dict:
    """The ensemble's BLEU against its best and its average member, and what its decoding cost beside theirs."""
    summary = {}
    for direction in directions:
        alone = [member[direction]["bleu"] for member in members]
        summary[direction] = {
            "gain_over_best_member": round(together[direction]["bleu"] - max(alone), 2),
            "gain_over_member_mean": round(together[direction]["bleu"] - statistics.mean(alone), 2),
        }
    summary["decode_time_vs_member_mean"] = round(
        together["decode_seconds"] / statistics.mean(m["decode_seconds"] for m in members), 2
    )
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, action="append", required=True, help="run folder; give two or more")
    parser.add_argument(
        "--data", type=Path, required=True, help="folder with test.<src>, test.<tgt> (and valid.*: round trip)"
    )
    parser.add_argument("--src", default="en")
    parser.add_argument("--tgt", default="fr")
    parser.add_argument("--beam", type=int, default=1)
    parser.add_argument("--subsets", action="store_true", help="also every smaller ensemble of two or more of the runs")
    parser.add_argument("--out", type=Path, required=True, help="JSON to write")
    args = parser.parse_args()
    if len(args.run) < 2:
        parser.error("give at least two --run folders")
    sizes = range(2, len(args.run) + 1) if args.subsets else [len(args.run)]
    groups = [list(group) for size in sizes for group in itertools.combinations(range(len(args.run)), size)]
    try:
        lines = {
            lang: (args.data / f"test.{lang}").read_text(encoding="utf-8").splitlines() for lang in (args.src, args.tgt)
        }
        valid_files = {lang: args.data / f"valid.{lang}" for lang in (args.src, args.tgt)}
        valid = {lang: path.read_text(encoding="utf-8").splitlines() for lang, path in valid_files.items()} if all(
            path.is_file() for path in valid_files.values()) else {}
        singles = [translator for translator, _ in load_ensemble_members(args.run, "best")]
    except USER_ERRORS as error:
        parser.error(str(error))
    ensembles = [ensemble_translator([singles[i] for i in group]) for group in groups]
    directions = (f"{args.src}-{args.tgt}", f"{args.tgt}-{args.src}")
    members = [
        {"run": str(run), **scored(t, lines, valid, args.src, args.tgt, args.beam)} for run, t in zip(args.run, singles)
    ]
    results = []
    for group, translator in zip(groups, ensembles):
        together = scored(translator, lines, valid, args.src, args.tgt, args.beam)
        results.append(
            {
                "runs": [str(args.run[i]) for i in group], **together,
                "summary": gains(together, [members[i] for i in group], directions)
            }
        )
    checkpoints = ", ".join(
        (read_pointer(run, "best") or read_pointer(run, "latest")).name for run in args.run
    )  # those loaded
    write_result(
        args.out, ", ".join(map(str, args.run)), checkpoints, beam=args.beam, members=members, ensembles=results
    )
    for member in members:
        print(
            f"{member['run']}: "
            + "  ".join(f"{d} {member[d]['bleu']:.2f}" for d in directions)
            + f"  round trip {member.get('round_trip')}"
        )
    for result in results:
        print(
            f"ensemble of {len(result['runs'])}: "
            + "  ".join(
                f"{d} {result[d]['bleu']:.2f} "
                f"({result['summary'][d]['gain_over_best_member']:+.2f} over its best member)"
                for d in directions
            )
            + f"  round trip {result.get('round_trip')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
