"""`unmt translate`'s I/O: any byte stream in, exactly one output line per input line, in bounded memory."""
from __future__ import annotations

import logging
from typing import BinaryIO, TextIO

from unmt.translation.translator import Translator

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


def translate_stream(
    translator: Translator,
    source: BinaryIO,
    sink: TextIO,
    tgt_lang: str,
    beam_size: int = 1,
    batch_size: int = 64,
    chunk_lines: int = 1000,
) -> int:
    """Translates `source` chunk by chunk, writing and flushing each chunk before reading the next, so memory
    stays bounded by the chunk and a long job's finished output is never held back. Returns the line count."""
    bad_lines: list[int] = []
    count = 0
    chunk: list[bytes] = []

    def flush_chunk():
        nonlocal count
        lines = decode_lines(chunk, count + 1, bad_lines)
        for line in translator.translate(lines, tgt_lang, beam_size, batch_size):
            sink.write(line.replace("\n", " ") + "\n")
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
        log.warning("%d input line(s) were not valid UTF-8; invalid bytes were replaced (lines %s)", len(bad_lines), shown)
    return count
