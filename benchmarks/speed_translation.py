"""Translation speed for benchmarks/speed.py: sentences/s of `Translator.translate` (raw text in, detokenised
text out) at each beam and batch size, on a run's first test sentences."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

from unmt.data.corpus import read_lines
from unmt.translation.train import TrainingRun


def measure_translation(run: TrainingRun, lines: list[str], beams: list[int], batches: list[int], reps: int) -> dict:
    src, tgt = run.languages
    out = {}
    for beam in beams:
        for batch in batches:
            rates, words = [], 0
            for _ in range(reps):
                started = time.perf_counter()
                outputs = run.translator.translate(lines, tgt, beam_size=beam, batch_size=batch)
                rates.append(len(lines) / (time.perf_counter() - started))
                words = sum(len(o.split()) for o in outputs)
            out[f"beam{beam}_batch{batch}"] = {"sentences_per_second_median": round(statistics.median(rates), 2),
                                              "per_rep": [round(r, 2) for r in rates], "output_words": words}
    return {"direction": f"{src}-{tgt}", "sentences": len(lines), "reps": reps, "results": out}


def test_sentences(data_dir: Path, lang: str, n: int) -> list[str]:
    for split in ("test", "valid", "train"):
        path = data_dir / f"{split}.{lang}"
        if path.is_file():
            return [line for line in read_lines(path) if line.strip()][:n]
    raise SystemExit(f"{data_dir} has no test/valid/train.{lang} to translate")
