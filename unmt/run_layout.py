"""A run folder's layout: the one place where the name of each file a trainer keeps in it is written. Readers and
writers (unmt.run_directory, the trainers, export, serve) name files through these constants only.

<run>/
    .lock                     held by the one process training the run
    metrics.jsonl             one JSON object per line: {"kind": "setup" | "train" | "eval", "step": ..., ...}
    step-0000400/             a complete checkpoint: <net>.safetensors per network, trainer.json +
                              trainer.safetensors (optimisers, schedules, random states), state.json
    latest, best              one line each naming the checkpoint folder they point to
    run.json                  UNMT: languages, model shape, data folder (what `translate` rebuilds from)
    config.yaml               UNMT: the configuration as trained
    spm.model                 UNMT: the subword model
    lexicon.json              UNMT: the word-by-word lexicon of the first back-translations
    aligned_embeddings.pt     UNMT: the aligned subword table the embeddings started from
    output_tokens.json        UNMT: the subwords each decoder language may emit
    README.md                 UNMT: the model card
    config.json               GAN: the full resolved configuration
    pictures/, classifiers/   GAN: samples and curves; the metric classifiers of digit runs
    tensorboard/              TensorBoard events beside metrics.jsonl
"""
from __future__ import annotations

from pathlib import Path

LOCK = ".lock"
METRICS = "metrics.jsonl"
LATEST, BEST = "latest", "best"
POINTERS = (LATEST, BEST)
CHECKPOINT_PREFIX = "step-"
CHECKPOINT_STATE = "state.json"
TRAINER_STATE = "trainer"  # trainer.json + trainer.safetensors (unmt.tensor_state)
OLD_TRAINER_STATE = "trainer.pt"  # UNMT checkpoints written before the pickle-free format
OLD_GAN_TRAINER_TENSORS = "optimizers"  # GAN checkpoints written before it: trainer.json + optimizers.safetensors

RUN_INFO = "run.json"
CONFIG = "config.yaml"
SUBWORD_MODEL = "spm.model"
LEXICON = "lexicon.json"
ALIGNED_EMBEDDINGS = "aligned_embeddings.pt"
OUTPUT_TOKENS = "output_tokens.json"
CARD = "README.md"
TOY_DATA = "data"

GAN_CONFIG = "config.json"
PICTURES = "pictures"
CLASSIFIERS = "classifiers"
TENSORBOARD = "tensorboard"


def checkpoint_name(step: int) -> str:
    return f"{CHECKPOINT_PREFIX}{step:07d}"


def weights_file(checkpoint: Path, net: str) -> Path:
    return checkpoint / f"{net}.safetensors"
