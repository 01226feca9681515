"""Reading one request into a checked TranslateRequest, or a RequestError: a status and one sentence.

Every limit is checked before any work is queued, so a hostile request costs the server a parse, not a decode."""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from urllib.parse import parse_qsl

from starlette.requests import ClientDisconnect, Request


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 64 * 1024
    max_chars: int = 5000  # per request, all of `q` together
    max_lines: int = 100  # per request, all of `q` together
    body_seconds: float = 10.0  # a client must have sent its whole body by then
    request_seconds: float = 60.0  # a translation not answered by then is given up
    max_queued_lines: int = 4000  # beyond this many waiting lines, new requests are turned away (503)
    max_alternatives: int = 5


class RequestError(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True)
class TranslateRequest:
    texts: list[str]  # one per `q` given (a string is a list of one)
    as_list: bool  # `q` came as a list: answer with lists
    source: str  # a language code or "auto"
    target: str
    alternatives: int
    api_key: str | None


async def read_body(request: Request, limits: Limits) -> bytes:
    """The whole body, refused as soon as it is known to be too long or too slow to arrive."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limits.max_body_bytes):
        raise _too_long(limits)
    deadline = time.monotonic() + limits.body_seconds
    chunks, size = [], 0
    stream = request.stream().__aiter__()
    while True:
        try:
            chunk = await asyncio.wait_for(stream.__anext__(), max(deadline - time.monotonic(), 0.001))
        except StopAsyncIteration:
            return b"".join(chunks)
        except asyncio.TimeoutError:
            raise RequestError(408, f"the request body did not arrive within {limits.body_seconds:g} seconds") from None
        except ClientDisconnect:
            raise RequestError(400, "the client closed the connection before sending the whole body") from None
        size += len(chunk)
        if size > limits.max_body_bytes:
            raise _too_long(limits)
        chunks.append(chunk)


def _too_long(limits: Limits) -> RequestError:
    return RequestError(413, f"the request body is longer than {limits.max_body_bytes} bytes")


async def parse_fields(request: Request, limits: Limits) -> dict:
    """The request's fields from its JSON or form body, over its query string (some clients send only that)."""
    fields: dict = dict(request.query_params)
    body = await read_body(request, limits)
    if not body.strip():
        return fields
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestError(400, "the request body is not valid UTF-8") from None
    if content_type == "application/json":
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            raise RequestError(
                400, f"the request body is not valid JSON ({error.msg} at character {error.pos})"
            ) from None
        if not isinstance(parsed, dict):
            raise RequestError(
                400, 'the JSON body must be an object such as {"q": "...", "source": "en", "target": "fr"}'
            )
        fields.update(parsed)
    elif content_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(text, keep_blank_values=True)
        fields.update(pairs)
        texts = [value for key, value in pairs if key == "q"]
        if len(texts) > 1:  # a repeated `q` is a list of texts
            fields["q"] = texts
    elif content_type == "multipart/form-data":
        raise RequestError(415, "multipart/form-data is not accepted: send JSON or application/x-www-form-urlencoded")
    else:
        raise RequestError(415, f"content type '{content_type or 'none'}' is not accepted: send application/json or "
                                "application/x-www-form-urlencoded")
    return fields


def translate_request(fields: dict, limits: Limits) -> TranslateRequest:
    q = fields.get("q")
    if q is None:
        raise RequestError(400, "the field 'q' (the text to translate) is missing")
    as_list = isinstance(q, list)
    texts = q if as_list else [q]
    if not texts or not all(isinstance(text, str) for text in texts):
        raise RequestError(400, "'q' must be a string or a non-empty list of strings")
    if not any(text.strip() for text in texts):
        raise RequestError(400, "'q' is empty: give some text to translate")
    chars = sum(len(text) for text in texts)
    if chars > limits.max_chars:
        raise RequestError(413, f"'q' has {chars} characters; the limit is {limits.max_chars} per request")
    lines = sum(len(text.splitlines()) or 1 for text in texts)
    if lines > limits.max_lines:
        raise RequestError(413, f"'q' has {lines} lines; the limit is {limits.max_lines} per request")
    source, target = fields.get("source", "auto"), fields.get("target")
    if target is None:
        raise RequestError(400, "the field 'target' (the language to translate into) is missing")
    if not isinstance(source, str) or not isinstance(target, str):
        raise RequestError(400, "'source' and 'target' must be language codes given as strings")
    alternatives = fields.get("alternatives", 0)
    try:
        alternatives = int(alternatives)
        if isinstance(fields.get("alternatives"), (bool, float)) or not 0 <= alternatives <= limits.max_alternatives:
            raise ValueError
    except (TypeError, ValueError):
        raise RequestError(400, f"'alternatives' must be a whole number from 0 to {limits.max_alternatives}") from None
    api_key = fields.get("api_key")
    return TranslateRequest(texts, as_list, source.strip().lower(), target.strip().lower(), alternatives,
                            api_key if isinstance(api_key, str) else None)
