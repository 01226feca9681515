"""The exponential moving average of the weights: its arithmetic, its place in checkpoints, and resumption."""
import json

import pytest
import torch

from tests.conftest import TINY
from unmt.checkpoint import load_weights, read_pointer
from unmt.cli import main
from unmt.translation.averaging import WeightAverage
from unmt.translation.model_io import load_translator


def test_the_average_follows_the_exponential_recurrence():
    torch.manual_seed(0)
    live = torch.nn.Linear(3, 2)
    average = WeightAverage(live, decay=0.9)
    expected = None
    for _ in range(5):
        with torch.no_grad():
            live.weight.add_(torch.randn_like(live.weight))
        average.update(live)
        current = live.weight.detach().clone()
        expected = current if expected is None else 0.9 * expected + 0.1 * current  # the first update copies
    assert torch.allclose(average.model.weight, expected, atol=1e-6)
    assert not torch.allclose(average.model.weight, live.weight)  # it lags the live weights


def test_a_restored_average_continues_instead_of_restarting():
    live = torch.nn.Linear(2, 2)
    saved = WeightAverage(live, decay=0.5)
    saved.update(live)
    restored = WeightAverage(torch.nn.Linear(2, 2), decay=0.5)
    restored.load_state_dict(saved.state_dict())
    with torch.no_grad():
        live.weight.add_(2.0)
    restored.update(live)  # must average with the saved state, not copy the live weights
    assert torch.allclose(restored.model.weight, live.weight - 1.0)


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.1])
def test_a_decay_outside_the_open_interval_is_refused(decay):
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(torch.nn.Linear(2, 2), decay)


def train(checkpoints, run, steps, *extra):
    args = ["--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", run,
            "--max-steps", str(steps), *TINY, "--set", "train.threads=1", "--set", "train.weight_average=0.9", *extra]
    assert main(args) == 0
    return read_pointer(checkpoints / run, "latest")


def test_an_averaged_run_ships_the_average_and_scores_both(tmp_path):
    checkpoint = train(tmp_path, "avg", 20)
    average, live = load_weights(checkpoint / "average.safetensors"), load_weights(checkpoint / "model.safetensors")
    assert average.keys() == live.keys()
    assert any(not torch.equal(average[k], live[k]) for k in live)
    translator, _ = load_translator(tmp_path / "avg", "latest")
    for name, tensor in translator.model.state_dict().items():
        assert torch.equal(tensor, average[name]), name
    evals = [json.loads(line) for line in (tmp_path / "avg" / "metrics.jsonl").read_text().splitlines() if '"eval"' in line]
    assert evals and all({"test_bleu_en-fr", "test_bleu_live_en-fr", "test_bleu_live_fr-en"} <= r.keys() for r in evals)


def test_an_interrupted_averaged_run_resumes_to_the_same_average(tmp_path):
    straight = train(tmp_path, "straight", 20)
    train(tmp_path, "split", 10)
    split = train(tmp_path, "split", 20, "--resume")
    a, b = load_weights(straight / "average.safetensors"), load_weights(split / "average.safetensors")
    for name in a:
        assert torch.equal(a[name], b[name]), name
