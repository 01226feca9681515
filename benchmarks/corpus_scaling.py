"""Setup time and peak memory of `unmt train --data` as the corpus grows, stage by stage.

    python benchmarks/corpus_scaling.py --sizes 10000 100000 1000000 5000000 --work /tmp/scaling \
        --out benchmarks/results/corpus_scaling-DATE.json

For each size (lines per language) a fresh process runs `unmt train --data DIR --max-steps 1` (the default
configuration unless --set says otherwise) on toy-grammar text, with its own empty Hugging Face datasets cache, so
every setup is cold. Inside it the setup stages are timed by wrapping unmt's own functions from here (nothing
under unmt/ is edited): vocabulary learning, the corpus as Arrow, tokenisation, the output restriction, lexicon
induction, the aligned subword embeddings, the model and the rest; the peak RSS after each stage shows which one
raised it, with the resident memory split into anonymous (heap) and file-backed pages (the memory-mapped Arrow
cache counts in RSS once touched, but the kernel can drop it). The whole process's peak RSS comes from wait4, the
setup time from the run's own `setup_seconds`.

The text comes from unmt.data.toy's grammar: English from one random stream, French from another. Drawing a
sentence costs about 20 us, so a pool of at most --pool lines per language is drawn and larger corpora repeat it
(setup cost depends on the line count and lengths, not on whether lines repeat; the vocabulary, lexicon and
embeddings read the first lines only).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))


def write_corpora(work: Path, sizes: list[int], pool_size: int, seed: int = 0) -> dict[int, Path]:
    from unmt.data.toy import ToyGrammar

    pool_size = min(pool_size, max(sizes))
    pools = {}
    for i, lang in enumerate(("en", "fr")):
        grammar = ToyGrammar(random.Random(seed * 3 + i))
        pools[lang] = [grammar.sentence()[i] for _ in range(pool_size)]  # side i of stream i: no pair in both corpora
    folders = {}
    for size in sizes:
        folder = work / f"data-{size}"
        folder.mkdir(parents=True, exist_ok=True)
        for lang, pool in pools.items():
            with open(folder / f"train.{lang}", "w", encoding="utf-8") as out:
                for start in range(0, size, len(pool)):
                    out.write("\n".join(pool[: min(len(pool), size - start)]) + "\n")
            (folder / f"valid.{lang}").write_text("\n".join(pool[-300:]) + "\n", encoding="utf-8")
        folders[size] = folder
    return folders


# --- inside the child process --------------------------------------------------------------------------
def child(data: Path, checkpoints: Path, settings: list[str], out: Path) -> int:
    import torch

    import speed_instruments
    import unmt.translation.run_parts as run_parts
    import unmt.translation.starting_points as starting_points
    import unmt.translation.train as train
    from unmt.cli import main as unmt_main

    timeline = []
    regions = speed_instruments.Regions(torch.device("cpu"))

    def stage(function, name):
        timed = regions.wrap(function, name)

        def wrapper(*args, **kwargs):
            before = time.perf_counter()
            try:
                return timed(*args, **kwargs)
            finally:
                timeline.append(
                    {
                        "stage": name, "seconds": round(time.perf_counter() - before, 2), "peak_rss_mib": _peak_mib(),
                        **_rss_now()
                    }
                )
        return wrapper

    Run = train.TrainingRun
    for owner, name, label in [
        (Run, "__init__", "setup.other"), (train, "open_vocabulary", "vocabulary"), (train, "load_data", "data.other"),
        (train, "build_networks", "model"), (train, "build_trainer", "optimisers"),
        (train, "build_back_translator", "back_translator.other"), (Run, "_write_metadata", "metadata"),
        (Run, "run", "first_step_and_evaluation"),
        (run_parts, "load_text_dataset", "data.arrow"), (run_parts, "MonolingualCorpus", "data.tokenise"),
        (run_parts, "output_masks", "data.output_masks"), (run_parts, "valid_sentences", "data.valid"),
        (train, "word_by_word_lexicon", "lexicon"), (train, "initialise_embeddings", "aligned_embeddings"),
        (train, "describe_pair", "pair_signals"),
        (starting_points, "read_lines", "read_lines (lexicon, embeddings)"),
    ]:
        setattr(owner, name, stage(getattr(owner, name), label))
    started = time.perf_counter()
    code = unmt_main([
        "--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--data",
        str(data), "--run", "scaling", "--max-steps", "1", "--set", "runtime.max_minutes=0",
        *[arg for s in settings for arg in ("--set", s)]
    ])
    setup = next(json.loads(line) for line in (checkpoints / "scaling" / "metrics.jsonl").read_text().splitlines()
                 if json.loads(line).get("setup_seconds") is not None)
    out.write_text(
        json.dumps(
            {
                "exit_code": code, "wall_seconds": round(time.perf_counter() - started, 2),
                "setup_seconds": setup["setup_seconds"],
                "exclusive_seconds": {k: round(v, 2) for k, v in regions.seconds.items()}, "timeline": timeline,
                "peak_rss_mib": _peak_mib()
            },
            indent=1,
        )
    )
    return code


def _rss_now() -> dict:
    """The process's resident memory now, split into anonymous pages (heap: what the code holds) and file pages
    (memory-mapped Arrow tables, libraries: the kernel may drop them under pressure)."""
    fields = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("RssAnon", "RssFile"):
            fields[f"{key.lower()}_mib"] = round(int(value.split()[0]) / 1024, 1)
    return fields


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# --- the parent ----------------------------------------------------------------------------------------
def measure(size: int, data: Path, work: Path, settings: list[str], timeout: float) -> dict:
    run_work = work / f"run-{size}"
    shutil.rmtree(run_work, ignore_errors=True)
    run_work.mkdir(parents=True)
    stages = run_work / "stages.json"
    env = {**os.environ, "HF_DATASETS_CACHE": str(run_work / "hf-cache"), "HF_HOME": str(run_work / "hf-home")}
    command = [
        sys.executable, str(Path(__file__).resolve()), "--child", str(data), "--checkpoints",
        str(run_work / "checkpoints"), "--stages", str(stages), *[arg for s in settings for arg in ("--set", s)]
    ]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=open(run_work / "stderr.log", "w")
    )
    while True:  # wait4 gives the child's own peak RSS; poll it so that a size over its time limit can be stopped
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - started > timeout:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            shutil.rmtree(run_work / "hf-cache", ignore_errors=True)
            return {
                "lines_per_language": size, "timed_out_after_seconds": timeout,
                "process_peak_rss_mib": round(usage.ru_maxrss / 1024, 1)
            }
        time.sleep(0.2)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"size {size}: unmt train failed; see {run_work / 'stderr.log'}")
    result = json.loads(stages.read_text())
    disk = sum(f.stat().st_size for f in (run_work / "hf-cache").rglob("*") if f.is_file())
    corpus = sum((data / f"train.{lang}").stat().st_size for lang in ("en", "fr"))
    shutil.rmtree(run_work / "hf-cache", ignore_errors=True)  # GBs at the largest sizes
    return {
        "lines_per_language": size, "corpus_mib": round(corpus / 2**20, 1), "process_wall_seconds": round(wall, 1),
        "process_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "process_peak_rss_mib": round(usage.ru_maxrss / 1024, 1), "datasets_cache_mib": round(disk / 2**20, 1),
        **result
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000, 5_000_000])
    parser.add_argument(
        "--pool", type=int, default=1_000_000, help="distinct lines drawn per language; larger sizes repeat them"
    )
    parser.add_argument("--work", type=Path, default=Path("/tmp/unmt-corpus-scaling"))
    parser.add_argument("--timeout", type=float, default=900, help="seconds one size may take before it is stopped")
    parser.add_argument("--set", action="append", default=[], help="override for every run, e.g. runtime.threads=2")
    parser.add_argument(
        "--out", type=Path, default=None, help="JSON to write (default benchmarks/results/corpus_scaling-DATE.json)"
    )
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--checkpoints", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--stages", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.checkpoints, args.set, args.stages)

    from report import timestamped, write_report

    args.out = args.out or timestamped("corpus_scaling")
    started = time.perf_counter()
    folders = write_corpora(args.work, sorted(args.sizes), args.pool)
    generation = time.perf_counter() - started
    results = []
    report = {"settings": args.set, "pool_lines": min(args.pool, max(args.sizes)),
              "corpus_generation_seconds": round(generation, 1), "runs": results}
    for size in sorted(args.sizes):
        r = measure(size, folders[size], args.work, args.set, args.timeout)
        if "setup_seconds" in r and results and "setup_seconds" in results[0]:
            r["setup_over_smallest"] = round(r["setup_seconds"] / results[0]["setup_seconds"], 2)
        results.append(r)
        write_report(args.out, report, quiet=True)  # after every size: a stopped run keeps what it measured
        print(f"{size:>9} lines: setup {r.get('setup_seconds')} s, peak RSS {r['process_peak_rss_mib']} MiB, "
              f"stages {r.get('exclusive_seconds')}", file=sys.stderr, flush=True)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
