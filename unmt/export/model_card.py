"""The model card (a Hugging Face README.md: YAML metadata, then prose) of a run and of each of its exports.

Everything in it is read from the run folder: run.json, config.yaml, metrics.jsonl (steps, time, the test scores
logged at the shipped checkpoint's evaluation), the `best` / `latest` pointers and the data files. The metadata
follows the Hub's model card schema: language, license, pipeline_tag, library_name, tags, and a model-index whose
results are the test BLEU and chrF of each direction, with their sacreBLEU signatures as the metric config.
"""
from __future__ import annotations

from pathlib import Path

import yaml

from unmt.checkpoint import load_json, read_pointer
from unmt.run_directory import read_metrics
from unmt.run_layout import BEST, CARD, CHECKPOINT_STATE, CONFIG, LATEST, METRICS, RUN_INFO
from unmt.translation.evaluate import score

SELECTION = {
    "round_trip": "the highest round-trip BLEU (x -> other language -> x, scored against x) on monolingual "
                  "validation sentences: an unsupervised criterion that needs no parallel data",
    "valid_bleu": "the highest BLEU on the parallel validation set",
}
USAGE = {
    "transformers": """```python
from transformers import pipeline
translate = pipeline("translation", model="{folder}")
print(translate("{example}")[0]["translation_text"])
```""",
    "ctranslate2": """```bash
unmt translate --engine ctranslate2 --checkpoint {folder} --src {src} --tgt {tgt} < input.{src}
```""",
    "fairseq": """```bash
fairseq-interactive {folder} --path {folder}/checkpoint.pt --source-lang {src} --target-lang {tgt} \\
    --bpe sentencepiece --sentencepiece-model {folder}/spm.model --beam 1 --min-len 0 < input.{src}
```""",
    "unmt": """```bash
unmt translate --checkpoint {folder} --src {src} --tgt {tgt} < input.{src}
```""",
}


def _metrics(run_dir: Path) -> list[dict]:
    path = run_dir / METRICS
    if not path.is_file():
        return []
    return read_metrics(path)


def _count_lines(path: Path) -> int | None:
    if not path.is_file():
        return None
    with open(path, "rb") as lines:
        return sum(1 for _ in lines)


def run_facts(run_dir: Path, which: str = "best") -> dict:
    """What a card says about a run: languages, configuration, data sizes, steps, time, shipped checkpoint, scores."""
    info = load_json(run_dir / RUN_INFO)
    config_file = run_dir / CONFIG
    config = yaml.safe_load(config_file.read_text(encoding="utf-8")) if config_file.is_file() else {}
    checkpoint = read_pointer(run_dir, which) or read_pointer(run_dir, LATEST)
    shipped = load_json(checkpoint / CHECKPOINT_STATE).get("step") if checkpoint else None
    records = _metrics(run_dir)
    # A resumed run logs again the steps its killed session had logged: the last line of a step is the one kept.
    evals = {r["step"]: r for r in records if r.get("kind") == "eval"}
    trains = [r for r in records if r.get("kind") == "train"]
    data = Path(info.get("data", ""))
    return {
        "src": info["src"],
        "tgt": info["tgt"],
        "languages": info["languages"],
        "model": info["model"],
        "config": config,
        "data": str(data),
        "which": which if checkpoint and checkpoint == read_pointer(run_dir, which) else LATEST,
        "train_lines": {lang: _count_lines(data / f"train.{lang}") for lang in info["languages"]},
        "test_lines": {lang: _count_lines(data / f"test.{lang}") for lang in info["languages"]},
        "steps": trains[-1]["step"] if trains else None,
        "minutes": round(trains[-1]["seconds"] / 60, 1) if trains and "seconds" in trains[-1] else None,
        "shipped_step": shipped,
        "scores": evals.get(shipped, {}),
    }


def signatures() -> dict[str, str]:
    """The sacreBLEU signatures of unmt's scores (unmt.translation.evaluate.score's settings, this sacreBLEU)."""
    scored = score(["a"], ["a"])  # a signature names the reference count, known only once something is scored
    return {"bleu": scored["bleu_signature"], "chrf": scored["chrf_signature"]}


def _model_index(facts: dict, name: str, directions: list[tuple[str, str]]) -> list[dict]:
    signature = signatures()
    results = []
    for src, tgt in directions:
        metrics = []
        for metric, label in (("bleu", "BLEU"), ("chrf", "chrF")):
            value = facts["scores"].get(f"test_{metric}_{src}-{tgt}")
            if value is not None:
                metrics.append({"type": metric, "value": value, "name": f"test {label} (greedy)",
                                "config": signature[metric], "verified": False})
        if metrics:
            results.append({
                "task": {"type": "translation", "name": f"Translation {src}-{tgt}"},
                "dataset": {"type": Path(facts["data"]).name or "test", "name": f"{Path(facts['data']).name} test set",
                            "split": "test"},
                "metrics": metrics,
            })
    return [{"name": name, "results": results}] if results else []


