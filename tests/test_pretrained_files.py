"""Lample et al.'s setting from files made elsewhere: aligned vector files start the subword embeddings, a MUSE
dictionary (or the vectors' nearest neighbours) is the first back-translations' lexicon, and a malformed file
stops `unmt train` in one sentence naming the file and line, leaving no run folder behind."""
import json

import numpy as np
import pytest
import torch

from tests.conftest import TINY
from tests.test_cli import unmt
from unmt.data.toy import NOUNS, generate_toy_corpus, gold_lexicon
from unmt.data.vocab import Vocabulary
from unmt.lexicon.embeddings import WordEmbeddings, normalize
from unmt.lexicon.evaluation import write_dictionary
from unmt.lexicon.pretrained import (
    choose_translations,
    lexicon_from_vectors,
    subword_table_from_vectors,
    translation_lists,
)
from unmt.lexicon.vectors_io import read_vectors


def shared_space(words_by_language: dict[str, list[str]], pairs: list[tuple[str, str]], dim: int, seed: int = 0):
    """Vector files of two languages in one space: a translation pair shares a random point, plus a little noise."""
    rng = np.random.default_rng(seed)
    points = {}
    for source, target in pairs:
        points[source] = points[target] = rng.normal(size=dim)
    spaces = {}
    for lang, words in words_by_language.items():
        vectors = np.array([points.get(w, rng.normal(size=dim)) + 0.1 * rng.normal(size=dim) for w in words])
        spaces[lang] = WordEmbeddings(list(words), vectors, np.arange(len(words), 0, -1).astype(float))
    return spaces


@pytest.fixture(scope="module")
def toy_vocab():
    corpus = generate_toy_corpus(n_train=3000, n_valid=1, n_test=1, seed=3)
    vocab = Vocabulary.train({"en": iter(corpus.train_en), "fr": iter(corpus.train_fr)}, 400, "unigram")
    return corpus, vocab


@pytest.mark.parametrize("width", [48, 16])  # wider files are projected, narrower ones padded
def test_vector_files_put_translations_together_in_the_subword_table(toy_vocab, width):
    corpus, vocab = toy_vocab
    pairs = [(n[0], n[2]) for n in NOUNS] + [(n[1], n[3]) for n in NOUNS]
    words = {"en": sorted({w for line in corpus.train_en for w in line.split()}),
             "fr": sorted({w for line in corpus.train_fr for w in line.split()})}
    table, found = subword_table_from_vectors(vocab, shared_space(words, pairs, width), dim=32)
    assert table.shape == (len(vocab), 32)
    ids = lambda word: vocab.sp.piece_to_id("▁" + word)  # noqa: E731
    usable = [(ids(a), ids(b)) for a, b in pairs if ids(a) != ids(b) and found[ids(a)] and found[ids(b)]]
    assert len(usable) >= 10
    matched = np.mean([float(table[a] @ table[b]) for a, b in usable])
    shuffled = np.mean([float(table[a] @ table[b]) for (a, _), (_, b) in zip(usable, usable[1:] + usable[:1])])
    assert matched > shuffled + 0.3
    assert not found[list(vocab.lang_ids.values())].any()  # language tags keep the model's own embeddings
    assert torch.allclose(table[found].norm(dim=1), torch.ones(int(found.sum())), atol=1e-5)


def test_lexicon_from_vectors_finds_translations_among_corpus_words():
    pairs = [(f"w{i}", f"m{i}") for i in range(60)]
    spaces = shared_space({"en": [a for a, _ in pairs] + ["only"], "fr": [b for _, b in pairs]}, pairs, dim=24)
    corpora = {"en": [" ".join(a for a, _ in pairs[:40]) + " Only"], "fr": [" ".join(b for _, b in pairs)]}
    lexicon = lexicon_from_vectors(spaces, corpora)
    assert lexicon["fr"]["w3"] == "m3" and sum(lexicon["fr"][a] == b for a, b in pairs[:40]) >= 36
    assert set(lexicon["fr"]) == {a for a, _ in pairs[:40]} | {"Only"}  # corpus words, found in lower case too
    assert sum(lexicon["en"][b] == a for a, b in pairs[:40]) >= 36


