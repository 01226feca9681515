"""Peak memory of `unmt translate` against input size: streaming must keep it flat.

Trains a tiny toy model (seconds), then translates inputs of increasing line counts (toy sentences with empty,
whitespace-only, CRLF, invalid-UTF-8 and very long lines mixed in), each in a fresh process, and records the
process's peak RSS and that exactly one line came out per line in.

    python benchmarks/translate_memory.py --lines 1000 10000 100000
"""
from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import RESULTS, timestamped, write_report  # noqa: E402

TINY_TRAINING = [
    "--set", "data.toy_sentences=800", "--set", "data.vocab_size=300", "--set", "model.d_model=32", "--set",
    "model.n_heads=2", "--set", "model.encoder_layers=1", "--set", "model.decoder_layers=1", "--set",
    "model.ffn_dim=64", "--set", "discriminator.hidden=32", "--set", "evaluation.every=20", "--set",
    "runtime.threads=1"
]

# Runs the command given as argv in a child and prints the child's peak RSS (KiB on Linux).
MEASURE = (
    "import resource, subprocess, sys\n"
    "with open(sys.argv[1], 'rb') as source, open(sys.argv[2], 'wb') as sink:\n"
    "    code = subprocess.run(sys.argv[3:], stdin=source, stdout=sink, stderr=subprocess.DEVNULL).returncode\n"
    "print(code, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def write_input(path: Path, n_lines: int, sentences: list[str], seed: int = 0) -> None:
    rng = random.Random(seed)
    specials = [b"", b"   ", b"\xff\xfe broken bytes", (" ".join(sentences[:60])).encode()]
    with open(path, "wb") as out:
        for i in range(n_lines):
            line = specials[i % len(specials)] if i % 50 == 0 else rng.choice(sentences).encode()
            out.write(line + (b"\r\n" if i % 7 == 0 else b"\n"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder of the JSON")
    args = parser.parse_args()
    from unmt.data.toy import generate_toy_corpus

    sentences = generate_toy_corpus(n_train=2000, n_valid=1, n_test=1, seed=1).train_en
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        unmt = [sys.executable, "-m", "unmt.cli", "--quiet", "--checkpoints-dir", str(tmp / "ck")]
        subprocess.run(
            [*unmt, "train", "--src", "en", "--tgt", "fr", "--run", "tiny", "--max-steps", "20", *TINY_TRAINING],
            check=True, stdout=subprocess.DEVNULL
        )
        for n_lines in args.lines:
            source, sink = tmp / f"in-{n_lines}.txt", tmp / f"out-{n_lines}.txt"
            write_input(source, n_lines, sentences)
            started = time.monotonic()
            result = subprocess.run(
                [sys.executable, "-c", MEASURE, str(source), str(sink), *unmt, "translate", "--checkpoint", "tiny"],
                capture_output=True, text=True, check=True
            )
            seconds = time.monotonic() - started
            code, peak_kib = map(int, result.stdout.split())
            lines_out = sink.read_bytes().count(b"\n")
            rows.append(
                {
                    "lines_in": n_lines, "lines_out": lines_out, "exit_code": code,
                    "input_mib": source.stat().st_size / 2**20, "peak_rss_mib": peak_kib / 1024, "seconds": seconds
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    base = rows[0]["peak_rss_mib"]
    for row in rows:
        row["rss_ratio_to_smallest"] = row["peak_rss_mib"] / base
    write_report(timestamped("translate_memory", args.out), {"rows": rows})
    return 0 if all(r["lines_out"] == r["lines_in"] and r["exit_code"] == 0 for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