def _metadata(facts: dict, library: str, name: str, directions: list[tuple[str, str]]) -> dict:
    metadata = {
        "language": list(facts["languages"]),
        "license": "unknown",  # the weights follow the licence of the corpora they were trained on
        "library_name": library,
        "pipeline_tag": "translation",
        "tags": ["translation", "unsupervised-machine-translation", "unmt"],
    }
    index = _model_index(facts, name, directions)
    if index:
        metadata["model-index"] = index
    return metadata


def _scores_table(facts: dict, directions: list[tuple[str, str]]) -> str:
    rows = []
    for src, tgt in directions:
        bleu, chrf = (facts["scores"].get(f"test_{m}_{src}-{tgt}") for m in ("bleu", "chrf"))
        if bleu is not None:
            rows.append(f"| {src}→{tgt} | {bleu} | {chrf if chrf is not None else '–'} |")
    if not rows:
        return "The run has no test scores (its data has no test set, or it was not evaluated yet)."
    signature = signatures()
    lines = ", ".join(f"{n:,} {lang} lines" for lang, n in facts["test_lines"].items() if n is not None)
    return "\n".join(["| direction | test BLEU | test chrF |", "|---|---|---|", *rows]) + (
        f"\n\nGreedy decoding, on the data folder's `test.<lang>` files ({lines}); sacreBLEU signatures: BLEU "
        f"`{signature['bleu']}`, chrF `{signature['chrf']}`.")


def card_text(facts: dict, library: str, usage_folder: str, directions: list[tuple[str, str]]) -> str:
    """The whole README.md: YAML metadata between --- lines, then the card."""
    pair = "-".join(facts["languages"])
    name = f"unmt-{pair}" if len(directions) > 1 else f"unmt-{directions[0][0]}-{directions[0][1]}"
    m = facts["model"]
    sizes = ", ".join(f"{lines:,} {lang} lines" for lang, lines in facts["train_lines"].items() if lines is not None)
    steps = f"{facts['steps']:,} steps" if facts["steps"] is not None else "an unknown number of steps"
    minutes = f" in {facts['minutes']} minutes of training" if facts["minutes"] is not None else ""
    select_by = facts["config"].get("evaluation", {}).get("select_by", "round_trip")
    chosen = (f"the checkpoint with {SELECTION.get(select_by, select_by)}" if facts["which"] == "best"
              else "the latest checkpoint")
    src, tgt = directions[0]
    usage = USAGE[library].format(folder=usage_folder, src=src, tgt=tgt, example="A man rides a bicycle.")
    body = f"""# {name}

An unsupervised translation model between {', '.join(facts['languages'])}, trained with
unmt from two monolingual corpora and no sentence pairs: denoising auto-encoding,
on-the-fly back-translation and a latent adversarial discriminator on one shared encoder-decoder
(Lample et al., 2018). Directions here: {', '.join(f'{s}→{t}' for s, t in directions)}.

## Use

{usage}

## Training

- **Data**: `{facts['data']}` ({sizes or 'sizes unknown'}); each language's corpus used on its own, unpaired.
- **Model**: transformer encoder-decoder, d_model {m['d_model']}, {m['n_heads']} heads, {m['encoder_layers']} + \
{m['decoder_layers']} pre-norm layers, feed-forward {m['ffn_dim']}, {m['activation']}, {m['vocab_size']:,} joint \
SentencePiece subwords, tied embeddings; the target language is the decoder's first token.
- **Run**: {steps}{minutes}; shipped: step {facts['shipped_step']}, {chosen}. No test score chose anything.

<details><summary>Full configuration (config.yaml)</summary>

```yaml
{yaml.safe_dump(facts['config'], sort_keys=False).strip()}
```
</details>

## Evaluation

{_scores_table(facts, directions)}

## Limitations

- Learned without parallel data: expect literal, word-order-following translations, errors on rare words and
  names, and outputs that degrade on text unlike the training corpora (domain, length, register).
- Each output language is restricted to the subwords seen in its own training corpus.
- Inputs longer than the model's position table allows are cut into pieces by `unmt translate`; other runtimes
  take the first {(m['max_positions'] - 10) * 2 // 3} subwords.
- The licence of these weights follows that of the training corpora.
"""
    front = yaml.safe_dump(_metadata(facts, library, name, directions), sort_keys=False, allow_unicode=True)
    return f"---\n{front}---\n\n{body}"


def write_card(
    folder: Path, facts: dict, library: str, directions: list[tuple[str, str]], usage_folder: str = ""
) -> Path:
    path = folder / CARD
    path.write_text(card_text(facts, library, usage_folder or str(folder), directions), encoding="utf-8")
    return path


def both_directions(facts: dict) -> list[tuple[str, str]]:
    src, tgt = facts["src"], facts["tgt"]
    return [(src, tgt), (tgt, src)]


def run_card(run_dir: Path) -> str:
    """The model card a run folder keeps (rewritten at each evaluation), for `unmt translate --checkpoint`."""
    facts = run_facts(run_dir, BEST)
    return card_text(facts, "unmt", run_dir.name, both_directions(facts))
