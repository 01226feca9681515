"""Checkpoints hold no pickle: optimiser state survives the safetensors + JSON round trip exactly."""
import json

import torch

from unmt.adversarial.trainer import AlternatingTrainer
from unmt.gan.build import build_nets, build_task, build_trainer
from unmt.gan.config import load_gan_config
from unmt.run_directory import RunDirectory, latest_checkpoint, load_nets, load_trainer_state


def _trained_trainer(config):
    nets = build_nets(config)
    task = build_task(config, nets, torch.Generator().manual_seed(0))
    trainer = build_trainer(config, nets, task)
    batch = torch.randn(32, 2)
    for _ in range(3):
        trainer.step(lambda: batch)
    return nets, trainer


def test_nets_and_optimiser_state_round_trip_through_safetensors_and_json(tmp_path):
    config = load_gan_config("configs/gan_ring.yaml", ["model.hidden=8"])
    (tmp_path / "config.json").write_text("{}")
    nets, trainer = _trained_trainer(config)
    weights = {n: net.state_dict() for n, net in nets.items()}
    RunDirectory(tmp_path).save_checkpoint(3, weights, trainer.state_dict(), {"step": 3, "seconds": 1.0})
    checkpoint = latest_checkpoint(tmp_path)
    assert sorted(p.name for p in checkpoint.iterdir()) == [
        "discriminator.safetensors", "generator.safetensors", "state.json", "trainer.json", "trainer.safetensors"]
    json.loads((checkpoint / "trainer.json").read_text())

    fresh_nets, fresh_trainer = build_nets(config), None
    load_nets(checkpoint, fresh_nets)
    for name in nets:
        for a, b in zip(nets[name].state_dict().values(), fresh_nets[name].state_dict().values()):
            assert torch.equal(a, b)
    state, info = load_trainer_state(checkpoint)
    fresh_trainer = build_trainer(config, fresh_nets, build_task(config, fresh_nets, torch.Generator()))
    fresh_trainer.load_state_dict(state)
    assert isinstance(fresh_trainer, AlternatingTrainer) and fresh_trainer.step_count == 3 and info["step"] == 3
    original = trainer.g_optimizer.state_dict()["state"]
    restored = fresh_trainer.g_optimizer.state_dict()["state"]
    assert original.keys() == restored.keys()
    for key in original:
        assert torch.equal(original[key]["exp_avg"], restored[key]["exp_avg"])
    # the ring config decays its rates, so the restored rate is the trained one, not the configured one
    assert (
        fresh_trainer.g_optimizer.param_groups[0]["lr"] == trainer.g_optimizer.param_groups[0]["lr"] < config.train.g_lr
    )
