"""The runs a server answers for: every direction of every run, its translator, its name and its test scores."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from unmt.checkpoint import find_run, read_pointer
from unmt.errors import ConfigError
from unmt.run_layout import BEST, METRICS, RUN_INFO
from unmt.serve.detect import LanguageDetector
from unmt.translation.translator import Translator

# Names for the codes people are likely to train; any other code is shown as itself.
LANGUAGE_NAMES = {
    "ar": "Arabic", "cs": "Czech", "de": "German", "en": "English", "es": "Spanish", "fi": "Finnish", "fr": "French",
    "hi": "Hindi", "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "pl": "Polish",
    "pt": "Portuguese", "ro": "Romanian", "ru": "Russian", "sv": "Swedish", "tr": "Turkish", "uk": "Ukrainian",
    "zh": "Chinese",
}


@dataclass
class ServedRun:
    name: str
    translator: Translator
    languages: tuple[str, str]
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # "en-fr" -> {"bleu": .., "chrf": ..}


class Service:
    def __init__(self, runs: list[ServedRun], beam_size: int = 1, batch_size: int = 64):
        self.runs, self.beam_size, self.batch_size = runs, beam_size, batch_size
        self.directions: dict[tuple[str, str], ServedRun] = {}
        for run in runs:
            a, b = run.languages
            for direction in ((a, b), (b, a)):
                if direction in self.directions:
                    raise ConfigError(f"runs {self.directions[direction].name} and {run.name} both translate "
                                      f"{'-'.join(direction)}: serve one of them")
                self.directions[direction] = run
        # Batches decoded at once: CTranslate2 on a CPU runs one per worker; torch's one batch takes every core.
        self.decode_workers = max(getattr(run.translator, "parallel_batches", 1) for run in runs) if runs else 1
        self.detectors = {run.name: LanguageDetector(run.translator.vocab, run.translator.output_masks, run.languages)
                          for run in runs}

    def languages(self) -> list[dict]:
        """LibreTranslate's GET /languages: every language any run reads, with the languages it can go to."""
        codes = sorted({lang for run in self.runs for lang in run.languages})
        return [{"code": code, "name": LANGUAGE_NAMES.get(code, code),
                 "targets": sorted(tgt for src, tgt in self.directions if src == code)} for code in codes]

    def models(self) -> list[dict]:
        return [{"name": run.name, "languages": list(run.languages), "scores": run.scores} for run in self.runs]

    def detect(self, text: str, target: str) -> tuple[str, float]:
        """(language, confidence in %) among the languages of the runs that translate into `target`; the target
        itself is a possible answer, for text that needs no translation."""
        best = ("", -1.0)
        for run in {id(run): run for (src, tgt), run in self.directions.items() if tgt == target}.values():
            best = max(best, self.detectors[run.name].detect(text), key=lambda found: found[1])
        return best

    def decode(self, key: tuple[str, str, int], lines: list[str]) -> list:
        """Called by the batcher: one translation per line, or with n > 0, one list of (text, score) per line."""
        src, tgt, nbest = key
        translator = self.directions[src, tgt].translator
        if nbest == 0:
            return translator.translate(lines, tgt, self.beam_size, self.batch_size)
        # The best translation and `nbest` alternatives: a beam at least that wide.
        return translator.translate_nbest(lines, tgt, nbest + 1, max(self.beam_size, nbest + 1), self.batch_size)

    def has_alternatives(self, src: str, tgt: str) -> bool:
        return hasattr(self.directions[src, tgt].translator, "translate_nbest")


def load_runs(checkpoints: list[str], engine: str, checkpoints_dir: Path) -> list[ServedRun]:
    """Each --checkpoint: a run (name or folder) for the torch engine, an exported folder for CTranslate2."""
    runs = []
    for checkpoint in checkpoints:
        if engine == "ctranslate2":
            from unmt.export.ct2_translator import CTranslate2Translator

            folder = Path(checkpoint)
            translator = CTranslate2Translator(folder)
            info, scored_run = translator.info, Path(translator.info.get("exported_from", ""))
        else:
            from unmt.translation.model_io import load_translator

            folder = find_run(checkpoints_dir, checkpoint)
            translator, info = load_translator(folder)
            scored_run = folder
        runs.append(ServedRun(folder.name, translator, tuple(info["languages"]), test_scores(scored_run)))
    if len({run.name for run in runs}) < len(runs):
        raise ConfigError("two --checkpoint folders have the same name: the page and /models could not tell them apart")
    return runs


def test_scores(run_dir: Path) -> dict[str, dict[str, float]]:
    """Test BLEU and chrF per direction measured when the run's shipped checkpoint was evaluated, if it was."""
    checkpoint = read_pointer(run_dir, BEST) if (run_dir / RUN_INFO).is_file() else None
    if checkpoint is None or not (run_dir / METRICS).is_file():
        return {}
    step = int(re.sub(r"\D", "", checkpoint.name) or -1)
    scores: dict[str, dict[str, float]] = {}
    for line in (run_dir / METRICS).read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        if record.get("kind") != "eval" or record.get("step") != step:
            continue
        for key, value in record.items():
            for metric in ("bleu", "chrf"):
                if key.startswith(f"test_{metric}_") and "live" not in key:
                    scores.setdefault(key.removeprefix(f"test_{metric}_"), {})[metric] = round(value, 2)
    return scores
