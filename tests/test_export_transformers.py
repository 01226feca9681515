import json
import subprocess
import sys

import pytest
import torch

from tests.export_toy_run import trained_toy_run
from unmt.cli import main
from unmt.data.corpus import read_lines
from unmt.data.vocab import EOS
from unmt.translation.batching import source_batch, target_batch
from unmt.translation.model_io import load_translator

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    pytest.importorskip("transformers")  # no training when the extra is absent
    return trained_toy_run(tmp_path_factory)


@pytest.fixture(scope="module")
def exported(toy_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("hf") / "model"
    assert main(["--quiet", "export", str(toy_run), "--format", "transformers", str(out)]) == 0
    return out


def _load(folder):
    from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

    return AutoModelForSeq2SeqLM.from_pretrained(folder).eval(), AutoTokenizer.from_pretrained(folder)


def _generate(model, tokenizer, lines, batch_size=64, **settings):
    """generate() with unmt's length limit, 1.5 x each sentence's source (</s> included) + 5 tokens: a limit per
    sentence, which neither generation_config.json nor one generate() call can hold, so each batch holds sentences
    of one length."""
    lengths = [len(ids) for ids in tokenizer(lines)["input_ids"]]
    order = sorted(range(len(lines)), key=lambda i: lengths[i])
    chunks = []
    for i in order:
        if chunks and lengths[chunks[-1][0]] == lengths[i] and len(chunks[-1]) < batch_size:
            chunks[-1].append(i)
        else:
            chunks.append([i])
    outputs = [""] * len(lines)
    for chunk in chunks:
        batch = tokenizer([lines[i] for i in chunk], padding=True, return_tensors="pt")
        limit = int(max(lengths[i] for i in chunk) * 1.5) + 5
        with torch.no_grad():
            ids = model.generate(**batch, max_new_tokens=limit, **settings)
        for i, text in zip(chunk, tokenizer.batch_decode(ids, skip_special_tokens=True)):
            outputs[i] = text
    return outputs


def test_each_direction_is_a_stock_folder_that_names_its_start_and_restriction(toy_run, exported):
    translator, _ = load_translator(toy_run)
    for src, tgt in (("en", "fr"), ("fr", "en")):
        folder = exported / f"{src}-{tgt}"
        assert {p.name for p in folder.iterdir()} >= {"config.json", "generation_config.json", "model.safetensors",
                                                      "tokenizer.json", "tokenizer_config.json", "README.md"}
        config = json.loads((folder / "config.json").read_text())
        assert config["architectures"] == ["PegasusForConditionalGeneration"] and "auto_map" not in config
        generation = json.loads((folder / "generation_config.json").read_text())
        assert generation["decoder_start_token_id"] == translator.vocab.lang_ids[tgt]
        assert sorted(generation["suppress_tokens"]) == (~translator.output_masks[tgt]).nonzero().squeeze(1).tolist()


def test_greedy_generate_is_identical_to_unmt_translate_on_every_test_line(toy_run, exported):
    from unmt.translation.evaluate import score

    translator, _ = load_translator(toy_run)
    for src, tgt in (("en", "fr"), ("fr", "en")):
        lines = read_lines(toy_run / "data" / f"test.{src}")
        model, tokenizer = _load(exported / f"{src}-{tgt}")
        ours, theirs = translator.translate(lines, tgt), _generate(model, tokenizer, lines)
        assert [i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b] == []
        assert len(theirs) == len(lines) == 500
        assert score(theirs, read_lines(toy_run / "data" / f"test.{tgt}"))["bleu"] > 3  # it translates


def test_logits_equal_unmt_logits(toy_run, exported):
    translator, _ = load_translator(toy_run)
    model, tokenizer = _load(exported / "en-fr")
    lines = read_lines(toy_run / "data" / "test.en")[:32]
    rows = [translator.vocab.encode(line) for line in lines]
    src, mask = source_batch(rows)
    assert tokenizer(lines, padding=True, return_tensors="pt")["input_ids"].tolist() == src.tolist()
    tgt_in, _ = target_batch(translator.translate_ids(rows, "fr"), [translator.vocab.lang_ids["fr"]] * len(rows))
    with torch.no_grad():
        ours = translator.model.decode(tgt_in, translator.model.encode(src, mask), mask)
        theirs = model(input_ids=src, attention_mask=mask.long(), decoder_input_ids=tgt_in).logits
    torch.testing.assert_close(theirs, ours, atol=1e-4, rtol=1e-4)


def test_the_translation_pipeline_translates_as_unmt(toy_run, exported):
    from transformers import pipeline
    from transformers.pipelines import SUPPORTED_TASKS

    if "translation" not in SUPPORTED_TASKS:
        pytest.skip("this transformers release has no translation pipeline (transformers 5 removed it)")
    translator, _ = load_translator(toy_run)
    lines = read_lines(toy_run / "data" / "test.fr")[:100]
    translate = pipeline("translation", model=str(exported / "fr-en"))
    assert [r["translation_text"] for r in translate(lines, batch_size=32)] == translator.translate(lines, "en")


def test_beam_search_runs_and_ends_every_output(toy_run, exported):
    model, tokenizer = _load(exported / "en-fr")
    lines = read_lines(toy_run / "data" / "test.en")[:16]
    batch = tokenizer(lines, padding=True, return_tensors="pt")
    with torch.no_grad():
        ids = model.generate(**batch, num_beams=4)
    assert all(EOS in row for row in ids.tolist())


def test_the_model_card_parses_with_the_runs_test_scores(toy_run, exported):
    from huggingface_hub import ModelCard

    evals = {}
    for line in (toy_run / "metrics.jsonl").read_text().splitlines():
        record = json.loads(line)
        if record["kind"] == "eval":
            evals[record["step"]] = record
    best = evals[int((toy_run / "best").read_text().strip().split("-")[1])]
    for direction in ("en-fr", "fr-en"):
        card = ModelCard.load(exported / direction / "README.md")
        assert card.data.pipeline_tag == "translation" and card.data.library_name == "transformers"
        assert card.data.language == ["en", "fr"]
        results = {(r.metric_type, r.task_type): r for r in card.data.eval_results}
        assert results["bleu", "translation"].metric_value == best[f"test_bleu_{direction}"]
        assert results["chrf", "translation"].metric_value == best[f"test_chrf_{direction}"]
        assert results["bleu", "translation"].metric_config.startswith("nrefs:1|case:mixed")
        assert "round-trip" in card.text and "## Limitations" in card.text


def test_without_transformers_the_export_names_the_extra(tiny_run, tmp_path):
    checkpoints, name = tiny_run
    code = (
        "import sys; sys.modules['transformers'] = None\n"
        "from unmt.cli import main\n"
        f"sys.exit(main(['--quiet', 'export', {str(checkpoints / name)!r}, '--format', 'transformers', "
        f"{str(tmp_path / 'o')!r}]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr
    assert 'pip install -e ".[transformers]"' in result.stderr and not (tmp_path / "o").exists()
