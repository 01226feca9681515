"""`unmt serve` under load on loopback, against `unmt translate` on the same lines and one request at a time.

For each engine (torch, and CTranslate2 when --ct2 names an exported folder), in one run so the ratios share the
machine's conditions:
  - ceiling: `unmt translate`'s own code (translate_stream) over the test lines in this process, sentences/s (the
    median of passes before, between and after the load phases);
  - serial: one client, one line per request, for --serial-seconds;
  - loaded: --clients concurrent clients, one line per request, for --seconds, --repeat times, each between two
    measurements of the ceiling: sentences/s, p50/p95/p99 latency, errors, the server's and the clients' CPU time
    per request, and the server's RSS after a warm-up and at the end; the median repetition is reported;
  - curve (--curve): sentences/s and latency for other client counts.
Then, on the torch server: the libretranslatepy client, one request per line, against `unmt translate` line for
line on --fidelity-lines test lines in each direction, and `source: auto` accuracy on the test lines of both sides.

    python benchmarks/serve_load.py --checkpoint RUN [--ct2 EXPORTED_DIR] [--clients 32 --seconds 60]
"""
from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from report import timestamped, write_report  # noqa: E402
from tests.serve_server import start_server  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat's utime and stime)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def load(url: str, lines: list[str], clients: int, seconds: float, src: str, tgt: str) -> dict:
    """`clients` concurrent clients, each sending one line per request on its own keep-alive connection, for
    `seconds`. They are coroutines on one asyncio loop speaking HTTP/1.1 themselves, not threads with a full HTTP
    client: on a machine of few cores the load generator competes with the server for CPU (32 threads of
    http.client took 0.15-0.20 ms of CPU per request here, these coroutines 0.05; docs/serve.md)."""
    return asyncio.run(_load(url, lines, clients, seconds, src, tgt))


async def _load(url: str, lines: list[str], clients: int, seconds: float, src: str, tgt: str) -> dict:
    host, port = url.removeprefix("http://").split(":")
    latencies: list[float] = []
    errors: list[str] = []
    stop_at = time.monotonic() + seconds
    bodies = [json.dumps({"q": line, "source": src, "target": tgt}).encode() for line in lines]
    requests = [
        b"POST /translate HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (host.encode(), len(body), body)
        for body in bodies
    ]

    async def client(index: int) -> None:
        reader, writer = await asyncio.open_connection(host, int(port))
        k = index
        while time.monotonic() < stop_at:
            request = requests[k % len(requests)]
            k += clients
            started = time.monotonic()
            try:
                writer.write(request)
                status, payload = await _response(reader)
                ok = status == 200 and "translatedText" in json.loads(payload)
            except (OSError, ValueError, asyncio.IncompleteReadError) as error:
                ok, payload = False, repr(error).encode()
                writer.close()
                reader, writer = await asyncio.open_connection(host, int(port))
            (
                latencies.append(time.monotonic() - started)
                if ok
                else errors.append(payload[:200].decode(errors="replace"))
            )
        writer.close()

    started = time.monotonic()
    cpu = time.process_time()
    await asyncio.gather(*(client(i) for i in range(clients)))
    elapsed = time.monotonic() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [float("nan")] * 99
    return {
        "clients": clients,
        "seconds": round(elapsed, 2),
        "sentences": len(latencies),
        "sentences_per_s": round(len(latencies) / elapsed, 2),
        "errors": len(errors),
        "first_errors": errors[:3],
        "p50_ms": round(cuts[49] * 1000, 1),
        "p95_ms": round(cuts[94] * 1000, 1),
        "p99_ms": round(cuts[98] * 1000, 1),
        "client_cpu_ms_per_request": round((time.process_time() - cpu) * 1000 / max(len(latencies), 1), 3),
    }


