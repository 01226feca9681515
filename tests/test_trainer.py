import pytest
import torch

from unmt.adversarial.trainer import AlternatingConfig, AlternatingTrainer, NonFiniteLossError


class LineTask:
    """A 1-D toy: the generator is a learnable offset, the critic a learnable slope."""

    def __init__(self, fail_at=None):
        self.offset = torch.nn.Parameter(torch.tensor(0.0))
        self.slope = torch.nn.Parameter(torch.tensor(1.0))
        self.calls, self.fail_at = [], fail_at

    def discriminator_loss(self, batch):
        self.calls.append("d")
        return (self.slope * (self.offset.detach() - batch)).mean(), {"d": 1.0}

    def generator_loss(self, batch):
        self.calls.append("g")
        loss = (self.offset - batch).pow(2).mean() + 0 * self.slope
        if self.fail_at is not None and len([c for c in self.calls if c == "g"]) == self.fail_at:
            loss = loss * float("nan")
        return loss, {"g": loss.item()}


def test_n_critic_updates_per_generator_update_and_sides_stay_separate():
    task = LineTask()
    d_opt = torch.optim.SGD([task.slope], lr=0.1)
    g_opt = torch.optim.SGD([task.offset], lr=0.1)
    trainer = AlternatingTrainer(task, d_opt, g_opt, AlternatingConfig(n_critic=3, d_weight_clip=0.5))
    batches = iter([torch.tensor([2.0])] * 100)
    slope_before = task.slope.item()
    for _ in range(5):
        trainer.step(batches)
    assert task.calls[:8] == ["d", "d", "d", "g", "d", "d", "d", "g"]
    assert abs(task.offset.item() - 2.0) < abs(0.0 - 2.0)  # the generator moved towards the data
    assert abs(task.slope.item()) <= 0.5 and task.slope.item() != slope_before  # critic updated, then clipped
    assert trainer.step_count == 5


def test_non_finite_loss_stops_before_the_update():
    task = LineTask(fail_at=2)
    g_opt = torch.optim.SGD([task.offset], lr=0.1)
    trainer = AlternatingTrainer(task, None, g_opt)
    batches = iter([torch.tensor([2.0])] * 10)
    trainer.step(batches)
    offset = task.offset.item()
    with pytest.raises(NonFiniteLossError, match="generator loss became nan at step 2"):
        trainer.step(batches)
    assert task.offset.item() == offset  # the bad update never reached the weights


def test_state_round_trip():
    task = LineTask()
    g_opt = torch.optim.Adam([task.offset], lr=0.1)
    trainer = AlternatingTrainer(task, None, g_opt)
    trainer.step(iter([torch.tensor([1.0])]))
    other = AlternatingTrainer(LineTask(), None, torch.optim.Adam([torch.nn.Parameter(torch.tensor(0.0))], lr=0.1))
    other.load_state_dict(trainer.state_dict())
    assert other.step_count == 1
    assert other.g_optimizer.state_dict()["state"][0]["step"] == 1
