"""The service's bookkeeping without HTTP: directions, refusals, n-best requests and `source: auto`, on fakes."""
import pytest
import torch

from unmt.errors import ConfigError
from unmt.serve.detect import LanguageDetector
from unmt.serve.service import ServedRun, Service

WORDS = ["the", "dog", "le", "chien", "paris", "runs", "court"]


class FakeVocab:
    def encode(self, text):
        return [WORDS.index(word) for word in text.split() if word in WORDS]


class FakeTranslator:
    """Translates by upper-casing; with translate_nbest, n variants per line, best first."""

    def __init__(self, masks=None):
        self.vocab, self.output_masks, self.calls = FakeVocab(), masks or {}, []

    def translate(self, lines, tgt, beam_size, batch_size):
        self.calls.append(("translate", tgt, beam_size))
        return [line.upper() for line in lines]


class NBestTranslator(FakeTranslator):
    def translate_nbest(self, lines, tgt, nbest, beam_size, batch_size=64):
        self.calls.append(("nbest", tgt, nbest, beam_size))
        return [[(f"{line.upper()}{k}", -float(k)) for k in range(nbest)] for line in lines]


def masks(en_words, fr_words):
    return {
        lang: torch.tensor([word in words for word in WORDS]) for lang, words in (("en", en_words), ("fr", fr_words))
    }


def test_every_run_serves_both_directions_and_languages_lists_them():
    service = Service([ServedRun("a", FakeTranslator(), ("en", "fr")), ServedRun("b", FakeTranslator(), ("en", "de"))])
    assert set(service.directions) == {("en", "fr"), ("fr", "en"), ("en", "de"), ("de", "en")}
    assert service.languages() == [{"code": "de", "name": "German", "targets": ["en"]},
                                   {"code": "en", "name": "English", "targets": ["de", "fr"]},
                                   {"code": "fr", "name": "French", "targets": ["en"]}]


def test_two_runs_of_the_same_direction_are_refused():
    with pytest.raises(ConfigError, match="runs a and b both translate fr-en: serve one of them"):
        Service([ServedRun("a", FakeTranslator(), ("en", "fr")), ServedRun("b", FakeTranslator(), ("fr", "en"))])


def test_alternatives_use_translate_nbest_with_a_wide_enough_beam_where_the_engine_has_it():
    plain, nbest = FakeTranslator(), NBestTranslator()
    service = Service([ServedRun("a", plain, ("en", "fr")), ServedRun("b", nbest, ("de", "it"))], beam_size=2)
    assert not service.has_alternatives("en", "fr") and service.has_alternatives("de", "it")
    assert service.decode(("en", "fr", 0), ["x"]) == ["X"] and plain.calls == [("translate", "fr", 2)]
    assert service.decode(("de", "it", 3), ["y"]) == [[("Y0", 0.0), ("Y1", -1.0), ("Y2", -2.0), ("Y3", -3.0)]]
    assert nbest.calls == [("nbest", "it", 4, 4)]


def test_detection_counts_the_subwords_only_one_language_uses():
    detector = LanguageDetector(
        FakeVocab(), masks({"the", "dog", "paris", "runs"}, {"le", "chien", "paris", "court"}), ("en", "fr")
    )
    assert detector.detect("le chien court") == ("fr", 100.0)
    assert detector.detect("the dog le") == ("en", 66.7)
    assert detector.detect("paris") == ("en", 0.0)  # a shared word only: no evidence, the first language
    assert LanguageDetector(FakeVocab(), {}, ("en", "fr")).detect("le chien") == ("en", 0.0)


def test_auto_picks_among_the_runs_that_translate_into_the_target():
    en_fr = FakeTranslator(masks({"the", "dog"}, {"le", "chien"}))
    service = Service([ServedRun("a", en_fr, ("en", "fr")), ServedRun("b", FakeTranslator(), ("de", "it"))])
    assert service.detect("le chien", "en") == ("fr", 100.0)
    assert service.detect("the dog", "fr") == ("en", 100.0)


def test_bad_serve_options_and_a_busy_port_get_one_sentence(tiny_run, capsys):
    import socket

    from unmt.cli import main

    pytest.importorskip("uvicorn")
    checkpoints, run = tiny_run
    serve = ["--checkpoints-dir", str(checkpoints), "serve", "--checkpoint", run]
    assert main([*serve, "--beam", "0"]) == 2
    assert "--beam must be at least 1" in capsys.readouterr().err
    with socket.create_server(("127.0.0.1", 0)) as busy:
        assert main([*serve, "--port", str(busy.getsockname()[1])]) == 2
    assert "cannot listen on 127.0.0.1" in capsys.readouterr().err
