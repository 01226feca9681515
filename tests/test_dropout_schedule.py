"""Dropout as a schedule over training steps: the model's rates can change in place, and a run follows the
configured schedule step by step."""
import torch

from tests.test_loss_groups import SMALL, data  # noqa: F401  (the module-scoped toy corpus fixture)
from tests.test_transformer import random_source, tiny_model
from unmt.config import load_config
from unmt.translation.train import TrainingRun


def encoded_twice(model):
    src, mask = random_source()
    return model.encode(src, mask), model.encode(src, mask)


def test_set_dropout_switches_every_rate_of_the_model():
    model = tiny_model().train()
    first, second = encoded_twice(model)
    assert torch.equal(first, second)  # built with dropout 0: training mode is deterministic
    model.set_dropout(0.5)
    first, second = encoded_twice(model)
    assert not torch.allclose(first, second)
    model.set_dropout(0.0)
    assert torch.equal(*encoded_twice(model))


NOISELESS_DENOISING = ["noise.word_dropout=0", "noise.word_shuffle=0", "noise.word_blank=0",
                       "losses.ae=1", "losses.bt=0", "losses.adv=0"]


def test_a_run_follows_its_dropout_schedule(tmp_path, data):  # noqa: F811
    config = load_config(None, [*SMALL, *NOISELESS_DENOISING, "model.dropout=0:0,3:0,4:0.3"])
    run = TrainingRun(config, "en", "fr", tmp_path / "run", data)
    run.model.train()
    batch = {lang: next(stream) for lang, stream in run.streams.items()}

    def loss_at(step):
        return run.task.begin(run.phases.at(step)).generator_loss(batch)[0].item()

    assert loss_at(3) == loss_at(3)  # rate 0 until step 3: the same batch gives the same loss
    assert loss_at(5) != loss_at(5)  # rate 0.3 from step 4 on
    assert loss_at(0) == loss_at(0)  # the rate is set every step, so it also comes back down
