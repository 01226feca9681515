"""The exponential moving average of the weights: its arithmetic, its place in checkpoints, resumption, and
back-translating with it."""
import json

import pytest
import torch

from tests.conftest import TINY
from tests.test_loss_groups import SMALL
from unmt.checkpoint import load_weights, read_pointer
from unmt.cli import main
from unmt.config import load_config
from unmt.data.toy import write_toy_corpus
from unmt.translation.averaging import WeightAverage
from unmt.translation.model_io import load_translator
from unmt.translation.train import TrainingRun

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


def shifted(model: torch.nn.Linear, by: float) -> torch.nn.Linear:
    with torch.no_grad():
        model.weight.add_(by)
    return model


def test_the_first_update_copies_and_a_late_one_moves_by_one_minus_the_decay():
    live = torch.nn.Linear(3, 2)
    average = WeightAverage(shifted(torch.nn.Linear(3, 2), 5.0), decay=0.9)
    average.update(live, step=1)
    assert torch.equal(average.model.weight, live.weight)  # whatever the average held before
    before = average.model.weight.clone()
    shifted(live, 1.0)
    average.update(live, step=10_000)  # long past the warm-up: the configured decay
    assert torch.allclose(average.model.weight, before + 0.1, atol=1e-6)


def test_the_decay_warms_up_to_the_configured_value():
    average = WeightAverage(torch.nn.Linear(2, 2), decay=0.995)
    decays = [average.decay_at(step) for step in (1, 10, 100, 1000, 10_000)]
    assert decays[0] == 0.0 and decays == sorted(decays) and decays[-1] == 0.995
    assert decays[2] < 0.95  # step 100 must not still hold half of step 1


def test_a_tied_weight_is_averaged_once():
    live = torch.nn.Sequential(torch.nn.Linear(2, 2, bias=False), torch.nn.Linear(2, 2, bias=False))
    live[1].weight = live[0].weight
    average = WeightAverage(live, decay=0.5)
    before = average.model[0].weight.clone()
    shifted(live[0], 1.0)
    average.update(live, step=10_000)
    assert torch.allclose(average.model[0].weight, before + 0.5)  # twice would give before + 0.75


@pytest.mark.parametrize("decay", [0.0, 1.0, -0.1])
def test_a_decay_outside_the_open_interval_is_refused(decay):
    with pytest.raises(ValueError, match="decay"):
        WeightAverage(torch.nn.Linear(2, 2), decay)


def train(checkpoints, run, steps, *extra):
    args = ["--quiet", "--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", run,
            "--max-steps", str(steps), *TINY, "--set", "runtime.threads=1", "--set", "optim.weight_average=0.9", *extra]
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
    evals = [
        json.loads(line)
        for line in (tmp_path / "avg" / "metrics.jsonl").read_text().splitlines()
        if '"kind": "eval"' in line
    ]
    assert evals and all({"test_bleu_en-fr", "test_bleu_live_en-fr", "test_bleu_live_fr-en"} <= r.keys() for r in evals)


def test_an_interrupted_averaged_run_resumes_to_the_same_average(tmp_path):
    straight = train(tmp_path, "straight", 20)
    train(tmp_path, "split", 10)
    split = train(tmp_path, "split", 20, "--resume")
    a, b = load_weights(straight / "average.safetensors"), load_weights(split / "average.safetensors")
    for name in a:
        assert torch.equal(a[name], b[name]), name


def test_averaging_switched_on_when_resuming_starts_from_the_restored_weights(tmp_path):
    args = ["--quiet", "--checkpoints-dir", str(tmp_path), "train", "--src", "en", "--tgt", "fr", "--run", "r", *TINY,
            "--set", "runtime.threads=1"]
    assert main([*args, "--max-steps", "10"]) == 0
    restored = load_weights(read_pointer(tmp_path / "r", "latest") / "model.safetensors")
    assert main([*args, "--max-steps", "11", "--resume", "--set", "optim.weight_average=0.9"]) == 0
    checkpoint = read_pointer(tmp_path / "r", "latest")
    average, live = load_weights(checkpoint / "average.safetensors"), load_weights(checkpoint / "model.safetensors")
    keep = WeightAverage(torch.nn.Linear(1, 1), 0.9).decay_at(11)
    for name in live:  # one update from the step-10 weights, not from a freshly initialised model
        assert torch.allclose(average[name], keep * restored[name] + (1 - keep) * live[name], atol=1e-5), name


def test_the_average_starts_over_when_masked_lm_pretraining_ends(tmp_path):
    """The first UNMT step rebuilds the decoder from the encoder; averaging in the pretraining decoder would undo it."""
    checkpoint = train(tmp_path, "mlm", 11, "--set", "pretraining.mlm_steps=10")
    average, live = load_weights(checkpoint / "average.safetensors"), load_weights(checkpoint / "model.safetensors")
    for name in live:
        assert torch.equal(average[name], live[name]), name


def test_back_translation_comes_from_the_average_when_asked(tmp_path):
    data = write_toy_corpus(tmp_path / "data", n_train=200, n_valid=10, n_test=10, seed=0)
    config = load_config(None, [*SMALL, "optim.weight_average=0.9", "back_translation.from_average=true"])
    run = TrainingRun(config, "en", "fr", tmp_path / "run", data)
    back_translate, live = run.back_translator, run.model
    average = {name: tensor.clone() for name, tensor in run.average.state_dict().items()}
    with torch.no_grad():  # the live weights move away from the average, as they do between updates
        for parameter in live.parameters():
            parameter.add_(torch.randn_like(parameter))
    rows = [run.vocab.encode(line) for line in run.valid["en"]]
    langs = ["fr"] * len(rows)
    live.train()
    from_teacher = back_translate(rows, langs)
    assert live.training  # the model being trained stays in training mode

    back_translate.model = live  # as without from_average
    from_live = back_translate(rows, langs)
    live.load_state_dict(average)
    from_live_holding_the_average = back_translate(rows, langs)
    assert from_teacher != from_live
    assert from_teacher == from_live_holding_the_average


def test_the_average_moves_every_tensor_as_its_own_lerp_would():
    torch.manual_seed(0)
    live = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3))
    average = WeightAverage(torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3)), 0.9)
    with torch.no_grad():
        for tensor in average.model.parameters():
            tensor.add_(2.0)
    expected = [a.detach().clone().lerp_(b, 1.0 - average.decay_at(500)) for a, b in
                zip(average.model.parameters(), live.parameters())]
    average.update(live, step=500)
    assert all(torch.equal(a, b) for a, b in zip(average.model.parameters(), expected))


def test_an_average_of_another_model_is_refused():
    average = WeightAverage(torch.nn.Linear(2, 2), 0.9)
    with pytest.raises(ValueError, match="tensors"):
        average.update(torch.nn.Linear(2, 2, bias=False), step=5)
