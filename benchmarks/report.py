"""What every benchmark writes beside its figures: the machine, the versions and commit measured, the command line,
and a JSON file under benchmarks/results/ named with the time it was made. One place, so that every result file can
be traced to the code and the machine that produced it in the same way."""
from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def machine() -> dict:
    """CPU model, cores, GPU and torch's thread count at the time of the call (call it after set_num_threads)."""
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), None)
    return {"cpu": cpu or platform.processor(), "cores": os.cpu_count(),
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
            "threads": torch.get_num_threads(), "torch": torch.__version__, "python": platform.python_version()}


def versions() -> dict:
    """The commit measured and the files under unmt/ that differ from it (others may be editing the tree)."""
    def git(*command: str) -> str | None:
        done = subprocess.run(["git", *command], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip("\n") if done.returncode == 0 else None

    changed = git("status", "--porcelain", "--", "unmt")
    return {"commit": git("rev-parse", "HEAD"), "unmt_changes_uncommitted": changed.splitlines() if changed else [],
            "torch": torch.__version__, "python": platform.python_version()}


def command() -> str:
    """The command line that made the result, as one could paste it again from the repository root."""
    return shlex.join(["python", *sys.argv])


def stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S")


def timestamped(stem: str, folder: Path = RESULTS, suffix: str = ".json") -> Path:
    """folder/STEM-YYYYMMDD-HHMMSS.json: a new name per run, so that no result overwrites another."""
    return Path(folder) / f"{stem}-{stamp()}{suffix}"


def write_report(path: Path, figures: dict, quiet: bool = False) -> Path:
    """Writes the figures with the command, the machine and the versions in front; figures may override the
    machine (e.g. a thread count the benchmark set per child process). Safe to call again as figures grow."""
    report = {"command": command(), "machine": machine(), "versions": versions(),
              "written": time.strftime("%Y-%m-%d %H:%M:%S %Z"), **figures}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if not quiet:
        print(f"wrote {path}", file=sys.stderr, flush=True)
    return path
