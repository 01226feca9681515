"""Ensembles: several runs decode as one with the mean of their next-token probabilities."""
import json
import shutil
import subprocess
import sys

import pytest
import torch

from tests.test_cli import unmt
from unmt.data.vocab import Vocabulary
from unmt.models.ensemble import Ensemble
from unmt.models.transformer import Transformer, TransformerConfig
from unmt.translation.model_io import load_ensemble_translator, load_translator
from unmt.translation.search import beam_search, greedy_search

pytestmark = pytest.mark.slow  # the learning and fault tier: `python -m pytest -m "not slow"` skips it

LANG = 5


def model(seed: int, d_model: int) -> Transformer:
    torch.manual_seed(seed)
    config = TransformerConfig(
        vocab_size=40, d_model=d_model, n_heads=4, encoder_layers=1, decoder_layers=2, ffn_dim=64, dropout=0.0
    )
    return Transformer(config).eval()


def test_each_step_scores_the_log_of_the_members_mean_probability():
    members = [model(0, 32), model(1, 48)]  # different widths: the shared memory tensor is split back per member
    ensemble = Ensemble(members)
    src = torch.randint(6, 40, (3, 7), generator=torch.Generator().manual_seed(2))
    mask = torch.ones_like(src, dtype=torch.bool)
    mask[0, 4:] = False
    prefix = torch.cat([torch.full((3, 1), LANG), torch.randint(6, 40, (3, 5))], dim=1)
    with torch.no_grad():
        # each member decoded on its own, all positions at once, without any cache
        probs = [torch.softmax(m.decode(prefix, m.encode(src, mask), mask), -1) for m in members]
        expected = torch.log((probs[0] + probs[1]) / 2)
        memory, cache = ensemble.encode(src, mask), ensemble.new_cache()
        steps = [ensemble.decode_step(prefix[:, t : t + 1], memory, mask, cache, t) for t in range(prefix.shape[1])]
    assert torch.allclose(torch.stack(steps, dim=1), expected, atol=1e-5)
    assert torch.allclose(torch.stack(steps, dim=1).exp().sum(-1), torch.ones(3, 6), atol=1e-5)


def test_greedy_search_follows_the_members_mean_probability():
    members = [model(3, 32), model(4, 32)]
    with torch.no_grad():  # (tied embeddings make an untrained model repeat its start tag)
        for member in members:
            member.embed.weight[LANG] = 0
    src = torch.randint(6, 40, (4, 6), generator=torch.Generator().manual_seed(5))
    mask = torch.ones_like(src, dtype=torch.bool)
    ensemble = Ensemble(members)
    greedy = greedy_search(ensemble, src, mask, LANG, max_len=8)
    # the greedy path, rebuilt token by token from the members' averaged probabilities
    with torch.no_grad():
        for b in range(4):
            tokens = [LANG]
            for _ in range(len(greedy[b])):
                mean = sum(
                    torch.softmax(
                        m.decode(torch.tensor([tokens]), m.encode(src[b : b + 1], mask[b : b + 1]), mask[b : b + 1])[
                            0, -1
                        ],
                        -1,
                    )
                    for m in members
                )
                tokens.append(int(mean.argmax()))
            assert tokens[1:] == greedy[b]
    # the check above means something only where the members disagree
    alone = [greedy_search(m, src, mask, LANG, max_len=8) for m in members]
    assert alone[0] != alone[1]
    assert len(beam_search(ensemble, src, mask, LANG, beam_size=3, max_len=8)) == 4


def test_a_run_ensembled_with_a_copy_of_itself_translates_as_it_does_alone(tiny_run, tmp_path):
    checkpoints, name = tiny_run
    copy = tmp_path / "copy"
    shutil.copytree(checkpoints / name, copy)
    single, _ = load_translator(checkpoints / name)
    pair, info = load_ensemble_translator([checkpoints / name, copy])
    assert isinstance(pair.model, Ensemble) and info["src"] == "en"
    lines = ["the cat sees Marie .", "Marie eats 3 apples .", "the small dog ."]
    for beam in (1, 3):  # beam search reorders every member's cache
        assert pair.translate(lines, "fr", beam) == single.translate(lines, "fr", beam)


