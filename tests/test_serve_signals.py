"""SIGTERM (and SIGINT) while `unmt serve` is decoding: the requests in flight are answered, then it exits 0."""
import signal
import threading
import time
import urllib.error

import pytest

from tests.serve_server import post_json, start_server


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_under_load_answers_the_requests_in_flight_and_exits_0(tiny_run, stop):
    process, url = start_server(*tiny_run, "--max-batch", "4")
    lines = [
        f"the cat number {i} sees a dog near the big house with the old man and his small black dog ."
        for i in range(50)
    ]
    answers: list = []  # (status or error, when it came)

    def client():
        try:
            status = post_json(url + "/translate", {"q": lines, "source": "en", "target": "fr"}, timeout=120)[0]
        except (urllib.error.URLError, ConnectionError) as error:
            status = error
        answers.append((status, time.monotonic()))

    clients = [threading.Thread(target=client) for _ in range(8)]
    try:
        for thread in clients:
            thread.start()
        time.sleep(1.0)  # every request has reached the server, which is decoding their 400 lines 4 at a time
        signalled = time.monotonic()
        process.send_signal(stop)
        for thread in clients:
            thread.join(120)
        assert process.wait(60) == 0, process.stderr.read()
    finally:  # a failed check must not leave the server running
        if process.poll() is None:
            process.kill()
    assert [status for status, _ in answers] == [200] * 8
    assert any(when > signalled for _, when in answers), "the load finished before the signal: make it longer"
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        post_json(url + "/health", {}, timeout=5)
    assert "Traceback" not in process.stderr.read()
