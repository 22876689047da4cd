"""The dashboard's web application: read-only JSON endpoints over the reader, and the static page.

Endpoints (every one ``GET``; nothing writes or deletes):

==========================================  ==============================================
``/``                                       the page (``static/index.html``)
``/api/config``                             store, polling interval, parameters artifact
``/api/runs?series=A.csv:f,...&newest=N``   the runs table (``tables.runs_payload``); ``&known=V``: only
                                            what changed since version V (``deltas``)
``/api/curves?tags=&series=&fields=&x=``    curves of several runs (``curves.curves_json``)
``/api/fields?tags=T1,T2``                  the series and fields the runs have (``fields.series_fields``)
``/api/images?tags=T1,T2``                  the image series of several runs (``runs.images_across``)
``/api/run/{tag}``                          one run: record, parameters, artifacts
``/api/run/{tag}/artifact/{name}``          the artifact's bytes: text and pictures (``image/png``...)
                                            shown, anything else (or ``?download=1``) as a file
``/api/diff?a=&b=``                         parameters and patches of two runs compared
==========================================  ==============================================

Errors: a :class:`~lab_workbook_core.LabWorkbookError` is the request's or the store's
fault and answers JSON ``{"error": ...}``: 404 for something not found, 502 for the store
failing, 400 for the rest (a bad query parameter, a bad name). Anything else is a bug in the
dashboard: 500, its traceback logged (logger ``lab_workbook_ui._app``).
"""

from __future__ import annotations

from collections.abc import Sequence
import json
import logging
from pathlib import Path
import re
from urllib.parse import quote

from lab_workbook import ExperimentRepository
from lab_workbook_core import (
    InvalidValueError,
    LabWorkbookError,
    NotFoundError,
    StorageError,
    load_config,
    validate_name,
)
from lab_workbook_core.keys import picture_type
from lab_workbook_core.record import STATUSES
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from ._answers import FinishedAnswers
from ._curves import curves_json
from ._deltas import TableVersions
from ._fields import series_fields
from ._parameters import parameter_sources
from ._runs import artifact_bytes, diff_payload, images_across, is_text, run_payload
from ._security import LoopbackHosts, SecurityHeaders, TokenGate, is_loopback
from ._startup import RepositorySlot, read_ahead
from ._tables import RunsTables, parse_series_columns

__all__ = ["create_app", "render_page"]

STATIC = Path(__file__).parent / "static"
#: How many of the newest runs the page shows first (its first page), while every run is read.
PREVIEW_RUNS = 100
logger = logging.getLogger(__name__)


def render_page() -> str:
    """``static/index.html`` with the status filter's options: core's status words, not a copy of them."""
    options = "".join(f"<option>{status}</option>" for status in STATUSES)
    return re.sub(r"<!-- statuses:[^>]*-->", options, (STATIC / "index.html").read_text(encoding="utf-8"))


def _text(request: Request, name: str, default: str = "") -> str:
    return request.query_params.get(name, default)


def _number(request: Request, name: str, default: str, kind: type[int] | type[float]) -> int | float:
    """A numeric query parameter; a bad one is the request's fault (400), not a bug."""
    text = _text(request, name, default) or default
    try:
        return kind(text)
    except ValueError as err:
        raise InvalidValueError(f"{name} must be a number, not {text!r}") from err


def _error(request: Request, err: Exception) -> JSONResponse:
    """Our errors: the request's or the store's fault, said in the answer."""
    status = 404 if isinstance(err, NotFoundError) else 502 if isinstance(err, StorageError) else 400
    if isinstance(err, StorageError) and isinstance(err, FileNotFoundError):
        status = 404
    return JSONResponse({"error": str(err).strip("'\"")}, status)


def _bug(request: Request, err: Exception) -> JSONResponse:
    """Anything else is a bug of the dashboard: 500, and its traceback in the log for the report."""
    logger.error("%s %s failed: a bug in the dashboard", request.method, request.url.path, exc_info=err)
    return JSONResponse(
        {"error": f"internal error ({type(err).__name__}); the traceback is in the dashboard's log"}, 500
    )


