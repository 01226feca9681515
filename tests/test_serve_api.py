"""`unmt serve` over real HTTP: the LibreTranslate API and its clients, /metrics, the page, and hostile requests,
each refused with its status and one sentence while the server goes on answering good requests."""
import http.client
import io
import json
import re
import socket
import sys
import time
import urllib.parse
import urllib.request

import pytest

from tests.serve_server import post_json, running_server
from unmt.cli import main

KEY = "test-key"
GOOD = {"q": "the cat sees a dog .", "source": "en", "target": "fr", "api_key": KEY}


@pytest.fixture(scope="module")
def server(tiny_run):
    checkpoints, run = tiny_run
    with running_server(checkpoints, run, "--api-key", KEY, "--max-chars", "2000", "--client-timeout", "1") as url:
        yield url


def unmt_translate(tiny_run, lines: list[str], src: str, tgt: str, monkeypatch, capsys) -> list[str]:
    """What `unmt translate` writes for these lines, run in this process."""
    checkpoints, run = tiny_run
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("".join(f"{line}\n" for line in lines).encode())))
    assert (
        main([
            "--quiet", "--checkpoints-dir", str(checkpoints), "translate", "--checkpoint", run, "--src", src,
            "--tgt", tgt
        ])
        == 0
    )
    return capsys.readouterr().out.splitlines()


def raw_request(url: str, method: str, path: str, body: bytes = b"", headers: dict | None = None) -> tuple[int, dict]:
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=30)
    connection.request(method, path, body, headers or {}, encode_chunked=not isinstance(body, bytes))
    response = connection.getresponse()
    status, text = response.status, response.read()
    connection.close()
    return status, json.loads(text)


def test_languages_lists_both_directions_of_the_run(server):
    with urllib.request.urlopen(server + "/languages") as response:
        languages = json.loads(response.read())
    assert languages == [{"code": "en", "name": "English", "targets": ["fr"]},
                         {"code": "fr", "name": "French", "targets": ["en"]}]


def test_a_string_and_a_list_of_strings_get_the_same_translations(server):
    status, single = post_json(server + "/translate", GOOD)
    assert status == 200 and isinstance(single["translatedText"], str) and single["translatedText"]
    status, listed = post_json(server + "/translate", {**GOOD, "q": [GOOD["q"], "", "a dog ."]})
    assert status == 200 and len(listed["translatedText"]) == 3
    assert listed["translatedText"][0] == single["translatedText"] and listed["translatedText"][1] == ""


def test_lines_are_translated_one_by_one_and_keep_their_breaks(server):
    first, second = "the cat sees a dog .", "a dog ."
    _, alone = post_json(server + "/translate", {**GOOD, "q": [first, second]})
    _, together = post_json(server + "/translate", {**GOOD, "q": f"{first}\n\n{second}"})
    assert together["translatedText"] == f"{alone['translatedText'][0]}\n\n{alone['translatedText'][1]}"


def test_libretranslatepy_returns_what_unmt_translate_gives_line_for_line(server, tiny_run, monkeypatch, capsys):
    """The lines go as one text, one request, split into lines by the server as `unmt translate` reads them."""
    libretranslatepy = pytest.importorskip("libretranslatepy")
    from unmt.data.toy import generate_toy_corpus

    client = libretranslatepy.LibreTranslateAPI(server + "/", api_key=KEY)
    assert {lang["code"] for lang in client.languages()} == {"en", "fr"}
    corpus = generate_toy_corpus(10, 10, 12, seed=7)
    for src, tgt in (("en", "fr"), ("fr", "en")):
        lines = getattr(corpus, f"test_{src}")
        expected = unmt_translate(tiny_run, lines, src, tgt, monkeypatch, capsys)
        assert client.translate("\n".join(lines), src, tgt).split("\n") == expected


def test_libretranslatepy_one_request_per_line_from_8_threads_gives_what_unmt_translate_gives(server, tiny_run,
                                                                                               monkeypatch, capsys):
    """Each line alone, in whatever dynamic batch the server makes of concurrent requests, equals its line of
    `unmt translate`'s batch of 64: this barely trained run's outputs often run to the length cap, which each
    sentence takes from its own source, never from its batch-mates."""
    libretranslatepy = pytest.importorskip("libretranslatepy")
    from concurrent.futures import ThreadPoolExecutor

    from unmt.data.toy import generate_toy_corpus

    client = libretranslatepy.LibreTranslateAPI(server + "/", api_key=KEY)
    corpus = generate_toy_corpus(10, 10, 40, seed=11)
    for src, tgt in (("en", "fr"), ("fr", "en")):
        lines = getattr(corpus, f"test_{src}")
        expected = unmt_translate(tiny_run, lines, src, tgt, monkeypatch, capsys)
        with ThreadPoolExecutor(8) as pool:
            got = list(pool.map(lambda line, src=src, tgt=tgt: client.translate(line, src, tgt), lines))
        assert [i for i, (a, b) in enumerate(zip(got, expected)) if a != b] == []


