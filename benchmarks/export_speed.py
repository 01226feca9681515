"""Translation speed of the torch engine against CTranslate2 float32 and int8 on the same weights, in one run.

Exports the run twice (float32, int8), translates its test set in both directions with each engine, greedy and
beam 5, and records sentences/s (median of --repeats timed passes after one untimed warm-up, model loading
excluded; a pass translates the test set --copies times over), BLEU, and how many test lines each CTranslate2
model translates exactly as torch does.

    python benchmarks/export_speed.py --run checkpoints/toy      # a trained run
    python benchmarks/export_speed.py                            # trains the 300-step toy run first (~2 min)
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import timestamped, write_report  # noqa: E402


def timed(translate, lines, tgt, beam, batch_size, repeats) -> tuple[list[str], float]:
    """(the translations, median sentences/s over `repeats` passes after a warm-up pass)."""
    outputs = translate(lines, tgt, beam, batch_size)
    rates = []
    for _ in range(repeats):
        started = time.perf_counter()
        translate(lines, tgt, beam, batch_size)
        rates.append(len(lines) / (time.perf_counter() - started))
    return outputs, statistics.median(rates)


def summarise(rows: list[dict]) -> dict:
    """Speed ratios to torch, and int8's BLEU minus float32's, per direction and beam."""
    by = {(r["direction"], r["beam"], r["engine"]): r for r in rows}
    summary = {}
    for (direction, beam, engine), row in by.items():
        if engine != "torch":
            torch_rate = by[direction, beam, "torch"]["sentences_per_second"]
            summary[f"{direction} beam {beam} {engine} / torch"] = round(row["sentences_per_second"] / torch_rate, 2)
        if engine == "ctranslate2_int8":
            float32 = by[direction, beam, "ctranslate2_float32"]
            summary[f"{direction} beam {beam} BLEU int8 - float32"] = round(row["bleu"] - float32["bleu"], 2)
    return summary


def train_toy_run(folder: Path) -> Path:
    command = [sys.executable, "-m", "unmt.cli", "--quiet", "--checkpoints-dir", str(folder), "train", "--src", "en",
               "--tgt", "fr", "--run", "toy", "--max-steps", "300", "--set", "train.threads=1"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return folder / "toy"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a trained run folder (default: train the toy run)")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads(), help="CPU threads for every engine")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--beams", type=int, nargs="+", default=[1, 5])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--copies", type=int, default=4, help="the test set repeated this many times per timed pass, "
                                                              "so that a pass lasts long enough to time")
    parser.add_argument("--out", type=Path, default=timestamped("export_speed"))
    args = parser.parse_args()

    from unmt.data.corpus import read_lines
    from unmt.export.ct2_translator import CTranslate2Translator
    from unmt.export.ctranslate2 import export_ctranslate2
    from unmt.translation.evaluate import score
    from unmt.translation.model_io import load_translator

    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()  # other work on the machine skews the figures; recorded beside them
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_dir = args.run or train_toy_run(tmp / "runs")
        torch_engine, info = load_translator(run_dir)
        engines = {"torch": torch_engine}
        for quantization in ("float32", "int8"):
            export_ctranslate2(run_dir, tmp / quantization, quantization)
            engines[f"ctranslate2_{quantization}"] = CTranslate2Translator(tmp / quantization, threads=args.threads)
        data = Path(info["data"])
        rows = []
        for src, tgt in ((info["src"], info["tgt"]), (info["tgt"], info["src"])):
            lines, references = read_lines(data / f"test.{src}"), read_lines(data / f"test.{tgt}")
            n = len(lines)
            for beam in args.beams:
                outputs = {}
                for name, engine in engines.items():
                    translations, rate = timed(
                        engine.translate, lines * args.copies, tgt, beam, args.batch_size, args.repeats
                    )
                    outputs[name] = translations[:n]
                    row = {
                        "direction": f"{src}-{tgt}", "beam": beam, "engine": name,
                        "sentences_per_second": round(rate, 1), "bleu": score(outputs[name], references)["bleu"],
                        "identical_to_torch": sum(a == b for a, b in zip(outputs[name], outputs["torch"])), "lines": n
                    }
                    rows.append(row)
                    print(json.dumps(row), flush=True)
    report = {"load_average_before": load_before, "load_average_after": os.getloadavg(),
              "run": str(args.run or "toy run, 300 steps"), "model": info["model"],
              "threads": args.threads, "batch_size": args.batch_size, "repeats": args.repeats, "copies": args.copies,
              "rows": rows, "summary": summarise(rows)}
    print(json.dumps(report["summary"], indent=1))
    write_report(args.out, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
