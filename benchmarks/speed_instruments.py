"""What benchmarks/speed.py wraps around unmt's step functions to see inside a training step: exclusive wall time
per named region, analytic matmul FLOPs, and variants that differ in code rather than in configuration. Nothing
under unmt/ is edited: the wrappers are put in place for a measurement and the originals put back after it."""
from __future__ import annotations

import contextlib
import functools
import time
from collections import defaultdict

import torch
import torch.nn.functional as F
import torch.optim.adam as adam_module

import unmt.models.dropout as dropout_module
import unmt.translation.averaging as averaging_module
import unmt.translation.back_translator as back_translator_module
import unmt.translation.objectives as objectives_module
import unmt.translation.step as step_module
from speed_ceiling import sync
from unmt.adversarial.trainer import AlternatingTrainer
from unmt.data.vocab import PAD
from unmt.models.discriminators import LatentDiscriminator
from unmt.models.transformer import Transformer
from unmt.translation.averaging import WeightAverage


@contextlib.contextmanager
def patched(patches: list[tuple[object, str, object]]):
    """For the duration, each (owner, name, make) has owner.name replaced by make(owner.name); every original is
    put back on exit, whatever happened."""
    originals = [(owner, name, vars(owner)[name]) for owner, name, _ in patches]
    try:
        for owner, name, make in patches:
            setattr(owner, name, make(getattr(owner, name)))
        yield
    finally:
        for owner, name, original in reversed(originals):
            setattr(owner, name, original)


def torch_dropout():
    """unmt's dropout layers with torch's own masks (one draw of the CPU generator per element), as before
    unmt.models.dropout."""
    return patched([(dropout_module, "dropout", lambda _: lambda x, p, training=True: F.dropout(x, p, training))])


def before_host_cuts():
    """The step as it was before issue 44's cuts: the output layer as a product with the transposed embedding
    table (which autocast recast at every call), Adam's Python loop over tensors, the weight average's loop."""
    def output_logits(model, states):
        return states @ model.embed.weight.T

    @torch.no_grad()
    def average_update(average, live, step):
        keep = average.decay_at(step)
        for averaged, current in zip(averaging_module._tensors(average.model), averaging_module._tensors(live)):
            averaged.lerp_(current, 1.0 - keep)

    def looped(adam):
        return functools.wraps(adam)(lambda *args, **kwargs: adam(*args, **{**kwargs, "foreach": False}))

    return patched([(Transformer, "output_logits", lambda _: output_logits),
                    (WeightAverage, "update", lambda _: average_update),
                    (adam_module, "adam", looped)])


# Variants that differ in code, not in configuration: "@NAME" among a variant's overrides runs its turns inside this.
CODE_VARIANTS = {"torch_dropout": torch_dropout, "before_host_cuts": before_host_cuts}


def code_variant(overrides: list[str]) -> contextlib.AbstractContextManager:
    names = [o[1:] for o in overrides if o.startswith("@")]
    unknown = [n for n in names if n not in CODE_VARIANTS]
    if unknown or len(names) > 1:
        raise SystemExit(f"a variant takes at most one of @{', @'.join(CODE_VARIANTS)}, not {names}")
    return CODE_VARIANTS[names[0]]() if names else contextlib.nullcontext()


# region -> what the issue calls it; the shared forward/backward pass is split by ae_share afterwards
CATEGORIES = {
    "host.noise": "host", "host.padding": "host", "host.batching": "host", "host.groups": "host",
    "bt.generation": "bt_generation",
    "g.forward": "denoise_bt_forward_backward", "generator.backward": "denoise_bt_forward_backward",
    "discriminator": "discriminator", "discriminator.backward": "discriminator", "adv.fooling_forward": "discriminator",
    "generator": "optimizer_and_average", "ema": "optimizer_and_average",
    "step": "other", "generator.loss_glue": "other"
}


class Regions:
    """Exclusive wall time per named region: a region's time excludes the regions nested in it."""

    def __init__(self, device: torch.device):
        self.device, self.seconds, self._stack = device, defaultdict(float), []

    @contextlib.contextmanager
    def region(self, name: str):
        frame = [name, 0.0]
        self._stack.append(frame)
        started = time.perf_counter()
        try:
            yield
        finally:
            sync(self.device)
            elapsed = time.perf_counter() - started
            self._stack.pop()
            self.seconds[name] += elapsed - frame[1]
            if self._stack:
                self._stack[-1][1] += elapsed

    def parent(self) -> str:
        return self._stack[-1][0] if self._stack else "none"

    def wrap(self, function, name):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            with self.region(name(*args, **kwargs) if callable(name) else name):
                return function(*args, **kwargs)
        return wrapper