def test_deep_translator_libretranslate_client_works(server, tiny_run, monkeypatch, capsys):
    deep_translator = pytest.importorskip("deep_translator")
    translator = deep_translator.LibreTranslator(source="en", target="fr", api_key=KEY, custom_url=server + "/")
    line = "the dog sees a cat ."
    assert translator.translate(line) == unmt_translate(tiny_run, [line], "en", "fr", monkeypatch, capsys)[0]
    with pytest.raises(deep_translator.exceptions.AuthorizationException):
        deep_translator.LibreTranslator(source="en", target="fr", api_key="wrong", custom_url=server + "/").translate(
            line
        )


def test_auto_source_detects_the_language_and_answers_which(server):
    from unmt.data.toy import generate_toy_corpus

    corpus = generate_toy_corpus(5, 5, 5, seed=3)
    status, answer = post_json(
        server + "/translate", {**GOOD, "q": corpus.test_fr[0], "source": "auto", "target": "en"}
    )
    assert status == 200 and answer["detectedLanguage"]["language"] == "fr"
    status, same = post_json(server + "/translate", {**GOOD, "q": corpus.test_en[0], "source": "auto", "target": "en"})
    assert status == 200 and same["translatedText"] == corpus.test_en[0]  # already English: nothing to translate


def test_alternatives_are_the_beams_next_best_translations(server, tiny_run):
    from unmt.translation.model_io import load_translator

    status, answer = post_json(server + "/translate", {**GOOD, "alternatives": 2})
    assert status == 200 and len(answer["alternatives"]) == 2
    checkpoints, run = tiny_run
    translator, _ = load_translator(checkpoints / run)
    [ranked] = translator.translate_nbest([GOOD["q"]], "fr", nbest=3, beam_size=3)
    assert [answer["translatedText"], *answer["alternatives"]] == [text for text, _ in ranked]


def test_metrics_count_requests_errors_batches_and_queue(server):
    post_json(server + "/translate", GOOD)
    post_json(server + "/translate", {**GOOD, "target": "xx"})
    with urllib.request.urlopen(server + "/metrics") as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    counts = {line.split(" ")[0]: float(line.split(" ")[1]) for line in text.splitlines() if not line.startswith("#")}
    assert counts['unmt_requests_total{path="/translate",status="200"}'] >= 1
    assert counts['unmt_requests_total{path="/translate",status="400"}'] >= 1
    assert counts["unmt_request_errors_total"] >= 1
    assert counts["unmt_batch_sentences_count"] >= 1 and counts['unmt_request_seconds_bucket{le="+Inf"}'] >= 1
    assert counts["unmt_queue_sentences"] == 0


def test_the_page_loads_nothing_from_other_hosts(server):
    with urllib.request.urlopen(server + "/") as response:
        page = response.read().decode()
    assert '<textarea id="input"' in page
    for asset in ("/static/page.js", "/static/page.css"):
        assert asset in page
        with urllib.request.urlopen(server + asset) as response:
            assert response.status == 200 and "http" not in response.read().decode()
    assert "http" not in page


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}


def body(fields: dict) -> bytes:
    return json.dumps(fields).encode()


