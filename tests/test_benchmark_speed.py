"""benchmarks/speed.py (and the fairseq peer harness's unmt-side parts) on a tiny run: the report's fields and
sanity, the FLOP count, the timing regions. fairseq itself is never imported here."""
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "benchmarks" / "peers"))

import speed  # noqa: E402
import speed_instruments  # noqa: E402
from unmt.models.transformer import Transformer, TransformerConfig  # noqa: E402


@pytest.fixture(scope="module")
def quick_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("speed") / "speed-quick.json"
    subprocess.run([sys.executable, "benchmarks/speed.py", "--quick", "--threads", "1", "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    return json.loads(out.read_text())


def test_quick_report_has_every_figure(quick_report):
    ceiling = quick_report["ceiling"]
    assert ceiling["gflops"]["fp32"] and all(rate > 0 for rate in ceiling["gflops"]["fp32"].values())
    assert ceiling["fp32_ceiling_gflops"] == max(ceiling["gflops"]["fp32"].values())
    assert ceiling["hardware_bf16"] == ("bf16" in ceiling["gflops"])
    assert quick_report["machine"]["cores"] >= 1 and quick_report["peak_rss_mib"] > 0
    shape = quick_report["shapes"]["quick"]
    assert 0 < shape["denoising_vs_back_translation"]["ae_share"] < 1
    for variant, summary in shape["training"].items():
        assert summary["target_tokens_per_second_median"] > 0 and summary["target_tokens_per_step"] > 0
        assert 0 < summary["mfu"] <= summary["hfu"] < 1
        split = summary["time_split"]
        assert abs(sum(split.values()) - 1) < 0.02, split
        for part in ("host", "bt_generation", "denoising_forward_backward", "back_translation_forward_backward"):
            assert split[part] > 0, (variant, part)
    assert shape["training"]["with_discriminator"]["time_split"]["discriminator"] > 0
    assert shape["training"]["without_discriminator"]["time_split"].get("discriminator", 0) == 0
    results = shape["translation"]["results"]
    assert set(results) == {f"beam{b}_batch{n}" for b in (1, 5) for n in (1, 16, 64)}
    assert all(r["sentences_per_second_median"] > 0 for r in results.values())


def test_flops_count_a_pass_three_times_when_it_has_a_backward():
    model = Transformer(
        TransformerConfig(vocab_size=50, d_model=16, n_heads=2, encoder_layers=2, decoder_layers=1, ffn_dim=32)
    )
    src = torch.tensor([[5, 6, 7, 2], [5, 6, 2, 0]])
    mask = src != 0
    flops = speed_instruments.Flops()
    with torch.no_grad():
        flops.encode(model, src, mask)
    per_token = 2 * (2 * (4 * 16 * 16 + 2 * 16 * 32) + 4 * 4 * 16)  # two layers: projections, FFN, attention
    assert flops.executed == per_token * 8 and flops.model == per_token * 7  # 8 positions, 7 of them real
    flops.executed = flops.model = 0.0
    flops.encode(model, src, mask)  # gradients enabled: forward + backward
    assert flops.executed == 3 * per_token * 8


def test_regions_time_exclusively():
    regions = speed_instruments.Regions(torch.device("cpu"))
    with regions.region("outer"):
        with regions.region("inner"):
            time.sleep(0.02)
    assert regions.seconds["inner"] >= 0.02 > regions.seconds["outer"]


def test_instrumentation_puts_every_original_back():
    originals = (
        speed_instruments.step_module.UNMTStep.noisy, torch.Tensor.backward,
        speed_instruments.objectives_module.sequence_losses
    )
    with speed_instruments.instrumented(speed_instruments.Regions(torch.device("cpu")), speed_instruments.Flops(), []):
        assert torch.Tensor.backward is not originals[1]
    assert (
        speed_instruments.step_module.UNMTStep.noisy, torch.Tensor.backward,
        speed_instruments.objectives_module.sequence_losses
    ) == originals


def test_warm_start_lays_out_fairseqs_dictionary(tmp_path):
    from warm_start import write_warm_start

    run_dir, _ = speed.quick_run(tmp_path, threads=1)
    checkpoint, dictionary = write_warm_start(run_dir, tmp_path / "peer")
    state = torch.load(checkpoint, weights_only=True)["model"]
    pieces = len(dictionary.read_text().splitlines())
    vocab = 200  # speed.QUICK's data.vocab_size
    assert pieces == vocab - 3  # every piece but <pad>, <unk>, </s>, which fairseq has itself
    assert state["encoder.embed_tokens.weight"].shape[0] == 4 + pieces + 3  # + <mask>, __en__, __fr__
    assert torch.equal(state["encoder.embed_tokens.weight"], state["decoder.output_projection.weight"])
    assert (
        "encoder.layers.0.self_attn.q_proj.weight" in state and "decoder.layers.0.encoder_attn.k_proj.weight" in state
    )


def test_peer_summary_times_updates_start_to_start():
    from fairseq_obt import summarise

    records = [{"start": float(i), "ntokens": 100, "bt_seconds": 0.25, "task_seconds": 0.75, "trainer_seconds": 0.875,
                "bt_source_tokens": 50, "bt_generated_tokens": 55, "decode_steps": 20, "decoded_tokens": 200}
               for i in range(12)]
    summary = summarise(records, skip=2, window=3)
    assert summary["target_tokens_per_second_median"] == 100.0 and summary["updates_timed"] == 9
    assert summary["time_split"]["bt_generation"] == 0.25 and summary["bt_generated_over_source_tokens"] == 1.1
    generation = summary["generation"]
    assert generation["seconds_per_step_median"] == 1.0 and generation["seconds_per_decode_step"] == 0.0125
    assert generation["seconds_per_decoded_token"] == 0.00125 and generation["decode_steps_per_step"] == 20


def test_the_benchmarks_never_import_fairseq():
    code = (
        "import sys; sys.path[:0] = ['benchmarks', 'benchmarks/peers']; "
        "import speed, speed_instruments, speed_training, speed_peer, warm_start, fairseq_obt; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'fairseq'], 'fairseq imported'"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)


@pytest.mark.slow  # two fresh `unmt train` processes
def test_corpus_scaling_times_each_setup_stage(tmp_path):
    out = tmp_path / "scaling.json"
    settings = ["data.vocab_size=200", "pretraining.init_embeddings=random", "back_translation.word_by_word_steps=0",
                "evaluation.sentences=10", "model.d_model=32", "model.ffn_dim=64", "runtime.threads=1"]
    subprocess.run(
        [
            sys.executable, "benchmarks/corpus_scaling.py", "--sizes", "300", "600", "--work", str(tmp_path / "work"),
            "--out", str(out), *[arg for s in settings for arg in ("--set", s)]
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    runs = json.loads(out.read_text())["runs"]
    assert [r["lines_per_language"] for r in runs] == [300, 600]
    for r in runs:
        assert r["exit_code"] == 0 and r["setup_seconds"] > 0 and r["process_peak_rss_mib"] > 0
        assert {"vocabulary", "data.tokenise", "data.arrow", "model"} <= set(r["exclusive_seconds"])
        assert [t["stage"] for t in r["timeline"]][-1] == "first_step_and_evaluation"
    assert (tmp_path / "work" / "data-600" / "train.fr").read_text().count("\n") == 600


def test_a_code_variant_changes_the_dropout_masks_only_while_it_runs():
    from unmt.models.dropout import Dropout

    layer, x = Dropout(0.5).train(), torch.ones(4, 1000)
    torch.manual_seed(0)
    torch_masks = torch.nn.functional.dropout(x, 0.5)
    with speed_instruments.code_variant(["losses.adv=0", "@torch_dropout"]):
        torch.manual_seed(0)
        assert torch.equal(layer(x), torch_masks)
    torch.manual_seed(0)
    assert not torch.equal(layer(x), torch_masks)  # unmt's own masks again, from other draws
    with pytest.raises(SystemExit):
        speed_instruments.code_variant(["@no_such_change"])


def test_the_before_host_cuts_variant_brings_back_the_old_step_only_while_it_runs():
    import torch.optim.adam as adam_module

    from unmt.translation.averaging import WeightAverage

    originals = (Transformer.output_logits, WeightAverage.update, adam_module.adam)
    model = Transformer(
        TransformerConfig(vocab_size=50, d_model=16, n_heads=2, encoder_layers=1, decoder_layers=1, ffn_dim=32)
    )
    weights = [torch.nn.Parameter(torch.randn(3)) for _ in range(3)]
    optimizer = torch.optim.Adam(weights, foreach=True)

    def operators():
        """(bf16 casts of the output table over two output-layer calls, foreach ops of one Adam step)"""
        for weight in weights:
            weight.grad = torch.ones(3)
        with torch.profiler.profile(record_shapes=True) as profiler:
            with torch.autocast("cpu", dtype=torch.bfloat16):
                model.output_logits(torch.randn(4, 16))
                model.output_logits(torch.randn(4, 16))
            optimizer.step()
        events = profiler.events()
        casts = sum(e.name == "aten::_to_copy" and sorted(e.input_shapes[0]) == [16, 50] for e in events)
        return casts, sum(e.name.startswith("aten::_foreach") for e in events)

    now = operators()
    assert now[0] == 1 and now[1] > 0
    with speed_instruments.code_variant(["@before_host_cuts"]):
        assert operators() == (2, 0)
    assert (Transformer.output_logits, WeightAverage.update, adam_module.adam) == originals
    assert operators() == now


def test_the_autocast_census_finds_the_casts_bf16_adds_and_those_the_cuts_removed(tmp_path):
    run_dir, data_dir = speed.quick_run(tmp_path, threads=1)
    out = tmp_path / "census.json"
    subprocess.run([sys.executable, "benchmarks/autocast_census.py", "--run", f"quick={run_dir}:{data_dir}",
                    "--steps", "1", "--threads", "1", "--before", "--out", str(out)],
                   cwd=ROOT, check=True, capture_output=True, timeout=300)
    shape = json.loads(out.read_text())["shapes"]["quick"]
    fp32, bf16, before = shape["fp32"], shape["bf16"], shape["bf16_before_host_cuts"]
    assert bf16["casts"] > fp32["casts"] and bf16["ops_all"] > fp32["ops_all"]
    assert bf16["decode_steps_per_step"] == before["decode_steps_per_step"] > 0  # the same batches decoded
    # before the cuts, the output table (at least the subwords x quick_run's d_model 32) was cast again at every
    # decoding step
    table = 32 * len(__import__("sentencepiece").SentencePieceProcessor(model_file=str(run_dir / "spm.model")))
    assert before["generation_cast_elements"] - bf16["generation_cast_elements"] >= \
        (before["decode_steps_per_step"] - 1) * table


def test_compile_cost_times_eager_on_batches_shaped_like_a_step(tmp_path):
    import compile_cost

    shapes = compile_cost.shapes_like_a_step(2000, 5, seed=0)
    assert len(set(shapes)) > 1  # shapes vary, as a training step's do: what compilation has to cope with
    assert all(abs(rows * target - 2000) <= target for rows, _, target in shapes)
    out = tmp_path / "compile.json"
    subprocess.run([sys.executable, "benchmarks/compile_cost.py", "--config", "configs/toy.yaml", "--modes", "eager",
                    "--batches", "2", "--reps", "2", "--threads", "1", "--out", str(out)], cwd=ROOT, check=True,
                   capture_output=True, timeout=300)
    report = json.loads(out.read_text())
    eager = report["results"]["eager_fp32"]
    assert eager["eager_over_this"] == 1.0 and len(eager["pass_seconds"]) == 2 and eager["first_pass_seconds"] > 0
    assert report["model"]["vocab"] == 1000 and len(report["batch_shapes"]) == 2


def test_fixed_cost_counts_more_operators_for_a_step_that_back_translates(tmp_path):
    import speed_fixed_cost
    import speed_training

    run_dir, data_dir = speed.quick_run(tmp_path, threads=1)
    variants = {"both": [], "denoising_only": ["losses.bt=0"]}
    runs = speed_training.build_runs(run_dir, data_dir, tmp_path / "copies", ["runtime.threads=1"], variants)
    figures = speed_fixed_cost.measure_fixed_cost(runs, steps=1, turns=1, warmup=1, profile_steps=1)
    both, denoising = figures["both"], figures["denoising_only"]
    assert both["ops_per_step_all"] > both["ops_per_step_top_level"] > 0  # composite ops dispatch nested ones
    assert both["ops_per_step_top_level"] > denoising["ops_per_step_top_level"] > 0
    assert 0 < both["generation_ops_per_step_all"] < both["ops_per_step_all"]
    assert both["decode_steps_per_step"] >= 1 and both["decoded_tokens_per_step"] >= both["decode_steps_per_step"]
    assert both["ops_per_decode_step_all"] > both["ops_per_decoded_token_all"] > 0
    assert both["seconds_per_decode_step"] > 0 and both["seconds_per_step_median"] > both["seconds_per_decode_step"]
    assert denoising["decode_steps_per_step"] == 0 and denoising["ops_per_decode_step_all"] is None
    section = speed_fixed_cost.fixed_cost_section(figures, {"fixed_cost": both}, [64])
    assert section["unmt_over_fairseq"]["both"]["ops_per_step_all"] == 1.0


def test_operator_counts_tell_top_level_ops_and_the_generation_label_apart():
    from op_count import GENERATION, operator_counts

    x, w = torch.randn(4, 8, requires_grad=True), torch.randn(3, 8)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as profiler:
        torch.nn.functional.linear(x, w).sum().backward()
        with torch.profiler.record_function(GENERATION), torch.no_grad():
            torch.nn.functional.linear(x, w)
    counts = operator_counts(profiler.events())
    assert counts["generation_top_level"] == 1  # aten::linear; its aten::t, aten::matmul... are nested in it
    assert counts["generation_all"] > 1 and counts["all"] > counts["top_level"] > counts["generation_top_level"]
