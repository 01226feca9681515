"""A run as Hugging Face `transformers` models: one `save_pretrained` folder per direction, loaded by stock
AutoModelForSeq2SeqLM, AutoTokenizer and pipeline("translation"), with no custom code.

The model is a PegasusForConditionalGeneration holding the same weights (unmt.export.huggingface_model says why
it computes exactly what unmt's model does); the tokenizer is a tokenizer.json rebuilt from the run's SentencePiece
model (unmt.export.huggingface_tokenizer). What makes a folder one direction is its generation configuration: the
decoder starts from the target language's tag (`decoder_start_token_id`), and `suppress_tokens` lists every
subword that language may not output (the run's output_tokens.json), as unmt's own search masks them.
"""
from __future__ import annotations

import json
from pathlib import Path

from unmt.data.vocab import EOS, PAD
from unmt.export.huggingface_model import pegasus_config, pegasus_state
from unmt.export.huggingface_tokenizer import pretrained_tokenizer
from unmt.export.model_card import run_facts, write_card
from unmt.export.output_folder import ExportError, atomic_folder
from unmt.export.run_model import RunModel, load_run_model


def import_transformers():
    try:
        import transformers
    except ImportError:
        raise ExportError('transformers is not installed: pip install -e ".[transformers]"') from None
    return transformers


def generation_settings(run: RunModel, tgt: str) -> dict:
    """unmt's search as generation_config.json: greedy from the tag, its output restriction, no forced </s>."""
    allowed = run.output_masks.get(tgt)
    suppressed = [] if allowed is None else (~allowed).nonzero().squeeze(1).tolist()
    return {
        "decoder_start_token_id": run.vocab.lang_ids[tgt],
        "bos_token_id": None,
        "eos_token_id": EOS,
        "pad_token_id": PAD,
        "forced_eos_token_id": None,
        "num_beams": 1,
        "do_sample": False,
        # unmt stops at 1.5 x the source + 5 tokens, a limit per input that the format cannot express; the
        # position table's length is the outer bound both share.
        "max_length": run.model.config.max_positions,
        "suppress_tokens": suppressed or None,
    }


def write_direction(run: RunModel, folder: Path, src: str, tgt: str) -> None:
    transformers = import_transformers()
    start = run.vocab.lang_ids[tgt]
    config = transformers.PegasusConfig(**pegasus_config(run.model.config, start))
    model = transformers.PegasusForConditionalGeneration(config)
    model.load_state_dict(pegasus_state(run.model), strict=True)
    model.generation_config = transformers.GenerationConfig(**generation_settings(run, tgt))
    model.eval().save_pretrained(folder)
    # The encoder's input is at most what unmt.translation.translator feeds it, before cutting long lines.
    max_input = (run.model.config.max_positions - 10) * 2 // 3
    pretrained_tokenizer(run.vocab.model_proto, max_input).save_pretrained(folder)
    # The class every transformers release since 4 knows (newer releases write their own backend's name here).
    settings = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    settings["tokenizer_class"] = "PreTrainedTokenizerFast"
    settings.pop("backend", None)
    settings["model_input_names"] = ["input_ids", "attention_mask"]  # no token_type_ids, which generate() refuses
    (folder / "tokenizer_config.json").write_text(json.dumps(settings, indent=1), encoding="utf-8")
    for path in folder.iterdir():
        path.chmod(0o644)  # some writers make private files; an exported model is meant to be shared


def export_transformers(run_dir: Path, out: Path, which: str = "best") -> Path:
    """Writes OUT/<src>-<tgt>/ for both directions, each with its model card, plus unmt.json."""
    import_transformers()
    run = load_run_model(run_dir, which)
    facts = run_facts(run_dir, which)
    with atomic_folder(out) as tmp:
        directions = []
        for src in run.languages:
            for tgt in run.languages:
                if src == tgt:
                    continue
                folder = tmp / f"{src}-{tgt}"
                write_direction(run, folder, src, tgt)
                write_card(folder, facts, "transformers", [(src, tgt)], str(out / f"{src}-{tgt}"))
                directions.append(f"{src}-{tgt}")
        metadata = {"format": "transformers", "directions": directions, "languages": run.languages,
                    "architecture": "PegasusForConditionalGeneration", "exported_from": str(run_dir)}
        (tmp / "unmt.json").write_text(json.dumps(metadata, indent=1), encoding="utf-8")
    return out
