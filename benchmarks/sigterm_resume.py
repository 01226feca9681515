"""SIGTERM into a resumed toy run, as a cluster preempts one: the run is started, resumed, sent SIGTERM some seconds
after the resumed session restored its checkpoint (one process, or torchrun with two), and resumed again. Writes
what happened as JSON:
exit codes, the step it stopped at against the step of the checkpoint it left, whether a lock stayed, and the step
the next resume started from.

    python benchmarks/sigterm_resume.py [--processes 2]   # writes benchmarks/results/sigterm_resume-DATE.json
"""
from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from report import timestamped, write_report

STOPPED = re.compile(r"stopped by (SIG\w+) at step (\d+): checkpoint (step-\d+) saved")
RESUMED = re.compile(r"resumed (step-\d+) at step (\d+)")


def command(checkpoints: Path, processes: int, *extra: str) -> list[str]:
    train = ["--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", *extra]
    if processes == 1:
        return [sys.executable, "-m", "unmt", *train, "--run", "r"]
    return [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes), "-m", "unmt", *train,
            "--run-name", "r"]


def tracebacks_end_in(stderr: str) -> list[str]:
    """The exception line each traceback in stderr ends with (under torchrun, the launcher prints its own)."""
    ends, inside = [], False
    for line in stderr.splitlines():
        if line.startswith("Traceback"):
            inside = True
        elif inside and line and not line.startswith((" ", "\t")):
            ends.append(line[:200])
            inside = False
    return ends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=timestamped("sigterm_resume"))
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--first-minutes", type=float, default=1.0, help="length of the first session")
    parser.add_argument("--after", type=float, default=45.0, help="seconds into the resumed session to send SIGTERM")
    args = parser.parse_args()
    env = {**os.environ, "OMP_NUM_THREADS": "1"} if args.processes > 1 else dict(os.environ)
    checkpoints = Path(tempfile.mkdtemp(prefix="sigterm-"))
    first = subprocess.run(command(checkpoints, args.processes, "--max-minutes", str(args.first_minutes)),
                           capture_output=True, text=True, env=env)
    resumed = subprocess.Popen(command(checkpoints, args.processes, "--resume"), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    lines = []
    for line in resumed.stderr:  # the clock starts when the checkpoint is restored, not while setup runs
        lines.append(line)
        if RESUMED.search(line):
            break
    collector = threading.Thread(target=lambda: lines.extend(resumed.stderr))
    collector.start()
    time.sleep(args.after)
    resumed.send_signal(signal.SIGTERM)  # to the trainer, or to torchrun, which passes it to every rank
    resumed.wait(timeout=600)
    collector.join()
    stderr = "".join(lines)
    stops = sorted(set(STOPPED.findall(stderr)))
    run = checkpoints / "r"
    latest = (run / "latest").read_text().strip() if (run / "latest").is_file() else None
    saved_step = json.loads((run / latest / "state.json").read_text())["step"] if latest else None
    stopped_step = int(stops[0][1]) if len(stops) == 1 else None
    again = subprocess.run(
        command(checkpoints, args.processes, "--resume", "--max-steps", str((stopped_step or 0) + 20)),
        capture_output=True, text=True, env=env
    )
    continued = RESUMED.search(again.stderr)
    report = {
        "what": __doc__.splitlines()[0],
        "processes": args.processes,
        "first_session": {"exit": first.returncode, "minutes": args.first_minutes},
        "sigterm_after_seconds": args.after,
        "stopped": {"exit": resumed.returncode, "lines": [" ".join(s) for s in stops], "step": stopped_step,
                    "latest": latest, "checkpoint_step": saved_step, "lock_left": (run / ".lock").exists(),
                    "traceback": "Traceback" in stderr, "tracebacks_end_in": tracebacks_end_in(stderr)},
        "resumed_again": {"exit": again.returncode, "from_checkpoint": continued.group(1) if continued else None,
                          "from_step": int(continued.group(2)) if continued else None},
    }
    exit_ok = resumed.returncode == 128 + signal.SIGTERM or args.processes > 1  # torchrun reports its own status
    report["ok"] = (exit_ok and stopped_step is not None and stopped_step == saved_step
                    and not report["stopped"]["lock_left"] and report["resumed_again"]["from_step"] == stopped_step
                    and again.returncode == 0)
    print(json.dumps(report, indent=1))
    write_report(args.out, report)


if __name__ == "__main__":
    main()
