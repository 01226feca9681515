"""Settings the data cannot honour, said once and recorded as used instead of passing in silence.

A vocabulary size the corpus cannot fill (SentencePiece takes what it can), a length limit longer than any
sentence, an evaluation sample larger than the evaluation set: the run goes on with what the data allows, one
warning line says so, and the setup line of metrics.jsonl records what was asked and what was used. The vocabulary
size also goes into config.yaml as used, so that config.yaml and run.json agree.
"""
from __future__ import annotations

import dataclasses
import logging

from unmt.config import Config

log = logging.getLogger("unmt")


def settings_the_data_cannot_honour(config: Config, vocab_size: int, longest: int, valid_size: int) -> dict:
    """{key: {"asked": value, "used": value}} for each setting the data cannot honour, each warned about once.
    `longest`: the longest training sentence in subwords; `valid_size`: sentences the round trip can use."""
    data, evaluation = config.data, config.evaluation
    adjusted = {}
    if vocab_size < data.vocab_size:
        adjusted["data.vocab_size"] = {"asked": data.vocab_size, "used": vocab_size}
        log.warning("data.vocab_size=%d: the corpus supports only %d subword pieces; the run uses %d",
                    data.vocab_size, vocab_size, vocab_size)
    if longest < data.max_len:
        adjusted["data.max_len"] = {"asked": data.max_len, "used": longest}
        # said, not warned: the default limit is above every sentence of a short-sentence corpus, harmlessly
        log.info("data.max_len=%d: no training sentence is longer than %d subwords, so the limit removes nothing",
                 data.max_len, longest)
    if valid_size < evaluation.sentences:
        adjusted["evaluation.sentences"] = {"asked": evaluation.sentences, "used": valid_size}
        log.warning("evaluation.sentences=%d: the evaluation set holds %d sentences; the round trip uses all %d",
                    evaluation.sentences, valid_size, valid_size)
    return adjusted


def with_vocabulary_size(config: Config, vocab_size: int) -> Config:
    """The configuration as the run uses it: the vocabulary size the subword model actually has."""
    return dataclasses.replace(config, data=dataclasses.replace(config.data, vocab_size=vocab_size))
