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


class LinearRegressionTask:
    """Fits y = 3x with a linear layer; records the dtype its forward pass computed in."""

    def __init__(self):
        self.layer = torch.nn.Linear(1, 1)
        self.forward_dtypes = []

    def discriminator_loss(self, batch):
        raise AssertionError("no discriminator in this task")

    def generator_loss(self, batch):
        prediction = self.layer(batch)
        self.forward_dtypes.append(prediction.dtype)
        loss = (prediction.float() - 3 * batch).pow(2).mean()
        return loss, {"g": loss.item()}


def test_autocast_runs_the_losses_in_bf16_and_keeps_the_weights_in_fp32():
    task = LinearRegressionTask()
    optimizer = torch.optim.SGD(task.layer.parameters(), lr=0.1)
    trainer = AlternatingTrainer(task, None, optimizer, AlternatingConfig(autocast_dtype=torch.bfloat16))
    batch = torch.linspace(-1, 1, 16)[:, None]
    first = trainer.step(lambda: batch)["g"]
    for _ in range(30):
        last = trainer.step(lambda: batch)["g"]
    assert set(task.forward_dtypes) == {torch.bfloat16}
    assert task.layer.weight.dtype == torch.float32 and task.layer.weight.grad.dtype == torch.float32
    assert last < 0.1 * first  # it still learns


def test_without_autocast_the_losses_stay_fp32():
    task = LinearRegressionTask()
    trainer = AlternatingTrainer(task, None, torch.optim.SGD(task.layer.parameters(), lr=0.1))
    trainer.step(lambda: torch.ones(4, 1))
    assert task.forward_dtypes == [torch.float32]


def test_accumulated_batches_make_one_update_with_their_mean_gradient():
    task = LineTask()
    g_opt = torch.optim.SGD([task.offset], lr=0.1)
    trainer = AlternatingTrainer(task, None, g_opt, AlternatingConfig(accumulate=2))
    trainer.step(iter([torch.tensor([2.0]), torch.tensor([4.0])]))
    # d/d offset of (offset - b)^2 at offset 0 is -2b: the mean over b = 2 and 4 is -6, so one step moves it by +0.6
    assert trainer.step_count == 1 and task.calls == ["g", "g"]
    assert task.offset.item() == pytest.approx(0.6)


def test_a_non_finite_loss_elsewhere_reported_by_the_gradient_sync_stops_this_process_too():
    seen = []

    def other_process_failed(parameters, finite):
        seen.append(finite)
        return False  # as World.sum_gradients_ says when some rank's loss was not finite

    task = LineTask()
    g_opt = torch.optim.SGD([task.offset], lr=0.1)
    trainer = AlternatingTrainer(task, None, g_opt, AlternatingConfig(gradient_sync=other_process_failed))
    with pytest.raises(NonFiniteLossError, match="non-finite on another process"):
        trainer.step(iter([torch.tensor([2.0])]))
    assert seen == [True] and task.offset.item() == 0.0  # this process's loss was fine; nothing was applied


def test_resuming_keeps_the_optimisers_own_implementation_flags():
    """A checkpoint's optimiser state carries hyperparameters; how the update is computed (foreach, fused) is the
    resuming process's choice, which torch's load_state_dict alone would overwrite with the saver's."""
    task = LineTask()
    saver = AlternatingTrainer(task, None, torch.optim.Adam([task.offset], lr=0.1, foreach=False))
    saver.step(iter([torch.tensor([1.0])]))
    resumed = AlternatingTrainer(
        LineTask(), None, torch.optim.Adam([torch.nn.Parameter(torch.tensor(0.0))], lr=0.5, foreach=True)
    )
    resumed.load_state_dict(saver.state_dict())
    group = resumed.g_optimizer.param_groups[0]
    assert group["foreach"] is True and group["lr"] == 0.1  # the flag kept, the hyperparameter taken


def test_a_foreach_adam_makes_the_same_updates_as_the_loop_over_tensors():
    """What lets unmt's optimisers take foreach without changing a run's results."""
    torch.manual_seed(0)
    start = [torch.randn(40, 8), torch.randn(8), torch.randn(3, 3)]
    gradients = [[torch.randn_like(t) for t in start] for _ in range(5)]
    finals = []
    for foreach in (False, True):
        weights = [torch.nn.Parameter(t.clone()) for t in start]
        optimizer = torch.optim.Adam(weights, lr=0.01, betas=(0.9, 0.98), foreach=foreach)
        for step_gradients in gradients:
            for weight, gradient in zip(weights, step_gradients):
                weight.grad = gradient.clone()
            optimizer.step()
        finals.append(weights)
    assert all(torch.equal(a, b) for a, b in zip(*finals))
    assert not torch.equal(finals[0][0], start[0])