def create_app(
    prefix: str | None = None,
    *,
    repository: ExperimentRepository | None = None,
    host: str = "127.0.0.1",
    token: str | None = None,
    params: str | Sequence[str] | None = None,
    patch: str = "Source.git-patch",
    poll_seconds: float = 5.0,
    refresh_seconds: float | None = None,
    warm_up: bool = False,
) -> Starlette:
    """The dashboard as an ASGI application (serve it with :func:`lab_workbook_ui.serve` or any ASGI server).

    Args:
        prefix: the store (``None``: resolved as the writer does).
        repository: an open repository to use instead of ``prefix`` (its cache is shared).
        host: the address it will be bound to; on loopback, requests for other host names are refused.
        token: required in the ``X-Lab-Workbook-Token`` header of every API request when set.
        params: a JSON artifact (or several) holding each run's parameters, read before
            ``parameters.json``, ``hparams.json`` (Lightning) and ``training_args.json`` (Hugging Face),
            which are always read (:mod:`lab_workbook_ui._parameters`).
        patch: the code patch artifact compared between runs.
        poll_seconds: how often the page asks again while a run shown is still going.
        refresh_seconds: how long a listing or a running run's record is trusted
            (default: ``poll_seconds``, so a poll sees new runs).
        warm_up: open the repository and read the table's first page, then the whole table, on
            a thread, while the server already answers and the browser loads the page
            (``lab-workbook ui`` does; see :mod:`lab_workbook_ui._startup`).
    """
    sources = parameter_sources(params)
    tables = RunsTables(sources)
    versions = TableVersions()
    answers = FinishedAnswers()
    if repository is not None:
        slot = RepositorySlot(
            lambda: repository, background=False, then=read_ahead(tables, PREVIEW_RUNS) if warm_up else None
        )
    else:
        load_config(prefix)  # a bad prefix or config file is an error now, not at the first request
        refresh = poll_seconds if refresh_seconds is None else refresh_seconds
        slot = RepositorySlot(
            lambda: ExperimentRepository(prefix, refresh_seconds=refresh),
            background=warm_up,
            then=read_ahead(tables, PREVIEW_RUNS) if warm_up else None,
        )

    def config(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "store": str(slot.get().storage.location),
                "poll_seconds": poll_seconds,
                "params": list(sources),
                "patch": patch,
            }
        )

    def runs(request: Request) -> Response:
        newest = int(_number(request, "newest", "0", int)) or None
        body = tables.json(slot.get(), parse_series_columns(_text(request, "series")), newest=newest)
        tables.answered.set()
        version = versions.remember(body)
        known = _text(request, "known")
        delta = versions.answer(body, known) if known else None
        return Response(
            delta if delta is not None else body, media_type="application/json", headers={"X-Table-Version": version}
        )

    def curves(request: Request) -> Response:
        tags = [t for t in _text(request, "tags").split(",") if t]
        fields = [f for f in _text(request, "fields").split(",") if f]
        artifact = _text(request, "series")
        if not tags or not artifact:
            return JSONResponse(
                {"error": "give tags=T1,T2 and series=ARTIFACT.csv (and fields=F1,F2, default all)"}, 400
            )
        width_text = _text(request, "width", "1000")
        wb = slot.get()
        name = validate_name(artifact)
        x = _text(request, "x", "index")
        width = None if width_text == "full" else int(_number(request, "width", "1000", int))
        smooth = float(_number(request, "smooth", "0", float))
        snap = _text(request, "snap") == "1"
        body = answers.get(
            wb,
            tags,
            ("curves", tuple(tags), name, tuple(fields), x, width, smooth, snap),
            lambda: curves_json(wb, tags, name, fields, x=x, width=width, smooth=smooth, snap=snap),
        )
        return Response(body, media_type="application/json")

    def fields(request: Request) -> Response:
        tags = [t for t in _text(request, "tags").split(",") if t]
        if not tags:
            return JSONResponse({"error": "give tags=T1,T2"}, 400)
        wb = slot.get()
        body = answers.get(
            wb,
            tags,
            ("fields", tuple(tags)),
            lambda: json.dumps({"series": series_fields(wb, tags)}, ensure_ascii=False, separators=(",", ":")),
        )
        return Response(body, media_type="application/json")

    def images(request: Request) -> JSONResponse:
        tags = [t for t in _text(request, "tags").split(",") if t]
        if not tags:
            return JSONResponse({"error": "give tags=T1,T2"}, 400)
        return JSONResponse({"series": images_across(slot.get(), tags)})

    def run(request: Request) -> JSONResponse:
        return JSONResponse(run_payload(slot.get(), request.path_params["tag"], sources))

    def artifact(request: Request) -> Response:
        tag, name = request.path_params["tag"], validate_name(request.path_params["name"])
        data = artifact_bytes(slot.get(), tag, name)
        # Never text/html: whatever the bytes hold, the browser shows them as text or a picture, or saves them.
        picture = picture_type(name)
        media = "text/plain; charset=utf-8" if is_text(name) else picture or "application/octet-stream"
        headers = {}
        if _text(request, "download") == "1" or not (is_text(name) or picture):
            filename = quote(name.rsplit("/", 1)[-1], safe="")
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{filename}"
        return Response(data, media_type=media, headers=headers)

    def diff(request: Request) -> JSONResponse:
        before, after = _text(request, "a"), _text(request, "b")
        if not before or not after:
            return JSONResponse({"error": "give a=TAG_A and b=TAG_B"}, 400)
        return JSONResponse(diff_payload(slot.get(), before, after, sources, _text(request, "patch", patch)))

    page = render_page()

    def index(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    routes = [
        Route("/", index),
        Route("/api/config", config),
        Route("/api/runs", runs),
        Route("/api/curves", curves),
        Route("/api/fields", fields),
        Route("/api/images", images),
        Route("/api/run/{tag}", run),
        Route("/api/run/{tag}/artifact/{name:path}", artifact),
        Route("/api/diff", diff),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if is_loopback(host):
        middleware.insert(0, Middleware(LoopbackHosts, host=host))
    if token:
        middleware.append(Middleware(TokenGate, token=token))
    handlers = {LabWorkbookError: _error, Exception: _bug}
    return Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
