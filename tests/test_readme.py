"""Every `unmt` command line in the README parses, and the configuration it names loads with its overrides
(the long-running ones are exercised for real elsewhere: tests/test_cli.py, test_lexicon_cli.py, .ci/run); the
README keeps CI's test command and stays short."""
import json
import re
import shlex
from pathlib import Path

import pytest

from unmt.cli import build_parser
from unmt.config import load_config
from unmt.gan.config import load_gan_config

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_commands() -> list[list[str]]:
    text = README.read_text(encoding="utf-8").replace("\\\n", " ")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.splitlines():
            for part in line.split("#")[0].split("&&"):
                words = shlex.split(part.split("<")[0].split(">")[0].split("|")[-1])
                if words and words[0] == "unmt":
                    commands.append(words[1:])
    return commands


@pytest.mark.parametrize("argv", readme_commands(), ids=lambda argv: " ".join(argv[:3]))
def test_readme_command_parses_and_its_config_loads(argv):
    args = build_parser().parse_args(argv)
    if args.command == "train" and args.config:
        load_config(Path(README.parent, args.config), args.set)
    if args.command == "gan" and args.gan_command == "train":
        folder = [f"data.folder={args.data}"] if args.data else []  # what `--data` sets
        load_gan_config(Path(README.parent, args.config), args.set + folder)


def test_the_readme_has_commands():
    commands = readme_commands()
    assert len(commands) >= 19  # what the README holds: a shrinking count means a section lost its examples
    assert {"train", "translate", "evaluate", "gan"} <= {argv[0] for argv in commands}


def test_the_readme_keeps_the_test_command_ci_runs():
    run = (README.parent / ".ci" / "run").read_text()
    ci_pytest = [line for line in run.splitlines() if "pytest" in line and not line.startswith("#")]
    assert len(ci_pytest) == 1, ".ci/run runs pytest once"
    command = f'pip install torch==2.13.0 && pip install -e ".[test]" && {ci_pytest[0]}\n'
    assert command in README.read_text(encoding="utf-8")


def test_the_readme_stays_short():
    """First contact, not the manual: the guide and the experiment log in docs/ hold the rest. A word is any
    whitespace-separated token with a letter or digit in it, so table pipes and arrows do not count."""
    words = [token for token in README.read_text(encoding="utf-8").split() if any(c.isalnum() for c in token)]
    assert len(words) <= 1800, f"README.md has {len(words)} words; move detail to docs/guide.md"


def results_rows() -> list[tuple[str, str]]:
    """(greedy cell, result file) of each README results row that names one JSON file under benchmarks/results."""
    rows = []
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"`[^`{}]+\.json`", cells[4]):
            rows.append((cells[2], cells[4].strip("`")))
    return rows


def chosen_test_bleu(report: dict) -> list[float]:
    """Both directions' test BLEU of the checkpoint the run chose by its round trip, as the caption says."""
    if "best_checkpoint_test" in report:
        test = report["best_checkpoint_test"]
        return [test[d]["bleu"] for d in test if "-" in d and isinstance(test[d], dict)]
    chosen = max(report["evaluations"], key=lambda record: record["round_trip"])  # the first of equal ones
    return [chosen[key] for key in chosen if key.startswith("test_bleu_") and "live" not in key]


def test_readme_results_rows_quote_the_checkpoint_their_files_chose():
    rows = results_rows()
    assert len(rows) >= 3
    for greedy, name in rows:
        report = json.loads((README.parent / "benchmarks" / "results" / name).read_text())
        quoted = [float(x) for x in greedy.split(" / ")]
        assert quoted == pytest.approx(chosen_test_bleu(report), abs=0.005), name
