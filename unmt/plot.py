"""`unmt plot RUN [RUN ...] --out curves.png`: the curves of one or more runs (translation or GAN) on one figure,
read from their metrics.jsonl.

One panel per family of numbers that some run logged: test BLEU, test chrF, the round-trip criterion, the
discriminator's accuracy, the losses, and any other evaluation number (a GAN's sample metrics). Each run keeps one
colour across panels; each number its own line style. A resumed run logs again the steps its killed session had
logged: the last line of each step is the one drawn, as in TensorBoard.
"""
from __future__ import annotations

import numbers
from pathlib import Path

from unmt.errors import UserError
from unmt.run_directory import read_metrics
from unmt.run_layout import METRICS

LINE_STYLES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (1, 3)), (0, (3, 1, 1, 1, 1, 1)), (0, (8, 3)))
OBJECTIVES = ("ae_", "bt_", "adv", "kd_", "mt_", "mlm")

PANELS = (  # (title, kind of metrics line, which keys)
    ("test BLEU", "eval", lambda key: key.startswith("test_bleu_") and "live" not in key),
    ("test chrF", "eval", lambda key: key.startswith("test_chrf_")),
    ("round-trip BLEU (checkpoint criterion)", "eval", lambda key: key.startswith("round_trip")),
    ("discriminator accuracy", "train", lambda key: "accuracy" in key),
    ("total and discriminator losses", "train", lambda key: key == "loss" or key.endswith("_loss")),
    ("losses per objective", "train", lambda key: key.startswith(OBJECTIVES)),
)
NOT_CURVES = {"step", "seconds", "test_scoring_seconds", "setup_seconds"}


def read_curves(run_dir: Path) -> dict[str, list[dict]]:
    """{"train": [...], "eval": [...]}: one record per step (the last logged), in step order."""
    metrics = run_dir / METRICS
    if not metrics.is_file():
        raise UserError(f"{run_dir} has no metrics.jsonl: give run folders or run names")
    by_step: dict[str, dict[int, dict]] = {"train": {}, "eval": {}}
    for record in read_metrics(metrics):
        if record.get("kind") in by_step and "step" in record:
            by_step[record["kind"]][record["step"]] = record
    return {kind: [steps[s] for s in sorted(steps)] for kind, steps in by_step.items()}


def _numeric_keys(records: list[dict]) -> set[str]:
    return {k for r in records for k, v in r.items()
            if isinstance(v, numbers.Real) and not isinstance(v, bool) and k not in NOT_CURVES}


def panels_for(runs: dict[str, dict[str, list[dict]]]) -> list[tuple[str, str, list[str]]]:
    """(title, kind, keys) of every panel some run has numbers for; evaluation numbers no panel names go last."""
    panels, claimed = [], set()
    for title, kind, wanted in PANELS:
        keys = sorted({k for curves in runs.values() for k in _numeric_keys(curves[kind]) if wanted(k)})
        claimed |= {(kind, k) for k in keys}
        if keys:
            panels.append((title, kind, keys))
    others = sorted({k for curves in runs.values() for k in _numeric_keys(curves["eval"])
                     if ("eval", k) not in claimed and "live" not in k})
    if others:
        panels.append(("evaluation", "eval", others))
    return panels


def plot_runs(run_dirs: list[Path], out: Path, x: str = "step") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [run_dir.name for run_dir in run_dirs]
    if len(set(names)) < len(names):  # two runs of one name in different folders: tell them apart
        names = [str(run_dir) for run_dir in run_dirs]
    runs = {name: read_curves(run_dir) for name, run_dir in zip(names, run_dirs)}
    panels = panels_for(runs)
    if not panels:
        raise UserError("the runs have logged no training or evaluation numbers yet: nothing to plot")
    columns = min(2, len(panels))
    rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(6.5 * columns, 3.4 * rows), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (title, kind, keys) in zip(axes.flat, panels):
        for index, (name, curves) in enumerate(runs.items()):
            colour = colours[index % len(colours)]
            for key_index, key in enumerate(keys):
                points = [r for r in curves[kind] if key in r and (x == "step" or "seconds" in r)]
                if not points:
                    continue
                xs = [r["step"] if x == "step" else r["seconds"] / 60 for r in points]
                label = key if len(runs) == 1 else f"{name}: {key}"
                ax.plot(xs, [r[key] for r in points], linestyle=LINE_STYLES[key_index % len(LINE_STYLES)], color=colour,
                        marker="." if kind == "eval" else None, linewidth=1.2, label=label)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("step" if x == "step" else "training minutes")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=80)
    plt.close(figure)
    return out
