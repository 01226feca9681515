"""Decoding and scoring on a trained run's test set, through the commands a user types.

For both directions of the run: greedy and beam-4 output against the same commands of an older checkout (byte for
byte), the n-best list's first entry against the 1-best and its score against `unmt score` of its text, the share
of test pairs that `unmt score` ranks above a mismatched pair (each source against the next line's reference), and
`unmt evaluate --compare` (paired bootstrap) of the run against an earlier checkpoint of the same recipe.

    python benchmarks/decode_multi30k.py --run RUN --early EARLY_RUN --data DATA --old-checkout OLD \
        --out benchmarks/results/decode-multi30k-DATE.json

OLD is a checkout of the commit to compare with (its `unmt` package is put first on PYTHONPATH).
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import write_report  # noqa: E402

BEAM = 4


def unmt(args: list[str], stdin: Path | None = None, pythonpath: Path | None = None) -> str:
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = str(pythonpath)
    source = open(stdin, "rb") if stdin else subprocess.DEVNULL
    try:
        command = [sys.executable, "-m", "unmt", "--quiet", *args]
        done = subprocess.run(command, stdin=source, capture_output=True, env=env)
    finally:
        if stdin:
            source.close()
    if done.returncode:
        raise SystemExit(f"unmt {' '.join(args)} failed: {done.stderr.decode()[-2000:]}")
    return done.stdout.decode("utf-8")


def scores(run: Path, src: str, tgt: str, sources: Path, targets: Path) -> list[float]:
    return [float(line) for line in unmt(["score", "--checkpoint", str(run), "--src", src, "--tgt", tgt,
                                          str(sources), str(targets)]).splitlines()]


def direction(run: Path, old: Path, data: Path, src: str, tgt: str, tmp: Path) -> dict:
    test_src, test_tgt = data / f"test.{src}", data / f"test.{tgt}"
    row: dict = {"direction": f"{src}-{tgt}"}
    outputs = {}
    for beam in (1, BEAM):
        command = ["translate", "--checkpoint", str(run), "--src", src, "--tgt", tgt, "--beam", str(beam)]
        new, before = unmt(command, test_src), unmt(command, test_src, pythonpath=old)
        differing = [i for i, (a, b) in enumerate(zip(new.splitlines(), before.splitlines())) if a != b]
        row[f"beam{beam}_vs_old"] = {"lines": len(new.splitlines()), "byte_identical": new == before,
                                     "differing_lines": differing[:20], "differing": len(differing)}
        outputs[beam] = new.splitlines()
    nbest = unmt(["translate", "--checkpoint", str(run), "--src", src, "--tgt", tgt, "--beam", str(BEAM),
                  "--nbest", str(BEAM), "--output-format", "nbest"], test_src)
    firsts: dict[int, tuple[float, str]] = {}
    for line in nbest.splitlines():
        index, score, text = line.split("\t", 2)
        firsts.setdefault(int(index), (float(score), text))
    firsts_text = [firsts[i][1] for i in sorted(firsts)]
    row["nbest_first_equals_1best"] = sum(a == b for a, b in zip(firsts_text, outputs[BEAM]))
    hypotheses = tmp / f"beam.{src}-{tgt}"
    hypotheses.write_text("".join(f"{text}\n" for text in outputs[BEAM]), encoding="utf-8")
    scored = scores(run, src, tgt, test_src, hypotheses)
    # They differ only where the detokenised text encodes back into other subwords than those searched (then
    # `unmt score` scores another segmentation, -inf if it holds a subword the output restriction forbids).
    differences = [abs(firsts[i][0] - s) for i, s in zip(sorted(firsts), scored)]
    row["nbest_score_vs_unmt_score"] = {"lines": len(differences), "within_1e-4": sum(d <= 1e-4 for d in differences),
                                        "score_minus_inf": sum(s == float("-inf") for s in scored)}
    references = test_tgt.read_text(encoding="utf-8").splitlines()
    mismatched = tmp / f"mismatched.{tgt}"
    mismatched.write_text("".join(f"{line}\n" for line in references[1:] + references[:1]), encoding="utf-8")
    true, wrong = scores(run, src, tgt, test_src, test_tgt), scores(run, src, tgt, test_src, mismatched)
    row["true_pair_ranked_above_mismatched"] = {"share": sum(t > w for t, w in zip(true, wrong)) / len(true),
                                                "pairs": len(true)}
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="the trained run")
    parser.add_argument("--early", type=Path, required=True, help="an earlier checkpoint of the same recipe (a run)")
    parser.add_argument("--data", type=Path, required=True, help="folder with test.<lang> files")
    parser.add_argument("--old-checkout", type=Path, required=True, help="checkout of the commit to compare with")
    parser.add_argument("--out", type=Path, required=True, help="the JSON file to write")
    args = parser.parse_args()
    info = json.loads((args.run / "run.json").read_text())
    src, tgt = info["src"], info["tgt"]
    with tempfile.TemporaryDirectory() as tmp:
        rows = [direction(args.run, args.old_checkout, args.data, a, b, Path(tmp)) for a, b in ((src, tgt), (tgt, src))]
        compared = Path(tmp) / "compare.json"
        unmt(["evaluate", "--checkpoint", str(args.run), "--compare", str(args.early), "--data", str(args.data),
              "--json", str(compared)])
        bootstrap = json.loads(compared.read_text())
    report = {"run": str(args.run), "early": str(args.early), "old_checkout": subprocess.run(
        ["git", "-C", str(args.old_checkout), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "rows": rows, "bootstrap_run_vs_early": bootstrap}
    write_report(args.out, report)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
