"""A fairseq --user-dir plugin that times every update of the online_backtranslation task (nothing else changes).

Loaded by `fairseq-train --user-dir benchmarks/peers/obt_timing`; appends one JSON line per update to the file
named by $OBT_TIMING_LOG: when the update started, the trainer's whole update (forward, backward, optimizer), the
task's part of it (the four sub-batches), the back-translation generation inside that, and the target tokens
(`ntokens`, summed over the sub-batches, as fairseq's own logs count them).
"""
import json
import os
import time

from fairseq.tasks.online_backtranslation import OnlineBackTranslationTask
from fairseq.trainer import Trainer

_LOG = os.environ.get("OBT_TIMING_LOG")
_current = {"bt_seconds": 0.0, "bt_source_tokens": 0, "bt_generated_tokens": 0}
_backtranslate, _task_step, _trainer_step = (
    OnlineBackTranslationTask.backtranslate_sample, OnlineBackTranslationTask.train_step, Trainer.train_step
)


def backtranslate_sample(self, smp, orig_lang, other_lang):
    source_tokens = int(smp["net_input"]["src_lengths"].sum())
    started = time.perf_counter()
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
    _current.clear()
    _current.update(bt_seconds=0.0, bt_source_tokens=0, bt_generated_tokens=0, start=time.time())
    started = time.perf_counter()
    out = _trainer_step(self, samples, *args, **kwargs)
    _current["trainer_seconds"] = time.perf_counter() - started
    if _LOG:
        with open(_LOG, "a") as log:
            log.write(json.dumps(_current) + "\n")
    return out


OnlineBackTranslationTask.backtranslate_sample = backtranslate_sample
OnlineBackTranslationTask.train_step = task_train_step
Trainer.train_step = trainer_train_step
