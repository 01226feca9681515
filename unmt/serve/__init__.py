"""`unmt serve`: trained runs behind LibreTranslate's HTTP API, with dynamic batching, limits and a web page.

    service.py    the loaded runs: which directions exist, their translators, names and scores
    detect.py     `source: auto` from what a run already knows (its per-language output vocabularies)
    batcher.py    gathers concurrent requests' lines into shared batches, fairly
    requests.py   reading and checking a request (limits, content types, fields) into one TranslateRequest
    metrics.py    counters and histograms in Prometheus' text format
    app.py        the Starlette application: routes, error answers, the page
    server.py     uvicorn around the app, with a clean exit on SIGTERM and SIGINT
"""
