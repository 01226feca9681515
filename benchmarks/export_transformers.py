"""How exactly the Hugging Face transformers export translates as `unmt translate` does, on a run's test set.

Exports the run with `unmt export RUN OUT --format transformers`, then, in both directions, translates every
non-empty test line with unmt's torch engine and with stock AutoModelForSeq2SeqLM + AutoTokenizer (greedy and
beam 4, batches of --batch-size lines; both under the exported generation_config.json and with unmt's length limit
per sentence), and with pipeline("translation", model=DIR) greedy where the installed transformers has it. Records
how many lines are identical to unmt's, BLEU of each, and the largest logit difference on the first batch.

    python benchmarks/export_transformers.py --run checkpoints/toy --out benchmarks/results/export_transformers-toy.json
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from report import timestamped, write_report  # noqa: E402
from unmt.cli import main as unmt_main  # noqa: E402
from unmt.data.corpus import read_lines  # noqa: E402
from unmt.translation.evaluate import score  # noqa: E402
from unmt.translation.model_io import load_translator  # noqa: E402


def generate(model, tokenizer, lines: list[str], beam: int, batch_size: int, unmt_limit: bool) -> list[str]:
    """generate() on batches of lines. With `unmt_limit`, with unmt's length limit, 1.5 x each sentence's source
    (</s> included) + 5 tokens, which one generate() call holds only for sentences of one length: each batch holds
    sentences of one length. Without it, batches in input order under the exported configuration."""
    lengths = [len(ids) for ids in tokenizer(lines)["input_ids"]]
    chunks: list[list[int]] = []
    if unmt_limit:
        for i in sorted(range(len(lines)), key=lambda i: lengths[i]):
            if chunks and lengths[chunks[-1][0]] == lengths[i] and len(chunks[-1]) < batch_size:
                chunks[-1].append(i)
            else:
                chunks.append([i])
    else:
        chunks = [list(range(start, min(start + batch_size, len(lines)))) for start in range(0, len(lines), batch_size)]
    outputs = [""] * len(lines)
    for chunk in chunks:
        batch = tokenizer([lines[i] for i in chunk], padding=True, return_tensors="pt")
        limit = {"max_new_tokens": int(lengths[chunk[0]] * 1.5) + 5} if unmt_limit else {}
        with torch.no_grad():
            ids = model.generate(**batch, num_beams=beam, **limit)
        for i, text in zip(chunk, tokenizer.batch_decode(ids, skip_special_tokens=True)):
            outputs[i] = text
    return outputs


def largest_logit_difference(model, tokenizer, translator, lines: list[str], tgt: str) -> float:
    """max |logit difference| under teacher forcing on unmt's own greedy outputs, over a batch of lines."""
    from unmt.translation.batching import source_batch, target_batch

    rows = [translator.vocab.encode(line) for line in lines]
    outputs = translator.translate_ids(rows, tgt)
    src, mask = source_batch(rows)
    tgt_in, _ = target_batch(outputs, [translator.vocab.lang_ids[tgt]] * len(rows))
    with torch.no_grad():
        ours = translator.model.decode(tgt_in, translator.model.encode(src, mask), mask)
        theirs = model(input_ids=src, attention_mask=mask.long(), decoder_input_ids=tgt_in).logits
    real = (tgt_in != 0)[..., None]
    return float(((ours - theirs).abs() * real).max())


def compare(run: Path, out_dir: Path, batch_size: int, limit: int | None) -> dict:
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer, __version__, pipeline
    from transformers.pipelines import SUPPORTED_TASKS

    assert unmt_main(["--quiet", "export", str(run), "--format", "transformers", str(out_dir)]) == 0
    translator, info = load_translator(run)
    rows = []
    data = Path(info.get("data") or run / "data")  # where the run was trained from (run.json)
    for src, tgt in ((info["src"], info["tgt"]), (info["tgt"], info["src"])):
        sources = [line for line in read_lines(data / f"test.{src}") if line.strip()][:limit]
        references = read_lines(data / f"test.{tgt}")
        folder = out_dir / f"{src}-{tgt}"
        model, tokenizer = AutoModelForSeq2SeqLM.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)
        row = {
            "direction": f"{src}-{tgt}",
            "lines": len(sources),
            "max_abs_logit_difference": largest_logit_difference(
                model, tokenizer, translator, sources[:batch_size], tgt
            ),
        }
        ours_by_beam = {
            beam: translator.translate(sources, tgt, beam_size=beam, batch_size=batch_size) for beam in (1, 4)
        }
        for beam, ours in ours_by_beam.items():
            for unmt_limit in (True, False):
                theirs = generate(model, tokenizer, sources, beam, batch_size, unmt_limit)
                row[f"beam{beam}" + ("_unmt_limit" if unmt_limit else "_exported_config")] = {
                    "identical": sum(a == b for a, b in zip(ours, theirs)),
                    "bleu_unmt": score(ours, references[: len(ours)])["bleu"],
                    "bleu_transformers": score(theirs, references[: len(theirs)])["bleu"]}
        if "translation" in SUPPORTED_TASKS:  # transformers 5 removed the translation pipeline
            translate = pipeline("translation", model=str(folder))  # its own default is 4 beams: ask for 1
            piped = [r["translation_text"] for r in translate(sources, batch_size=batch_size, num_beams=1)]
            row["pipeline_greedy_identical"] = sum(a == b for a, b in zip(ours_by_beam[1], piped))
        rows.append(row)
    return {"run": str(run), "batch_size": batch_size, "transformers": __version__, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, required=True, help="a trained run folder")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--limit", type=int, help="only the first N test lines")
    parser.add_argument("--out", type=Path, default=timestamped("export_transformers"), help="the JSON file to write")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        report = compare(args.run, Path(tmp) / "hf", args.batch_size, args.limit)
    print(json.dumps(report["rows"], indent=1))
    write_report(args.out, report)


if __name__ == "__main__":
    main()
