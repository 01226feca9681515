"""The Starlette application: LibreTranslate's routes, /health, /metrics, the page, and one JSON error sentence for
anything that goes wrong, never a traceback."""
from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from importlib.resources import files

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from unmt.serve.batcher import Batcher, QueueFull
from unmt.serve.metrics import Metrics
from unmt.serve.requests import Limits, RequestError, TranslateRequest, parse_fields, translate_request
from unmt.serve.service import Service

log = logging.getLogger("unmt")

PAGE_FILES = {"page.js": "text/javascript", "page.css": "text/css"}


def create_app(service: Service, limits: Limits | None = None, api_key: str | None = None,
               max_batch: int = 32, max_wait: float = 0.005) -> Starlette:
    limits = limits or Limits()
    metrics = Metrics()
    state: dict[str, Batcher] = {}
    page = files("unmt.serve").joinpath("static")

    @contextlib.asynccontextmanager
    async def lifespan(app):
        batcher = state["batcher"] = Batcher(service.decode, metrics, max_batch, max_wait, limits.max_queued_lines,
                                             service.decode_workers)
        worker = asyncio.create_task(batcher.run())
        yield
        batcher.close()  # the server has answered every request in flight by now
        await worker

    def answered(handler):
        """Times the route for /metrics and turns every failure into a JSON error."""
        async def route(request: Request) -> Response:
            started = time.monotonic()
            try:
                response = await handler(request)
            except RequestError as error:
                response = JSONResponse({"error": error.message}, error.status)
            except QueueFull:
                response = JSONResponse({"error": "the server has too many lines waiting; try again shortly"}, 503)
            except Exception:
                log.exception("%s %s failed", request.method, request.url.path)
                response = JSONResponse({"error": "the server failed on this request; its log says why"}, 500)
            metrics.request_done(request.url.path, response.status_code, time.monotonic() - started)
            return response
        return route

    def check_key(given: str | None) -> None:
        if api_key is not None and not hmac.compare_digest((given or "").encode(), api_key.encode()):
            raise RequestError(403, "a valid 'api_key' is required" if given else "this server needs an 'api_key'")

    async def translate(request: Request) -> Response:
        query = translate_request(await parse_fields(request, limits), limits)
        check_key(query.api_key)
        return JSONResponse(await _translate(query))

    async def _translate(query: TranslateRequest) -> dict:
        codes = {entry["code"] for entry in service.languages()}
        if query.target not in codes:
            raise RequestError(
                400, f"target language '{query.target}' is not served; this server has {', '.join(sorted(codes))}"
            )
        detected = [service.detect(text, query.target) for text in query.texts] if query.source == "auto" else None
        sources = [lang for lang, _ in detected] if detected else [query.source] * len(query.texts)
        for src in set(sources):
            if src not in codes:
                raise RequestError(
                    400, f"source language '{src}' is not served; this server has {', '.join(sorted(codes))}"
                )
            if src != query.target and (src, query.target) not in service.directions:
                raise RequestError(400, f"no served run translates {src} to {query.target}")
        outputs = await asyncio.gather(*(_translate_text(text, src, query) for text, src in zip(query.texts, sources)))
        answer: dict = {"translatedText": [text for text, _ in outputs]}
        if query.alternatives:
            answer["alternatives"] = [alternatives for _, alternatives in outputs]
        if detected:
            answer["detectedLanguage"] = [{"language": lang, "confidence": conf} for lang, conf in detected]
        if not query.as_list:
            answer = {key: value[0] for key, value in answer.items()}
        return answer

    async def _translate_text(text: str, src: str, query: TranslateRequest) -> tuple[str, list[str]]:
        """The translation of one `q` text, line by line as `unmt translate` does, and its alternatives."""
        lines = text.split("\n")
        if src == query.target:
            return text, []
        nbest = query.alternatives if service.has_alternatives(src, query.target) else 0
        todo = [i for i, line in enumerate(lines) if line.strip()]
        try:
            results = await asyncio.wait_for(
                state["batcher"].translate((src, query.target, nbest), [lines[i] for i in todo]), limits.request_seconds
            )
        except asyncio.TimeoutError:
            raise RequestError(503, f"the translation took longer than {limits.request_seconds:g} seconds; "
                                    "the server is busy: try again") from None
        metrics.sentences[f"{src}-{query.target}"] += len(todo)
        best = [""] * len(lines)
        ranked: list[list[str]] = [[] for _ in lines]
        for i, result in zip(todo, results):
            ranked[i] = [hypothesis for hypothesis, _ in result] if nbest else [result]
            best[i] = ranked[i][0] if ranked[i] else ""
        alternatives = []  # the k-th alternative of a text: each line's k-th best, or its best where it has fewer
        for k in range(1, nbest + 1):
            if not any(len(r) > k for r in ranked):
                break
            alternatives.append("\n".join(r[k] if len(r) > k else best[i] for i, r in enumerate(ranked)))
        return "\n".join(best), alternatives

    async def detect(request: Request) -> Response:
        fields = await parse_fields(request, limits)
        check_key(fields.get("api_key"))
        q = fields.get("q")
        if not isinstance(q, str) or not q.strip():
            raise RequestError(400, "'q' must be a non-empty string")
        candidates = [service.detect(q, target) for target in {tgt for _, tgt in service.directions}]
        lang, confidence = max(candidates, key=lambda found: found[1])
        return JSONResponse([{"language": lang, "confidence": confidence}])

    async def languages(request: Request) -> Response:
        return JSONResponse(service.languages())

    async def models(request: Request) -> Response:
        return JSONResponse(service.models())

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def metrics_text(request: Request) -> Response:
        return PlainTextResponse(metrics.text(), media_type="text/plain; version=0.0.4")

    async def index(request: Request) -> Response:
        return Response(page.joinpath("index.html").read_text(encoding="utf-8"), media_type="text/html")

    async def asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in PAGE_FILES:
            raise RequestError(404, f"there is no page file '{name}'")
        return Response(page.joinpath(name).read_text(encoding="utf-8"), media_type=PAGE_FILES[name])

    async def http_error(request: Request, error: HTTPException) -> Response:
        """Starlette's own refusals (unknown path, wrong method) as the same JSON sentence."""
        message = {
            404: f"there is no {request.url.path}; see GET /languages and POST /translate",
            405: f"{request.method} is not allowed on {request.url.path}",
        }.get(error.status_code, str(error.detail))
        metrics.request_done(request.url.path, error.status_code, 0.0)
        return JSONResponse({"error": message}, error.status_code, headers=getattr(error, "headers", None))

    routes = [
        Route("/", answered(index)),
        Route("/static/{name}", answered(asset)),
        Route("/translate", answered(translate), methods=["POST"]),
        Route("/detect", answered(detect), methods=["POST"]),
        Route("/languages", answered(languages), methods=["GET", "POST"]),
        Route("/models", answered(models)),
        Route("/health", answered(health)),
        Route("/metrics", answered(metrics_text)),
    ]
    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: http_error})
