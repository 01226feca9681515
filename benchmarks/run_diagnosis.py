"""Where a UNMT run on a new pair stands, read off its run folder: the shared-spelling signals and the embedding
alignment's criterion from setup, the word-by-word lexicon's precision@1 against a test dictionary (scoring only),
and by evaluation step test BLEU, the round-trip criterion and the discriminator's accuracy. One JSON.

    python benchmarks/run_diagnosis.py RUN_DIR --gold en-cs.txt [--gold-reverse cs-en.txt] --out diagnosis.json

The test dictionary comes from data_scripts/build_test_dictionary.py (lower-cased); without --gold-reverse the
reverse direction is scored against the inverted dictionary.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from report import write_report  # noqa: E402
from unmt.lexicon.evaluation import inverted_dictionary, read_dictionary  # noqa: E402
from unmt.lexicon.induce import precision_at_1  # noqa: E402


def lexicon_precision(lexicon: dict[str, str], gold: dict[str, set[str]]) -> dict:
    """precision@1 of a lexicon (read lower-cased, first spelling wins) over the gold words it translates."""
    lowered: dict[str, str] = {}
    for word, translation in lexicon.items():
        lowered.setdefault(word.lower(), translation.lower())
    known = sum(w in lowered for w in gold)
    return {"p@1": round(precision_at_1(lowered, gold), 4), "words": known, "gold_words": len(gold)}


def diagnose(run_dir: Path, gold: dict[str, set[str]], gold_reverse: dict[str, set[str]]) -> dict:
    info = json.loads((run_dir / "run.json").read_text())
    src, tgt = info["src"], info["tgt"]
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    setup = next((r for r in records if r.get("kind") == "setup"), {})
    result = {"run": str(run_dir), "pair": f"{src}-{tgt}", "setup": setup}
    lexicon_path = run_dir / "lexicon.json"
    if lexicon_path.is_file():
        lexicon = json.loads(lexicon_path.read_text(encoding="utf-8"))  # keyed by the language translated into
        result["lexicon"] = {f"{src}-{tgt}": lexicon_precision(lexicon[tgt], gold),
                             f"{tgt}-{src}": lexicon_precision(lexicon[src], gold_reverse)}
    train = [r for r in records if r.get("kind") == "train"]
    curve = []
    for record in (r for r in records if r.get("kind") == "eval"):
        # the discriminator's accuracy over the training lines logged since the evaluation before
        window = [
            t["d_accuracy"] for t in train if "d_accuracy" in t and curve_start(curve) < t["step"] <= record["step"]
        ]
        curve.append({"step": record["step"], "minutes": round(record["seconds"] / 60, 1),
                      **{k: record[k] for k in record if k.startswith(("test_bleu_", "round_trip"))},
                      "d_accuracy": round(statistics.mean(window), 4) if window else None})
    result["curve"] = curve
    return result


def curve_start(curve: list[dict]) -> int:
    return curve[-1]["step"] if curve else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run folder (holds run.json, metrics.jsonl, lexicon.json)")
    parser.add_argument("--gold", type=Path, required=True, help="test dictionary SRC -> TGT, 'source target' lines")
    parser.add_argument("--gold-reverse", type=Path, help="test dictionary TGT -> SRC (default: --gold inverted)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    gold = read_dictionary(args.gold)
    reverse = read_dictionary(args.gold_reverse) if args.gold_reverse else inverted_dictionary(gold)
    result = diagnose(args.run, gold, reverse)
    write_report(args.out, result)
    for row in result["curve"]:
        print(" ".join(f"{k}={v}" for k, v in row.items()))
    print("lexicon:", result.get("lexicon"), "\nsetup pair signals:", result["setup"].get("pair"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