HOSTILE = {
    "malformed JSON": ("POST", "/translate", b'{"q": "a', JSON, 400, "not valid JSON"),
    "JSON that is not an object": ("POST", "/translate", b'["a"]', JSON, 400, "must be an object"),
    "a wrong content type": (
        "POST", "/translate", b"q=a", {"Content-Type": "text/plain"}, 415, "content type 'text/plain' is not accepted"
    ),
    "a multipart form": (
        "POST", "/translate", b"--x--", {"Content-Type": "multipart/form-data; boundary=x"}, 415,
        "multipart/form-data is not accepted"
    ),
    "an unknown target": (
        "POST", "/translate", body({**GOOD, "target": "xx"}), JSON, 400, "target language 'xx' is not served"
    ),
    "an unknown source": (
        "POST", "/translate", body({**GOOD, "source": "de"}), JSON, 400, "source language 'de' is not served"
    ),
    "a missing q": (
        "POST", "/translate", body({k: v for k, v in GOOD.items() if k != "q"}), JSON, 400,
        "'q' (the text to translate) is missing"
    ),
    "an empty q": ("POST", "/translate", body({**GOOD, "q": "  "}), JSON, 400, "'q' is empty"),
    "a number for q": (
        "POST", "/translate", body({**GOOD, "q": 42}), JSON, 400, "'q' must be a string or a non-empty list of strings"
    ),
    "a list with a non-string": (
        "POST", "/translate", body({**GOOD, "q": ["a", None]}), JSON, 400, "'q' must be a string or a non-empty list"
    ),
    "a missing target": (
        "POST", "/translate", body({k: v for k, v in GOOD.items() if k != "target"}), JSON, 400,
        "'target' (the language to translate into) is missing"
    ),
    "a non-string source": (
        "POST", "/translate", body({**GOOD, "source": ["en"]}), JSON, 400, "must be language codes given as strings"
    ),
    "invalid UTF-8": ("POST", "/translate", b'{"q": "\xff\xfe", "target": "fr"}', JSON, 400, "not valid UTF-8"),
    "an over-long body": ("POST", "/translate", b"q=" + b"a" * 70_000, FORM, 413, "longer than 65536 bytes"),
    "an over-long chunked body": (
        "POST", "/translate", iter([b"q=" + b"a" * 40_000, b"a" * 40_000]), {**FORM, "Transfer-Encoding": "chunked"},
        413, "longer than 65536 bytes"
    ),
    "too many characters": (
        "POST", "/translate", body({**GOOD, "q": "a " * 1001}), JSON, 413, "2002 characters; the limit is 2000"
    ),
    "too many lines": (
        "POST", "/translate", body({**GOOD, "q": "a\n" * 101}), JSON, 413, "101 lines; the limit is 100"
    ),
    "a bad alternatives count": (
        "POST", "/translate", body({**GOOD, "alternatives": -1}), JSON, 400, "'alternatives' must be a whole number"
    ),
    "a missing api key": (
        "POST", "/translate", body({k: v for k, v in GOOD.items() if k != "api_key"}), JSON, 403, "needs an 'api_key'"
    ),
    "a wrong api key": (
        "POST", "/translate", body({**GOOD, "api_key": "guess"}), JSON, 403, "a valid 'api_key' is required"
    ),
    "a GET of /translate": ("GET", "/translate", b"", {}, 405, "GET is not allowed on /translate"),
    "an unknown path": ("GET", "/admin", b"", {}, 404, "there is no /admin"),
    "a page file that does not exist": ("GET", "/static/..%2f..%2fapp.py", b"", {}, 404, "there is no"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_a_hostile_request_gets_its_status_and_one_sentence_and_the_server_goes_on(server, case):
    method, path, payload, headers, status, sentence = HOSTILE[case]
    got, answer = raw_request(server, method, path, payload, headers)
    assert (got, list(answer)) == (status, ["error"])
    assert sentence in answer["error"] and "Traceback" not in answer["error"] and "\n" not in answer["error"]
    assert post_json(server + "/translate", GOOD)[0] == 200


def whole_reply(connection: socket.socket) -> str:
    """An HTTP reply read to the end of its body: the headers and the body may come in separate segments."""
    data = b""
    while True:
        head, _, body = data.partition(b"\r\n\r\n")
        length = re.search(rb"content-length: *(\d+)", head, re.IGNORECASE) if _ else None
        if length is not None and len(body) >= int(length.group(1)):
            return data.decode()
        chunk = connection.recv(4096)
        if not chunk:  # closed by the server: what came is the reply
            return data.decode()
        data += chunk


def test_a_client_too_slow_to_send_its_body_gets_408_and_others_are_served_meanwhile(server):
    address = urllib.parse.urlsplit(server)
    with socket.create_connection((address.hostname, address.port), timeout=10) as slow:
        slow.sendall(
            b'POST /translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"q":'
        )
        started = time.monotonic()
        assert post_json(server + "/translate", GOOD)[0] == 200  # not held up by the stalled client
        reply = whole_reply(slow)
    assert reply.startswith("HTTP/1.1 408") and "did not arrive within 1 seconds" in reply
    assert time.monotonic() - started < 5
    assert post_json(server + "/translate", GOOD)[0] == 200
