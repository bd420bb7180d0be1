"""Operations endpoints for monitoring: ``/readyz`` (can it work now?) and ``/metrics``.

``/healthz`` (liveness) stays in ``web.app``. ``/readyz`` answers 200 when every check passes and
503 otherwise, with each check in the JSON body (see :mod:`kopplingar.readiness`). ``/metrics`` is
the Prometheus text format, computed from the shared database (see :mod:`kopplingar.metrics`), so
any web process shows the work of every poller and worker.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from kopplingar import metrics, readiness
from kopplingar.bootstrap import App


def router(app: App) -> APIRouter:
    routes = APIRouter()
    registry = metrics.build_registry(app.db)

    @routes.get("/readyz")
    def readyz() -> JSONResponse:
        result = readiness.run_checks(app.settings, app.db)
        return JSONResponse(result, status_code=200 if result["status"] == "ready" else 503)

    @routes.get("/metrics")
    def metrics_endpoint() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return routes


def mount(web: FastAPI, app: App) -> None:
    web.include_router(router(app))