class Flops:
    """Analytic matmul FLOPs of what the model computes (padded shapes, `executed`) and of the real tokens alone
    (`model`); a call with gradients enabled counts its backward pass as twice its forward."""

    def __init__(self):
        self.executed = self.model = 0.0
        self.bt_source_tokens = self.bt_output_tokens = 0  # back-translation lengths (EOS excluded), beside the FLOPs

    def back_translation(self, rows, outputs):
        self.bt_source_tokens += sum(len(r) for r in rows)
        self.bt_output_tokens += sum(len(r) for r in outputs)

    def add(self, per_token: float, padded: float, real: float) -> None:
        factor = 3.0 if torch.is_grad_enabled() else 1.0
        self.executed += factor * per_token * padded
        self.model += factor * per_token * real

    def encode(self, model, src, mask):
        c = model.config
        d, f, S = c.d_model, c.ffn_dim, src.shape[1]
        self.add(c.encoder_layers * (2 * (4 * d * d + 2 * d * f) + 4 * S * d), src.numel(), float(mask.sum()))

    def decoder_states(self, model, tgt_in, memory, mask):
        """The teacher-forced decoder body; its output layer is counted where it runs (output_logits)."""
        c = model.config
        d, f, S, T = c.d_model, c.ffn_dim, memory.shape[1], tgt_in.shape[1]
        per_token = c.decoder_layers * (2 * (6 * d * d + 2 * d * f) + 4 * T * d + 4 * S * d)
        self.add(per_token, tgt_in.numel(), float((tgt_in != PAD).sum()))
        self.add(c.decoder_layers * 4 * d * d, memory.shape[0] * S, float(mask.sum()))  # cross-attention keys/values

    def output_logits(self, model, states):
        """The tied output layer on the rows it is given (the loss gives only real target positions)."""
        rows = states.numel() // states.shape[-1]
        self.add(2 * model.config.d_model * model.config.vocab_size, rows, rows)

    def decode_step(self, model, token, memory, mask, cache, step):
        c = model.config
        d, f, S = c.d_model, c.ffn_dim, memory.shape[1]
        B = token.shape[0]
        # its output layer is counted by output_logits, which it calls
        self.add(c.decoder_layers * (2 * (6 * d * d + 2 * d * f) + 4 * (step + 1) * d + 4 * S * d), B, B)
        if "cross_k" not in cache[0]:  # the first step projects the source's keys and values once
            self.add(c.decoder_layers * 4 * d * d, B * S, float(mask.sum()))

    def discriminator(self, module, states):
        per_state = sum(
            2 * layer.in_features * layer.out_features for layer in module.net if isinstance(layer, torch.nn.Linear)
        )
        self.add(per_state, states.shape[0], states.shape[0])


@contextlib.contextmanager
def instrumented(regions: Regions, flops: Flops, captured: list):
    """Wraps unmt's step functions for the duration; every original is put back on exit."""
    def counting(function, count):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            count(*args, **kwargs)
            return function(*args, **kwargs)
        return wrapper

    def capturing(function):
        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            groups = function(*args, **kwargs)
            captured.append(groups)
            del captured[:-4]  # the last few steps' loss groups, for the denoising/back-translation split
            return groups
        return wrapper

    def lengths(function):
        @functools.wraps(function)
        def wrapper(translator, rows, to_langs):
            outputs = function(translator, rows, to_langs)
            flops.back_translation(rows, outputs)
            return outputs
        return wrapper

    patches = [
        (step_module.UNMTStep, "noisy", lambda f: regions.wrap(f, "host.noise")),
        (step_module.UNMTStep, "loss_groups", lambda f: capturing(regions.wrap(f, "host.groups"))),
        (step_module.UNMTStep, "generator_loss", lambda f: regions.wrap(f, "generator.loss_glue")),
        (step_module.UNMTStep, "discriminator_loss", lambda f: regions.wrap(f, "discriminator")),
        (step_module.UNMTStep, "fooling_loss", lambda f: regions.wrap(f, "adv.fooling_forward")),
        (step_module, "source_batch", lambda f: regions.wrap(f, "host.padding")),
        (objectives_module, "source_batch", lambda f: regions.wrap(f, "host.padding")),
        (objectives_module, "target_batch", lambda f: regions.wrap(f, "host.padding")),
        (back_translator_module, "source_batch", lambda f: regions.wrap(f, "host.padding")),
        (back_translator_module.BackTranslator, "_decode", lambda f: lengths(regions.wrap(f, "bt.generation"))),
        (objectives_module, "sequence_losses", lambda f: regions.wrap(f, "g.forward")),
        (AlternatingTrainer, "_update", lambda f: regions.wrap(f, lambda *a, **k: a[5] if len(a) > 5 else k["side"])),
        (torch.Tensor, "backward", lambda f: regions.wrap(f, lambda *a, **k: f"{regions.parent()}.backward")),
        (WeightAverage, "update", lambda f: regions.wrap(f, "ema")),
        (Transformer, "encode", lambda f: counting(f, flops.encode)),
        (Transformer, "decoder_states", lambda f: counting(f, flops.decoder_states)),
        (Transformer, "output_logits", lambda f: counting(f, flops.output_logits)),
        (Transformer, "decode_step", lambda f: counting(f, flops.decode_step)),
        (LatentDiscriminator, "forward", lambda f: counting(f, flops.discriminator))
    ]
    with patched(patches):
        yield