def test_a_dictionary_word_takes_its_first_or_its_most_used_translation():
    lists = translation_lists(
        [("dog", "hák"), ("dog", "pes"), ("dog", "hák"), ("cat", "kočka"), ("red", "rudý"), ("red", "červený")]
    )
    assert lists == {"dog": ["hák", "pes"], "cat": ["kočka"], "red": ["rudý", "červený"]}
    assert choose_translations(lists, "first") == {"dog": "hák", "cat": "kočka", "red": "rudý"}
    czech = ["Pes běží .", "pes a kočka", "hák visí", "pes spí"]  # no red at all: the file's order decides
    assert choose_translations(lists, "frequency", czech) == {"dog": "pes", "cat": "kočka", "red": "rudý"}


@pytest.fixture(scope="module")
def aligned_files(tmp_path_factory):
    """`unmt embed` on each toy corpus, `unmt align` into one space, and the toy's gold dictionary in MUSE format."""
    tmp = tmp_path_factory.mktemp("pretrained")
    corpus = generate_toy_corpus(n_train=3000, n_valid=1, n_test=1, seed=6)
    for lang, lines in (("en", corpus.train_en), ("fr", corpus.train_fr)):
        (tmp / f"train.{lang}").write_text("\n".join(lines) + "\n")
        result = unmt("embed", "--input", str(tmp / f"train.{lang}"), "--output", str(tmp / f"{lang}.vec"),
                      "--dim", "20", "--epochs", "3", "--threads", "1")
        assert result.returncode == 0, result.stderr.decode()
    result = unmt(
        "align", "--src-emb", str(tmp / "en.vec"), "--tgt-emb", str(tmp / "fr.vec"), "--src", "en", "--tgt", "fr",
        "--method", "identical", "--output", str(tmp / "aligned"), "--threads", "1"
    )
    assert result.returncode == 0, result.stderr.decode()
    write_dictionary(tmp / "en-fr.txt", gold_lexicon())
    return tmp


def train(checkpoints, run, *settings):
    return unmt("--checkpoints-dir", str(checkpoints), "train", "--src", "en", "--tgt", "fr", "--run", run,
                "--max-steps", "3", *TINY, "--set", "runtime.threads=1", *settings)


@pytest.mark.slow
def test_training_starts_from_aligned_files_and_a_dictionary(aligned_files, tmp_path):
    aligned = aligned_files / "aligned"
    original, written = read_vectors(aligned_files / "en.vec"), read_vectors(aligned / "en.vec")
    W = np.load(aligned / "mapping.npy")
    assert written.words == original.words  # `unmt align` wrote the source vectors mapped into the target space
    assert np.allclose(written.vectors, normalize(original.vectors) @ W.T, atol=1e-4)
    result = train(
        tmp_path, "r", "--set", f"pretraining.src_vectors={aligned / 'en.vec'}", "--set",
        f"pretraining.tgt_vectors={aligned / 'fr.vec'}", "--set",
        f"back_translation.dictionary={aligned_files / 'en-fr.txt'}", "--set",
        "back_translation.dictionary_order=first", "--set", "back_translation.dictionary_fill=false"
    )
    assert result.returncode == 0, result.stderr.decode()
    run = tmp_path / "r"
    lexicon = json.loads((run / "lexicon.json").read_text())
    gold = gold_lexicon()
    assert lexicon["fr"] == {source: min(targets) for source, targets in gold.items()}  # the file's first entries
    assert lexicon["en"]["chien"] == "dog"  # the reverse direction, inverted
    cached = torch.load(run / "aligned_embeddings.pt", weights_only=True)
    assert cached["key"]["method"] == "files" and int(cached["found"].sum()) > 50
    assert "from the vector files" in result.stderr.decode()


@pytest.mark.slow
def test_first_back_translations_go_through_the_dictionary(aligned_files, tmp_path, monkeypatch):
    """In-process, so that every word-by-word back-translation of the first steps can be watched."""
    import unmt.translation.starting_points as starting_points
    from unmt.cli import main

    seen = []
    real = starting_points.translate_word_by_word
    monkeypatch.setattr(starting_points, "translate_word_by_word",
                        lambda line, lexicon: seen.append((line, real(line, lexicon), lexicon)) or seen[-1][1])
    dictionary = aligned_files / "odd.txt"
    dictionary.write_text("".join(f"{n[0]} {n[2]}X\n" for n in NOUNS))  # translations no corpus holds
    code = main(["--quiet", "--checkpoints-dir", str(tmp_path), "train", "--src", "en", "--tgt", "fr", "--run", "r",
                 "--max-steps", "3", *TINY, "--set", "losses.bt=1", "--set", "runtime.threads=1",
                 "--set", f"back_translation.dictionary={dictionary}"])
    assert code == 0 and seen
    into_french = [(line, out) for line, out, lexicon in seen if "dog" in lexicon]
    assert into_french and all(lexicon in ({n[0]: n[2] + "X" for n in NOUNS}, {n[2] + "X": n[0] for n in NOUNS})
                               for _, _, lexicon in seen)
    with_noun = [(line, out) for line, out in into_french if " dog " in f" {line} "]
    assert all("chienX" in out for _, out in with_noun)


