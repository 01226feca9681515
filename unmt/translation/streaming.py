"""`unmt translate`'s I/O: any byte stream in, exactly one output line per input line, in bounded memory."""
from __future__ import annotations

import json
import logging
import time
from typing import BinaryIO, TextIO

from unmt.translation.decode_options import DecodeOptions
from unmt.translation.translator import Translation, Translator

log = logging.getLogger("unmt")


def decode_lines(raw_lines: list[bytes], first_line_number: int, bad_lines: list[int]) -> list[str]:
    """Bytes -> text: strips LF/CRLF, replaces invalid UTF-8 and records the 1-based numbers of such lines."""
    lines = []
    for offset, raw in enumerate(raw_lines):
        raw = raw.rstrip(b"\n").rstrip(b"\r")
        try:
            lines.append(raw.decode("utf-8"))
        except UnicodeDecodeError:
            bad_lines.append(first_line_number + offset)
            lines.append(raw.decode("utf-8", errors="replace"))
    return lines


class Throughput:
    """Sentences and output subwords translated, and the time taken: fairseq's closing line."""

    def __init__(self):
        self.sentences, self.tokens, self.started = 0, 0, time.perf_counter()

    def line(self) -> str:
        seconds = max(time.perf_counter() - self.started, 1e-9)
        return (f"translated {self.sentences:,} sentences ({self.tokens:,} tokens) in {seconds:.1f}s "
                f"({self.sentences / seconds:.2f} sentences/s, {self.tokens / seconds:.2f} tokens/s)")


def format_hypotheses(hypotheses: list[Translation], line_number: int, output_format: str) -> str:
    """The output lines of one input line (see decode_options.OUTPUT_FORMATS), newline-terminated."""
    def clean(text: str) -> str:
        return text.replace("\n", " ")

    if output_format == "text":
        return clean(hypotheses[0].text) + "\n"
    if output_format == "score":
        return f"{hypotheses[0].score:.6f}\t{clean(hypotheses[0].text)}\n"
    if output_format == "nbest":
        return "".join(f"{line_number}\t{h.score:.6f}\t{clean(h.text)}\n" for h in hypotheses)
    return json.dumps({"translations": [h.text for h in hypotheses], "scores": [round(h.score, 6) for h in hypotheses]},
                      ensure_ascii=False) + "\n"


def translate_stream(
    translator,
    source: BinaryIO,
    sink: TextIO,
    tgt_lang: str,
    beam_size: int = 1,
    batch_size: int | None = 64,
    chunk_lines: int = 1000,
    options: DecodeOptions | None = None,
    max_tokens: int | None = None,
    output_format: str = "text",
    throughput: Throughput | None = None,
) -> int:
    """Translates `source` chunk by chunk, writing and flushing each chunk before reading the next, so memory
    stays bounded by the chunk and a long job's finished output is never held back (chunk_lines=1 answers each
    line as soon as it is read). Returns the line count; `throughput`, if given, counts what was translated."""
    options = options or DecodeOptions(beam=beam_size)
    generator = translator.generator(options) if isinstance(translator, Translator) else None
    bad_lines: list[int] = []
    count = 0
    chunk: list[bytes] = []

    def flush_chunk():
        nonlocal count
        lines = decode_lines(chunk, count + 1, bad_lines)
        if isinstance(translator, Translator):
            found = translator.translate_hypotheses(lines, tgt_lang, options, batch_size, max_tokens, generator)
        else:  # a word-by-word lexicon: one unscored output a line
            found = [[Translation(text, 0.0, len(text.split()))] for text in translator.translate(lines, tgt_lang)]
        for offset, hypotheses in enumerate(found):
            sink.write(format_hypotheses(hypotheses, count + offset, output_format))
            if throughput is not None:
                throughput.sentences += 1
                throughput.tokens += hypotheses[0].tokens
        sink.flush()
        count += len(chunk)
        chunk.clear()

    for raw in source:
        chunk.append(raw)
        if len(chunk) >= chunk_lines:
            flush_chunk()
    if chunk:
        flush_chunk()
    if bad_lines:
        shown = ", ".join(map(str, bad_lines[:20])) + (" ..." if len(bad_lines) > 20 else "")
        log.warning(
            "%d input line(s) were not valid UTF-8; invalid bytes were replaced (lines %s)", len(bad_lines), shown
        )
    return count
