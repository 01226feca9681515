"""benchmarks/report.py: every result file says which command, machine and commit made it, and a default name
never overwrites an earlier result."""
import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import report  # noqa: E402


def test_a_report_leads_with_command_machine_and_versions(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "argv", ["benchmarks/some_benchmark.py", "--steps", "3", "--name", "two words"])
    path = report.write_report(
        tmp_path / "deep" / "result.json", {"figures": [1.5, 2.5], "machine_note": "x"}, quiet=True
    )
    written = json.loads(path.read_text())
    assert list(written)[:4] == ["command", "machine", "versions", "written"]
    assert written["command"] == "python benchmarks/some_benchmark.py --steps 3 --name 'two words'"
    assert written["machine"]["cores"] >= 1 and written["machine"]["torch"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    assert written["versions"]["commit"] == (head or None)
    assert written["figures"] == [1.5, 2.5]


def test_default_names_carry_the_time_they_were_made(tmp_path):
    path = report.timestamped("speed", tmp_path)
    assert path.parent == tmp_path and re.fullmatch(r"speed-\d{8}-\d{6}\.json", path.name)
    assert report.timestamped("speed").parent == ROOT / "benchmarks" / "results"


def test_every_benchmark_writes_through_the_helper():
    """No script under benchmarks/ writes its result JSON by hand (json.dumps into a file) any more."""
    internal = {"report.py", "corpus_scaling.py"}  # the helper itself; a child process's timings handed to its parent
    by_hand = []
    for script in sorted(p for p in (ROOT / "benchmarks").glob("*.py") if p.name not in internal):
        text = script.read_text(encoding="utf-8")
        if re.search(r"write_text\(json\.dumps", text) or "json.dump(" in text:
            by_hand.append(script.name)
    assert not by_hand, by_hand
    corpus_scaling = (ROOT / "benchmarks" / "corpus_scaling.py").read_text(encoding="utf-8")
    assert corpus_scaling.count("json.dumps(") == 1 and "write_report(args.out" in corpus_scaling