@pytest.mark.slow
def test_one_key_gives_the_dictionary_setting(tmp_path):
    """back_translation.dictionary alone: the pair default seeds the embeddings' alignment with the dictionary, and
    the word-by-word lexicon keeps every dictionary entry and translates more words than the dictionary holds."""
    nouns = {n[0]: {n[2]} for n in NOUNS} | {n[1]: {n[3]} for n in NOUNS}
    write_dictionary(tmp_path / "nouns.txt", nouns)
    result = train(tmp_path, "r", "--set", "pretraining.init_embeddings=pair",
                   "--set", f"back_translation.dictionary={tmp_path / 'nouns.txt'}")
    assert result.returncode == 0, result.stderr.decode()
    run = tmp_path / "r"
    lexicon = json.loads((run / "lexicon.json").read_text())
    assert all(lexicon["fr"][word] == min(targets) for word, targets in nouns.items())
    assert len(lexicon["fr"]) > len(nouns) and len(lexicon["en"]) > len(nouns)
    assert torch.load(run / "aligned_embeddings.pt", weights_only=True)["key"]["method"] == "dictionary"
    assert "init_embeddings=dictionary" in result.stderr.decode()


@pytest.mark.parametrize("content, where", [
    ("3 20\nthe 0.1\n", "bad.vec:2"),  # too few numbers
    ("2 3\nthe 0.1 0.2 x\n", "bad.vec:2"),  # not a number
    ("the 0.1 0.2\n", "bad.vec:1"),  # no header
])
def test_malformed_vector_file_is_one_sentence_and_leaves_no_run(aligned_files, tmp_path, content, where):
    (tmp_path / "bad.vec").write_text(content)
    result = train(tmp_path, "r", "--set", f"pretraining.src_vectors={tmp_path / 'bad.vec'}",
                   "--set", f"pretraining.tgt_vectors={aligned_files / 'aligned' / 'fr.vec'}")
    assert result.returncode != 0
    errors = [line for line in result.stderr.decode().splitlines() if "error" in line]
    assert len(errors) == 1 and where in errors[0] and "Traceback" not in result.stderr.decode()
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize("content, where", [
    (b"dog chien\ncat chat extra\n", "bad.txt:2"),
    (b"dog chien\n\xff\xfe cat\n", "not UTF-8"),
    (b"\n\n", "no 'source target' pairs"),
])
def test_malformed_dictionary_is_one_sentence_and_leaves_no_run(tmp_path, content, where):
    (tmp_path / "bad.txt").write_bytes(content)
    result = train(tmp_path, "r", "--set", f"back_translation.dictionary={tmp_path / 'bad.txt'}")
    assert result.returncode != 0
    errors = [line for line in result.stderr.decode().splitlines() if "error" in line]
    assert len(errors) == 1 and where in errors[0] and "Traceback" not in result.stderr.decode()
    assert not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    "settings, message",
    [
        (["pretraining.src_vectors=a.vec"], "come together"),
        (
            ["pretraining.src_vectors=a.vec", "pretraining.tgt_vectors=b.vec", "pretraining.init_embeddings=random"],
            "choose one",
        ),
        (["back_translation.lexicon_method=vectors"], "give them"),
        (["back_translation.reverse_dictionary=d.txt"], "needs back_translation.dictionary"),
        (["back_translation.dictionary=d.txt", "back_translation.word_by_word_steps=0"], "word_by_word_steps > 0"),
    ],
)
def test_settings_that_contradict_each_other_are_refused(tmp_path, settings, message):
    result = train(tmp_path, "r", *[arg for s in settings for arg in ("--set", s)])
    assert result.returncode != 0 and message in result.stderr.decode()
    assert not (tmp_path / "r").exists()
