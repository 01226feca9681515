"""What a UNMT run does at a given step, in one place: the loop asks once per step.

Steps count from 0 over the whole run. The first `pretraining.mlm_steps` are masked-LM pretraining of the encoder;
at the step where they end the encoder is copied into the decoder; UNMT proper counts its own steps from there
(the loss schedules, the dropout schedule and the word-by-word phase all read `unmt_step`).
"""
from __future__ import annotations

from dataclasses import dataclass

from unmt.config import Config

OBJECTIVES = ("ae", "bt", "kd", "mt", "adv")


@dataclass(frozen=True)
class Phase:
    step: int  # steps taken before this one, pretraining included
    unmt_step: int  # steps since UNMT proper began (negative during pretraining)
    masked_lm: bool  # pretraining the encoder: no decoder, no translation
    copy_encoder: bool  # the first UNMT step after pretraining: the decoder starts from the encoder
    dropout: float
    weights: dict[str, float]  # objective -> weight at this step (all 0 during pretraining)
    word_by_word: bool  # back-translations come from the induced lexicon, not the model

    @property
    def denoises(self) -> bool:
        """Denoising runs while weighted, and whenever nothing else would train: a step always learns something."""
        w = self.weights
        return w["ae"] > 0 or all(w[k] <= 0 for k in ("bt", "kd", "mt"))

    @property
    def translates(self) -> bool:
        return self.weights["bt"] > 0 or self.weights["kd"] > 0

    @property
    def uses_discriminator(self) -> bool:
        """The discriminator learns only at steps whose generator loss it feeds back into."""
        return not self.masked_lm and self.weights["adv"] > 0


class Phases:
    def __init__(self, config: Config, has_lexicon: bool):
        self.mlm_steps = config.pretraining.mlm_steps
        self.word_by_word_steps = config.back_translation.word_by_word_steps if has_lexicon else 0
        self.dropout = config.model.dropout
        self.schedules = {name: getattr(config.losses, name) for name in OBJECTIVES}

    def at(self, step: int) -> Phase:
        unmt_step = step - self.mlm_steps
        masked_lm = unmt_step < 0
        return Phase(
            step=step,
            unmt_step=unmt_step,
            masked_lm=masked_lm,
            copy_encoder=self.mlm_steps > 0 and unmt_step == 0,
            dropout=self.dropout(unmt_step),
            weights={name: 0.0 if masked_lm else schedule(unmt_step) for name, schedule in self.schedules.items()},
            word_by_word=0 <= unmt_step < self.word_by_word_steps,
        )