async def _response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    """(status, body) of one HTTP/1.1 response with a Content-Length, as uvicorn sends them."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(
        int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    return status, await reader.readexactly(length)


def load_engine(args, checkpoint: str, engine: str):
    if engine == "ctranslate2":
        from unmt.export.ct2_translator import CTranslate2Translator

        return CTranslate2Translator(Path(checkpoint))
    from unmt.checkpoint import find_run
    from unmt.translation.model_io import load_translator

    return load_translator(find_run(args.checkpoints_dir, checkpoint))[0]


def ceiling_rates(translator, lines: list[str], tgt: str, passes: int = 5) -> list[float]:
    """`unmt translate`'s code path (translate_stream, batch 64) on the same lines in this process, sentences/s."""
    from unmt.translation.streaming import translate_stream

    data = "".join(f"{line}\n" for line in lines).encode()
    rates = []
    for _ in range(passes):
        started = time.monotonic()
        translate_stream(translator, io.BytesIO(data), io.StringIO(), tgt)
        rates.append(len(lines) / (time.monotonic() - started))
    return rates


def fastest_torch_threads(translator, lines: list[str], tgt: str) -> dict:
    """torch's thread count under which `unmt translate`'s code is fastest here, set for the rest of the run, and
    each count's rate: on a busy machine two OpenMP threads can decode many times slower than one (they wait for
    each other), and the ceiling is the faster of the two, not the one torch picks."""
    import torch

    rates = {}
    for threads in sorted({1, torch.get_num_threads()}, reverse=True):
        torch.set_num_threads(threads)
        rates[threads] = round(statistics.median(ceiling_rates(translator, lines, tgt, 3)), 2)
    best = max(rates, key=rates.get)
    torch.set_num_threads(best)
    return {"threads": best, "sentences_per_s_by_threads": rates}


