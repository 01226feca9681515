"""Starting `unmt serve` as a real process on a free loopback port, for the tests of the service."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("starlette")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(checkpoints, run: str, *options: str) -> tuple[subprocess.Popen, str]:
    """The server process and its base URL, once /health answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "unmt", "--checkpoints-dir", str(checkpoints), "serve", "--checkpoint", run,
         "--port", str(port), *options],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"unmt serve exited with {process.returncode}: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=1) as response:
                if response.status == 200:
                    return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    process.kill()
    raise AssertionError("unmt serve did not answer /health within 60 s")


@contextmanager
def running_server(checkpoints, run: str, *options: str):
    process, url = start_server(checkpoints, run, *options)
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()


def post_json(url: str, payload: dict, timeout: float = 30) -> tuple[int, dict]:
    request = urllib.request.Request(url, json.dumps(payload).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
