import json
import logging
import shutil
import sys

import pytest

from tests.conftest import TINY
from unmt.cli import main
from unmt.tensorboard import EVENTS_DIR, EventLog, scalars

pytestmark = pytest.mark.slow  # trains and resumes a run


def metrics_by_tag(run_dir) -> dict[str, dict[int, float]]:
    """What metrics.jsonl says, as TensorBoard should show it: the last value logged at each step, per tag."""
    expected: dict[str, dict[int, float]] = {}
    for line in (run_dir / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        for tag, value in scalars(record.pop("kind"), record).items():
            expected.setdefault(tag, {})[record["step"]] = value
    return expected


def events_by_tag(run_dir) -> dict[str, list[tuple[int, float]]]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    reader = EventAccumulator(str(run_dir / EVENTS_DIR), size_guidance={"scalars": 0})
    reader.Reload()
    return {tag: [(e.step, e.value) for e in reader.Scalars(tag)] for tag in reader.Tags()["scalars"]}


def assert_events_match_metrics(run_dir):
    expected, read = metrics_by_tag(run_dir), events_by_tag(run_dir)
    assert read.keys() == expected.keys()
    for tag, points in read.items():
        steps = [step for step, _ in points]
        assert steps == sorted(set(steps)), f"{tag} doubles back: {steps}"
        assert {step: pytest.approx(value, rel=1e-6) for step, value in points} == expected[tag], tag


@pytest.fixture(scope="module")
def killed_and_resumed(tmp_path_factory):
    """A run whose session stopped after logging step 20 but before its step-20 checkpoint was complete (as a
    SIGKILL would), resumed from step 10: metrics.jsonl holds steps 11-20 twice."""
    pytest.importorskip("tensorboard")
    checkpoints = tmp_path_factory.mktemp("tb")
    common = ["--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", "r",
              *TINY, "--set", "runtime.threads=1"]
    run = checkpoints / "r"
    assert main([*common, "--max-steps", "10"]) == 0
    saved = checkpoints / "step-10-copy"
    shutil.copytree(run / "step-0000010", saved)
    assert main([*common, "--max-steps", "20", "--resume"]) == 0
    # The state the kill leaves: step 20 logged, its checkpoint never finished; `latest` names step 10.
    shutil.rmtree(run / "step-0000020")
    if not (run / "step-0000010").exists():
        shutil.copytree(saved, run / "step-0000010")
    for pointer in ("latest", "best"):
        (run / pointer).write_text("step-0000010\n")
    assert main([*common, "--max-steps", "30", "--resume"]) == 0
    return run


def test_a_killed_and_resumed_run_reads_back_as_its_metrics_say(killed_and_resumed):
    steps = [json.loads(line)["step"] for line in (killed_and_resumed / "metrics.jsonl").read_text().splitlines()]
    assert steps.count(20) >= 2  # the resumed session did log step 20 again
    assert_events_match_metrics(killed_and_resumed)
    read = events_by_tag(killed_and_resumed)
    assert {"train/loss", "train/d_accuracy", "eval/round_trip", "setup/setup_seconds"} <= read.keys()
    assert [step for step, _ in read["eval/round_trip"]] == [10, 20, 30]


def test_the_configuration_is_written_as_hyperparameters(killed_and_resumed):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    reader = EventAccumulator(str(killed_and_resumed / EVENTS_DIR))
    reader.Reload()
    content = reader.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    hparams = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info.hparams
    assert hparams["model.d_model"].number_value == 32 and hparams["data.vocab_type"].string_value == "bpe"


def test_the_converter_writes_the_same_events_for_a_run(killed_and_resumed, tmp_path):
    copy = tmp_path / "old"
    shutil.copytree(killed_and_resumed, copy, ignore=shutil.ignore_patterns(EVENTS_DIR, "step-*"))
    assert main(["--quiet", "tensorboard", str(copy)]) == 0
    assert_events_match_metrics(copy)
    assert main(["--quiet", "tensorboard", str(copy)]) == 2  # events already there: --replace to rewrite them
    assert main(["--quiet", "tensorboard", str(copy), "--replace"]) == 0
    assert_events_match_metrics(copy)


def test_plot_draws_two_runs_into_one_png(killed_and_resumed, tiny_run, tmp_path):
    checkpoints, name = tiny_run
    out = tmp_path / "curves.png"
    for x in ("step", "minutes"):
        assert (
            main(["--quiet", "plot", str(killed_and_resumed), str(checkpoints / name), "--out", str(out), "--x", x])
            == 0
        )
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    assert main(["--quiet", "plot", str(tmp_path), "--out", str(out)]) == 2  # not a run


def test_a_gan_run_writes_its_events_and_plots_through_the_same_command(tmp_path):
    pytest.importorskip("tensorboard")
    run = tmp_path / "gan"
    tiny = ["--set", "train.steps=20", "--set", "train.eval_every=10", "--set", "train.log_every=5",
            "--set", "train.eval_samples=200", "--set", "model.hidden=16"]
    assert main(["--quiet", "gan", "train", "--config", "configs/gan_ring.yaml", "--out", str(run), *tiny]) == 0
    assert_events_match_metrics(run)
    assert {tag.split("/")[0] for tag in events_by_tag(run)} == {"train", "eval"}
    out = tmp_path / "gan.png"
    assert main(["--quiet", "plot", str(run), "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_without_tensorboard_training_goes_on_after_one_warning(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    monkeypatch.delitem(sys.modules, "torch.utils.tensorboard", raising=False)
    with caplog.at_level(logging.WARNING, logger="unmt"):
        assert EventLog.open(tmp_path, {"a": 1}) is None
    assert caplog.text.count('pip install -e ".[tensorboard]"') == 1