def engine_run(args, engine: str, checkpoint: str, lines: list[str]) -> dict:
    """The ceiling is measured before, between and after the load phases and its median kept: on a machine shared
    with other work the load changes by the minute, and one measurement would catch one moment of it."""
    options = ["--engine", engine] if engine == "ctranslate2" else []
    translator = load_engine(args, checkpoint, engine)
    result: dict = {}
    if engine == "torch":
        result["ceiling_threads"] = fastest_torch_threads(translator, lines, "fr")
    rates = ceiling_rates(translator, lines, "fr")
    process, url = start_server(args.checkpoints_dir, checkpoint, *options)
    try:
        result["serial"] = load(url, lines, 1, args.serial_seconds, "en", "fr")
        rates += ceiling_rates(translator, lines, "fr")
        load(url, lines, args.clients, 3, "en", "fr")  # warm-up: the allocator reaches its working size
        rss_before = rss_kib(process.pid)
        repetitions = []
        for _ in range(args.repeat):  # each load phase between two measurements of the ceiling
            cpu_before = cpu_seconds(process.pid)
            loaded = load(url, lines, args.clients, args.seconds, "en", "fr")
            loaded["server_cpu_ms_per_request"] = round(
                (cpu_seconds(process.pid) - cpu_before) * 1000 / max(loaded["sentences"], 1), 3)
            around = ceiling_rates(translator, lines, "fr", 2)
            loaded["ratio_to_ceiling"] = round(loaded["sentences_per_s"] / statistics.median(rates[-2:] + around), 3)
            rates += around
            repetitions.append(loaded)
        rss_after = rss_kib(process.pid)
        result["loaded"] = sorted(repetitions, key=lambda r: r["ratio_to_ceiling"])[len(repetitions) // 2]
        result["repetitions"] = repetitions
        result["curve"] = {clients: load(url, lines, clients, args.curve_seconds, "en", "fr")
                           for clients in args.curve}
        rates += ceiling_rates(translator, lines, "fr", 2)
        result["rss_mib"] = {"before": round(rss_before / 1024, 1), "after": round(rss_after / 1024, 1),
                             "growth": round(rss_after / rss_before - 1, 4)}
        if engine == "torch" and args.fidelity_lines:
            result["fidelity"] = fidelity(args, url, checkpoint)
    finally:
        process.terminate()
        result["exit_code"] = process.wait(60)
    result["ceiling"] = {"sentences": len(lines), "sentences_per_s": round(statistics.median(rates), 2),
                         "min": round(min(rates), 2), "max": round(max(rates), 2), "passes": len(rates)}
    loaded, serial = result["loaded"], result["serial"]
    result["ratios"] = {"loaded_over_serial": round(loaded["sentences_per_s"] / serial["sentences_per_s"], 2),
                        # the median repetition's rate over the ceiling measured just before and after it
                        "loaded_over_unmt_translate": loaded["ratio_to_ceiling"],
                        "loaded_over_unmt_translate_all": [r["ratio_to_ceiling"] for r in result["repetitions"]]}
    return result


def fidelity(args, url: str, checkpoint: str) -> dict:
    """libretranslatepy, one request per line from 8 threads, against `unmt translate` on the same lines."""
    import libretranslatepy

    from unmt.checkpoint import find_run
    from unmt.translation.model_io import load_translator
    from unmt.translation.streaming import translate_stream

    run_dir = find_run(args.checkpoints_dir, checkpoint)
    translator, info = load_translator(run_dir)
    client = libretranslatepy.LibreTranslateAPI(url + "/")
    out: dict = {}
    test = {lang: test_lines(run_dir, lang, args.fidelity_lines) for lang in info["languages"]}
    for src, tgt in (info["languages"], info["languages"][::-1]):
        sink = io.StringIO()
        translate_stream(translator, io.BytesIO("".join(f"{line}\n" for line in test[src]).encode()), sink, tgt)
        expected = sink.getvalue().splitlines()
        with ThreadPoolExecutor(8) as pool:
            served = list(pool.map(lambda line, src=src, tgt=tgt: client.translate(line, src, tgt), test[src]))
        out[f"{src}-{tgt}"] = {"lines": len(expected), "identical": sum(a == b for a, b in zip(served, expected))}
        with ThreadPoolExecutor(8) as pool:
            detected = list(pool.map(lambda line: client.detect(line)[0]["language"], test[src]))
        out[f"detect_{src}"] = {"lines": len(detected), "correct": sum(lang == src for lang in detected)}
    return out


def test_lines(run_dir: Path, lang: str, count: int) -> list[str]:
    from unmt.checkpoint import load_json

    data = Path(load_json(run_dir / "run.json")["data"])
    return [line for line in (data / f"test.{lang}").read_text(encoding="utf-8").splitlines() if line.strip()][:count]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="the run to serve (torch engine)")
    parser.add_argument("--ct2", help="the same run exported by `unmt export RUN --format ctranslate2 DIR`")
    parser.add_argument("--checkpoints-dir", type=Path, default=Path("checkpoints"))
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--serial-seconds", type=float, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="load phases of --seconds each; the median is reported")
    parser.add_argument("--curve", type=lambda text: [int(n) for n in text.split(",") if n], default=[],
                        help="client counts to measure briefly too, e.g. 1,8,32,128")
    parser.add_argument("--curve-seconds", type=float, default=15)
    parser.add_argument("--lines", type=int, default=500, help="test lines the clients cycle through")
    parser.add_argument("--fidelity-lines", type=int, default=200, help="0 to skip the client and detection checks")
    parser.add_argument("--out", type=Path, default=timestamped("serve_load"))
    args = parser.parse_args()
    from unmt.checkpoint import find_run

    run_dir = find_run(args.checkpoints_dir, args.checkpoint)
    lines = test_lines(run_dir, "en", args.lines)
    results = {"run": run_dir.name, "clients": args.clients, "seconds": args.seconds,
               "lines": len(lines), "engines": {}}
    results["engines"]["torch"] = engine_run(args, "torch", args.checkpoint, lines)
    if args.ct2:
        results["engines"]["ctranslate2"] = engine_run(args, "ctranslate2", args.ct2, lines)
    write_report(args.out, results)
    print(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
