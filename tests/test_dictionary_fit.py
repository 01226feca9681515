"""A dictionary of the wrong language pair is caught by the two monolingual corpora: columns swapped or another
pair altogether are refused in one sentence, a target column of another language is warned about."""
import logging

import pytest

from tests.conftest import TINY
from tests.test_cli import unmt
from unmt.data.toy import NOUNS, generate_toy_corpus, gold_lexicon
from unmt.errors import DataError
from unmt.lexicon.dictionary_fit import check_dictionary_fit, dictionary_fit
from unmt.lexicon.evaluation import inverted_dictionary


@pytest.fixture(scope="module")
def corpora():
    corpus = generate_toy_corpus(n_train=2000, n_valid=1, n_test=1, seed=4)
    return corpus.train_en, corpus.train_fr


def fit_of(dictionary: dict[str, set[str]], corpora):
    return dictionary_fit(dictionary, {t for targets in dictionary.values() for t in targets}, *corpora)


def test_the_right_dictionary_passes_silently(corpora, caplog):
    fit = fit_of(gold_lexicon(), corpora)
    assert fit.source > 0.3 and fit.target > 0.3 and fit.source_crosswise < 0.1 and fit.target_crosswise < 0.1
    with caplog.at_level(logging.WARNING, logger="unmt"):
        check_dictionary_fit(fit, "en-fr.txt", "en", "fr")
    assert not caplog.records


def test_swapped_columns_are_refused(corpora):
    fit = fit_of(inverted_dictionary(gold_lexicon()), corpora)
    with pytest.raises(DataError, match=r"fr-en\.txt reads like a fr-en dictionary .* swap its two columns"):
        check_dictionary_fit(fit, "fr-en.txt", "en", "fr")


def test_a_dictionary_of_another_pair_is_refused(corpora):
    german_czech = {"Hund": {"pes"}, "Katze": {"kočka"}, "Auto": {"auto"}, "rot": {"červený"}, "sieht": {"vidí"}}
    with pytest.raises(DataError, match="matches neither corpus .* is it a en-fr dictionary"):
        check_dictionary_fit(fit_of(german_czech, corpora), "de-cs.txt", "en", "fr")


def test_a_target_column_of_another_language_is_warned_about_in_one_sentence(corpora, caplog):
    invented = {n[0]: {n[2] + "X"} for n in NOUNS}  # English words, translations no French text holds
    with caplog.at_level(logging.WARNING, logger="unmt"):
        check_dictionary_fit(fit_of(invented, corpora), "odd.txt", "en", "fr")
    assert len(caplog.records) == 1 and "is its second column fr words?" in caplog.records[0].getMessage()


@pytest.mark.slow
def test_unmt_train_refuses_a_swapped_dictionary_in_one_sentence(tmp_path):
    dictionary = tmp_path / "fr-en.txt"
    dictionary.write_text("".join(f"{n[2]} {n[0]}\n{n[3]} {n[1]}\n" for n in NOUNS), encoding="utf-8")
    result = unmt(
        "--checkpoints-dir", str(tmp_path), "train", "--src", "en", "--tgt", "fr", "--run", "r", "--max-steps", "3",
        *TINY, "--set", "runtime.threads=1", "--set", f"back_translation.dictionary={dictionary}"
    )
    errors = [line for line in result.stderr.decode().splitlines() if "error" in line]
    assert result.returncode == 2 and len(errors) == 1 and "reads like a fr-en dictionary" in errors[0]
    assert "Traceback" not in result.stderr.decode()