def test_cli_ensembles_repeated_checkpoints_and_refuses_different_vocabularies(tiny_run, tmp_path):
    checkpoints, name = tiny_run
    copy = tmp_path / "copy"  # a path, not a name: the shared checkpoints folder stays as other tests expect it
    shutil.copytree(checkpoints / name, copy)
    text = "the cat sees Marie .\nMarie eats 3 apples .\n".encode()
    alone = unmt("--checkpoints-dir", str(checkpoints), "translate", "--checkpoint", name, stdin=text)
    both = unmt(
        "--checkpoints-dir", str(checkpoints), "translate", "--checkpoint", name, "--checkpoint", str(copy), stdin=text
    )
    assert both.returncode == 0, both.stderr
    assert both.stdout == alone.stdout and len(both.stdout.decode().splitlines()) == 2

    scores = tmp_path / "scores.json"
    evaluated = unmt(
        "--checkpoints-dir", str(checkpoints), "evaluate", "--checkpoint", name, "--checkpoint", str(copy), "--json",
        str(scores)
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert len(json.loads(scores.read_text())["ensemble"]) == 2

    # same size, other pieces: an id would mean different subwords in the two models
    lines = (copy / "data" / "train.en").read_text(encoding="utf-8").upper().splitlines()
    Vocabulary.train({"en": lines, "fr": lines}, size=300).save(copy / "spm.model")
    refused = unmt(
        "--checkpoints-dir", str(checkpoints), "translate", "--checkpoint", name, "--checkpoint", str(copy), stdin=text
    )
    assert refused.returncode != 0 and refused.stdout == b""
    assert b"different subword models" in refused.stderr and b"Traceback" not in refused.stderr
    word_by_word = unmt(
        "--checkpoints-dir", str(checkpoints), "translate", "--word-by-word", "--checkpoint", name, "--checkpoint",
        name, stdin=text
    )
    assert word_by_word.returncode != 0 and b"one --checkpoint" in word_by_word.stderr


def test_an_ensemble_needs_two_models_of_one_vocabulary():
    with pytest.raises(ValueError, match="at least two"):
        Ensemble([model(0, 32)])
    with pytest.raises(ValueError, match="one vocabulary"):
        Ensemble([model(0, 32), Transformer(TransformerConfig(vocab_size=41, d_model=32, n_heads=4))])


def test_benchmark_scores_members_and_their_ensemble(tiny_run, tmp_path):
    checkpoints, name = tiny_run
    copy = tmp_path / "copy"
    shutil.copytree(checkpoints / name, copy)
    out = tmp_path / "ensemble.json"
    command = [
        sys.executable, "benchmarks/ensemble.py", "--run", str(checkpoints / name), "--run", str(copy), "--data",
        str(copy / "data"), "--out", str(out)
    ]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 0, finished.stderr
    result = json.loads(out.read_text())
    assert len(result["members"]) == 2 and len(result["ensembles"]) == 1 and result["machine"]
    ensemble = result["ensembles"][0]
    for direction in ("en-fr", "fr-en"):
        # a run and its copy are one model twice: the ensemble translates exactly as each of them does
        assert (
            ensemble[direction]["bleu"]
            == result["members"][0][direction]["bleu"]
            == result["members"][1][direction]["bleu"]
        )
        assert ensemble["summary"][direction]["gain_over_best_member"] == 0
    assert ensemble["round_trip"] == result["members"][0]["round_trip"] and 0 <= ensemble["round_trip"] <= 100
    alone = subprocess.run(command[:4] + command[6:], capture_output=True, text=True, timeout=600)
    assert alone.returncode != 0 and "at least two" in alone.stderr and "Traceback" not in alone.stderr
