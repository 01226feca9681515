"""A fairseq --user-dir plugin that times every update of the online_backtranslation task (nothing else changes).

Loaded by `fairseq-train --user-dir benchmarks/peers/obt_timing`; appends one JSON line per update to the file
named by $OBT_TIMING_LOG: when the update started, the trainer's whole update (forward, backward, optimizer), the
task's part of it (the four sub-batches), the back-translation generation inside that, and the target tokens
(`ntokens`, summed over the sub-batches, as fairseq's own logs count them), and the generator's decoding steps
(calls of its decoder, one position of the batch) and decoded tokens (the rows of those calls).

With $OBT_PROFILE_UPDATES=N, the updates counted from 0 from $OBT_PROFILE_FROM on run under torch.profiler, from
the start of the first to the start of the (N+1)-th (data loading included, as in a unmt step), and one more
line holds their aten operator counts (benchmarks/peers/op_count.py), generation told apart by its label.
"""
import json
import os
import sys
import time

import torch
from fairseq.sequence_generator import EnsembleModel
from fairseq.tasks.online_backtranslation import OnlineBackTranslationTask
from fairseq.trainer import Trainer

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from op_count import GENERATION, operator_counts  # noqa: E402

_LOG = os.environ.get("OBT_TIMING_LOG")
_PROFILE_FROM = int(os.environ.get("OBT_PROFILE_FROM", 0))
_PROFILE_UPDATES = int(os.environ.get("OBT_PROFILE_UPDATES", 0))
_profile = {"update": 0, "profiler": None}
_current = {"bt_seconds": 0.0, "bt_source_tokens": 0, "bt_generated_tokens": 0, "decode_steps": 0, "decoded_tokens": 0}
_backtranslate, _task_step, _trainer_step, _forward_decoder = (
    OnlineBackTranslationTask.backtranslate_sample, OnlineBackTranslationTask.train_step, Trainer.train_step,
    EnsembleModel.forward_decoder
)


def _write(record: dict) -> None:
    if _LOG:
        with open(_LOG, "a") as log:
            log.write(json.dumps(record) + "\n")


def forward_decoder(self, tokens, *args, **kwargs):
    _current["decode_steps"] += 1
    _current["decoded_tokens"] += tokens.shape[0]
    return _forward_decoder(self, tokens, *args, **kwargs)


def backtranslate_sample(self, smp, orig_lang, other_lang):
    source_tokens = int(smp["net_input"]["src_lengths"].sum())
    started = time.perf_counter()
    with torch.profiler.record_function(GENERATION):
        _backtranslate(self, smp, orig_lang, other_lang)
    _current["bt_seconds"] += time.perf_counter() - started
    _current["bt_source_tokens"] += source_tokens
    _current["bt_generated_tokens"] += int(smp["net_input"]["src_lengths"].sum())


def task_train_step(self, sample, *args, **kwargs):
    started = time.perf_counter()
    out = _task_step(self, sample, *args, **kwargs)
    _current["task_seconds"] = _current.get("task_seconds", 0.0) + time.perf_counter() - started
    _current["ntokens"] = _current.get("ntokens", 0) + int(out[2].get("ntokens", 0))
    _current["bt_ntokens"] = _current.get("bt_ntokens", 0) + int(out[2].get("bt_ntokens", 0))
    _current["dae_ntokens"] = _current.get("dae_ntokens", 0) + int(out[2].get("dae_ntokens", 0))
    return out


def trainer_train_step(self, samples, *args, **kwargs):
    update, _profile["update"] = _profile["update"], _profile["update"] + 1
    if _profile["profiler"] is not None and update == _PROFILE_FROM + _PROFILE_UPDATES:
        _profile["profiler"].stop()
        counts = operator_counts(_profile["profiler"].events())
        _write({"profile": {"first_update": _PROFILE_FROM, "updates": _PROFILE_UPDATES, **counts}})
        _profile["profiler"] = None
    _current.clear()
    _current.update(bt_seconds=0.0, bt_source_tokens=0, bt_generated_tokens=0, decode_steps=0, decoded_tokens=0,
                    start=time.time())
    if _PROFILE_UPDATES and update == _PROFILE_FROM:  # started after the update's start stamp: timing unaffected
        _profile["profiler"] = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
        _profile["profiler"].start()
    started = time.perf_counter()
    out = _trainer_step(self, samples, *args, **kwargs)
    _current["trainer_seconds"] = time.perf_counter() - started
    _write(_current)
    return out


OnlineBackTranslationTask.backtranslate_sample = backtranslate_sample
OnlineBackTranslationTask.train_step = task_train_step
Trainer.train_step = trainer_train_step
EnsembleModel.forward_decoder = forward_decoder
