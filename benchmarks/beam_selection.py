"""Beam search with the survivors picked by tensor ops (unmt.translation.search) against the per-candidate Python
loop it replaced (kept in tests/test_beam_selection.py as the reference), on a trained run: sentences/s at each
batch size, median of several repetitions, in one process, and whether the outputs are identical.

    python benchmarks/beam_selection.py --run RUN --source DATA/test.en --tgt fr

writes benchmarks/results/beam_selection-DATE.json.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from report import timestamped, write_report  # noqa: E402
from tests.test_beam_selection import loop_beam_search  # noqa: E402
from unmt.translation.batching import source_batch  # noqa: E402
from unmt.translation.model_io import load_translator  # noqa: E402
from unmt.translation.search import beam_search  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True)
    parser.add_argument("--source", type=Path, required=True, help="text in the source language, one sentence a line")
    parser.add_argument("--tgt", required=True, help="language to translate into")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 64])
    parser.add_argument("--sentences", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=timestamped("beam_selection"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    translator, _ = load_translator(args.run)
    lines = args.source.read_text(encoding="utf-8").splitlines()[: args.sentences]
    rows = [translator.vocab.encode(line) for line in lines]
    lang_id = translator.vocab.lang_ids[args.tgt]
    mask = translator.output_masks.get(args.tgt)
    searches = {"tensor_selection": beam_search, "loop_selection": loop_beam_search}
    results = []
    for batch in args.batches:
        chunks = [rows[i:i + batch] for i in range(0, len(rows), batch)]
        inputs = [
            (*source_batch(chunk, torch.device("cpu")), mask.expand(len(chunk), -1) if mask is not None else None)
            for chunk in chunks
        ]
        timings, outputs = {name: [] for name in searches}, {}
        for _ in range(args.repeats):
            for name, search in searches.items():  # alternated, so drift in the machine hits both alike
                started = time.perf_counter()
                outputs[name] = [out for src, pad, allowed in inputs
                                 for out in search(translator.model, src, pad, lang_id, args.beam, None, 1.0, allowed)]
                timings[name].append(time.perf_counter() - started)
        row = {
            "batch": batch,
            **{f"{name}_sentences_per_s": round(len(rows) / statistics.median(t), 1) for name, t in timings.items()},
            "identical_outputs": outputs["tensor_selection"] == outputs["loop_selection"]
        }
        row["speedup"] = round(row["tensor_selection_sentences_per_s"] / row["loop_selection_sentences_per_s"], 3)
        results.append(row)
        print(row)
    write_report(args.out, {"beam": args.beam, "sentences": len(rows), "repeats": args.repeats, "results": results})
    return 0


if __name__ == "__main__":
    sys.exit(main())
