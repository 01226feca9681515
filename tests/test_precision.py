"""runtime.precision=bf16: a UNMT run computes its losses under bfloat16 autocast, keeps float32 weights, and learns
as a float32 run does."""
import pytest
import torch

from tests.test_dropout_schedule import NOISELESS_DENOISING
from tests.test_loss_groups import SMALL, data  # noqa: F401  (the module-scoped toy corpus fixture)
from unmt.config import load_config
from unmt.translation.train import TrainingRun

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


def denoising_losses(run_dir, data_dir, precision, steps=20):
    options = [*SMALL, *NOISELESS_DENOISING, f"runtime.precision={precision}", "optim.lr=0.005", "optim.warmup_steps=1"]
    run = TrainingRun(load_config(None, options), "en", "fr", run_dir, data_dir)
    linear_outputs = set()
    for module in run.model.modules():
        if isinstance(module, torch.nn.Linear):
            module.register_forward_hook(lambda module, inputs, output: linear_outputs.add(output.dtype))
    batch = {lang: next(stream) for lang, stream in run.streams.items()}
    losses = [run.train_step(lambda: batch)["ae_en"] for _ in range(steps)]
    return losses, linear_outputs, run.model


def test_a_bf16_run_learns_like_a_float32_run_and_keeps_float32_weights(tmp_path, data):  # noqa: F811
    fp32_losses, fp32_outputs, _ = denoising_losses(tmp_path / "fp32", data, "fp32")
    bf16_losses, bf16_outputs, bf16_model = denoising_losses(tmp_path / "bf16", data, "bf16")
    assert fp32_outputs == {torch.float32} and bf16_outputs == {torch.bfloat16}
    assert all(p.dtype == torch.float32 for p in bf16_model.parameters())
    assert bf16_losses[-1] < 0.85 * bf16_losses[0]
    assert abs(bf16_losses[-1] - fp32_losses[-1]) < 0.1 * fp32_losses[-1]


def test_auto_precision_stays_fp32_on_a_cpu_even_with_bf16_arithmetic(tmp_path, data, monkeypatch):  # noqa: F811
    # a CPU's bf16 flags do not say bf16 will pay: the whole step ranged from slower to faster than fp32 by CPU and
    # model size (docs/guide.md)
    for hardware in (True, False):
        monkeypatch.setattr("unmt.translation.run_parts.has_bf16", lambda device, hardware=hardware: hardware)
        _, outputs, _ = denoising_losses(tmp_path / str(hardware), data, "auto", steps=1)
        assert outputs == {torch.float32}


def test_auto_precision_takes_bf16_on_a_gpu_that_has_it(monkeypatch):
    from unmt.translation.run_parts import trains_in_bf16

    for device, hardware, expected in (("cuda", True, True), ("cuda", False, False), ("cpu", True, False)):
        monkeypatch.setattr("unmt.translation.run_parts.has_bf16", lambda device, hardware=hardware: hardware)
        assert trains_in_bf16("auto", torch.device(device)) is expected


def test_the_hardware_check_reads_the_cpu_flags(tmp_path, monkeypatch):
    from unmt import hardware
    cpuinfo = tmp_path / "cpuinfo"
    real_open = open
    for flags, expected in (
        ("fpu avx2 avx512f avx512_bf16", True), ("fpu avx2 amx_bf16", True), ("fpu avx2 avx512f", False)
    ):
        cpuinfo.write_text(f"processor\t: 0\nflags\t\t: {flags}\n")
        monkeypatch.setattr("builtins.open", lambda path, *a, **k: real_open(cpuinfo, *a, **k))
        assert hardware.has_bf16(torch.device("cpu")) is expected
    monkeypatch.setattr("builtins.open", lambda *a, **k: (_ for _ in ()).throw(OSError("no /proc")))
    assert hardware.has_bf16(torch.device("cpu")) is False
