"""The HTTP service: an ASGI application answering MediaWiki's `api.php?action=streamconfigs` (and
the health, metrics and instruments routes) from the release in memory.

Every request takes the release once, at its start, and is answered wholly from it; the release's
name is in the `X-Streamconf-Release` header. A watcher polls the source and, when a new release
verifies, swaps it in with one assignment; one that does not verify is never served.

No web framework: each answer is a dictionary lookup once warm, and a router would cost more than
the answer.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import os
import time
import unicodedata
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote_to_bytes

from .. import php_json, render
from . import query
from .metrics import Metrics
from ..instruments.compile import INSTRUMENTS
from .release import Body, Release, load, version

LOG = logging.getLogger("streamconf.serve")

MAX_QUERY_BYTES = 8190  # Apache's LimitRequestLine, which MediaWiki's front ends enforce
CACHE_ENTRIES = 4096  # answers (and query strings) kept per worker: a bound, whatever the queries
POLL_SECONDS = 1.0
PUBLIC = b"public, max-age=600, s-maxage=600"  # ApiStreamConfigs: cache mode public, max age 600
PRIVATE = b"private, must-revalidate, max-age=0"  # ApiMain: error results are not cached
JSON = b"application/json; charset=utf-8"
FORMATS = {"json", "jsonfm", "none", "php", "phpfm", "rawfm", "xml", "xmlfm"}  # ApiMain's `format` values
FORMAT_VERSIONS = {"2", "latest"}  # ApiFormatJsonVersion2 allows version 2 only
MULTI_PARAMETERS = ("streams", "constraints")
BAD_UTF8 = ("The value passed for \"{}\" contains invalid or non-normalized data. Textual data should be valid, "
            "NFC-normalized Unicode without C0 control characters other than HT (\\t), LF (\\n), and CR (\\r).")
ALLOWED_CONTROLS = {"\t", "\n", "\r"}


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes = b""


class ApiError(Exception):
    """An error as MediaWiki's API reports it: HTTP 200 (unless given), a JSON `error` object and
    the MediaWiki-API-Error header."""

    def __init__(self, code: str, info: str, status: int = 200, **data: object) -> None:
        super().__init__(code)
        self.code, self.info, self.status, self.data = code, info, status, data

    def response(self, release: str) -> Response:
        body = php_json.encode({"error": {"code": self.code, "info": self.info, **self.data}}).encode("utf-8") + b"\n"
        return Response(self.status, [(b"content-type", JSON), (b"cache-control", PRIVATE),
                                      (b"mediawiki-api-error", self.code.encode()),
                                      (b"x-streamconf-release", release.encode())], body)


def unrecognized(parameter: str, value: str) -> ApiError:
    return ApiError("badvalue", f"Unrecognized value for parameter \"{parameter}\": {value}.")


def parse_query(raw: bytes) -> dict[str, str | None]:
    """The query string as PHP fills $_GET: `+` is a space, the last of a repeated name wins, and a
    name with brackets makes an array, which the API reads as no value (None). Values must be
    UTF-8 (NFC-normalised here, as WebRequest does)."""
    params: dict[str, str | None] = {}
    for piece in raw.split(b"&"):
        if not piece:
            continue
        name_part, _, value_part = piece.partition(b"=")
        name = unquote_to_bytes(name_part.replace(b"+", b" ")).decode("utf-8", "replace")
        if "[" in name:
            params[name[: name.index("[")]] = None
            continue
        value = unquote_to_bytes(value_part.replace(b"+", b" "))
        params[name] = _text(name, value)
    return params


def _text(name: str, value: bytes) -> str:
    """A parameter's text. C0 controls other than tab and line ends are refused, except U+001F
    as the separator of a multi-value that starts with it."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("badutf8", BAD_UTF8.format(name)) from None
    checked = text.replace("\x1f", "") if text.startswith("\x1f") else text
    if any(char < " " and char not in ALLOWED_CONTROLS for char in checked):
        raise ApiError("badutf8", BAD_UTF8.format(name))
    return text if text.isascii() else unicodedata.normalize("NFC", text)


def etag_matches(header: bytes, etag: bytes) -> bool:
    """If-None-Match: `*`, or any listed entity tag equal to ours (weak comparison, as for GET)."""
    if header.strip() == b"*":
        return True
    return any(tag.strip().removeprefix(b"W/") == etag for tag in header.split(b","))


class Service:
    """The ASGI application."""

    def __init__(self, source: Path, host_realm: str | None = None, poll_seconds: float = POLL_SECONDS) -> None:
        self.source, self.host_realm, self.poll_seconds = source, host_realm, poll_seconds
        self.version = version(source)
        self.release = load(source, host_realm)
        gc.freeze()  # a release is never garbage: the collector need not walk its objects again
        self.answers = Answers()
        self.metrics = Metrics(self.release.name)
        self.watcher: asyncio.Task | None = None

    # -- the release ------------------------------------------------------------------------------

    async def watch(self) -> None:
        failed = None
        while True:
            await asyncio.sleep(self.poll_seconds)
            seen = None
            try:
                seen = version(self.source)
                if seen in (self.version, failed):
                    continue
                release = await asyncio.to_thread(load, self.source, self.host_realm)
            except Exception as error:  # noqa: BLE001 - the watcher outlives any bad release
                failed = seen
                self.metrics.reload_failed()
                LOG.warning("keeping release %s: the new one does not verify or cannot be read: %s",
                            self.release.name, error)
                continue
            self.release, self.version, failed = release, seen, None
            self.answers = Answers()
            gc.freeze()
            self.metrics.serving(release.name)
            LOG.info("serving release %s", release.name)

    # -- ASGI -------------------------------------------------------------------------------------

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        release = self.release  # the one release this whole response comes from
        route, response = self.route(release, scope)
        headers = response.headers
        if response.status != 304:
            headers = [*headers, (b"content-length", str(len(response.body)).encode())]
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        body = b"" if scope["method"] == "HEAD" else response.body
        await send({"type": "http.response.body", "body": body})
        self.metrics.observe(route, response.status, time.perf_counter() - started)

    async def lifespan(self, receive, send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.watcher = asyncio.create_task(self.watch())
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.watcher:
                    self.watcher.cancel()
                self.metrics.stopped()
                await send({"type": "lifespan.shutdown.complete"})
                return

    def route(self, release: Release, scope) -> tuple[str, Response]:
        path: str = scope["path"]
        try:
            if scope["method"] not in ("GET", "HEAD"):
                raise ApiError("methodnotallowed", "Only GET and HEAD are answered here.", status=405)
            if path == "/w/api.php":
                return "api", self.api(release, self.wiki_by_host(release, scope), scope)
            if path.endswith("/w/api.php"):
                return "api", self.api(release, self.wiki_by_path(release, path), scope)
            if path == "/api/v1/instruments":
                return "instruments", self.instruments(release, self.wiki_by_host(release, scope)[0], scope)
            if path.endswith("/api/v1/instruments") and path.count("/") == 4:
                return "instruments", self.instruments(release, path.split("/")[1], scope)
            if path == "/healthz":
                return "healthz", self.plain(release, b"ok\n")
            if path == "/metrics":
                return "metrics", self.plain(release, self.metrics.render(), b"text/plain; version=0.0.4; charset=utf-8")
            raise ApiError("notfound", f"Nothing is served at {path}.", status=404)
        except ApiError as error:
            return ("api" if path.endswith("/api.php") else "other"), error.response(release.name)
        except Exception as error:  # noqa: BLE001 - the last guard: an error, never a traceback
            LOG.exception("internal error answering %s", path)
            name = type(error).__name__
            return "other", ApiError(f"internal_api_error_{name}", f"Caught exception of type {name}",
                                     status=500, errorclass=name).response(release.name)

    def plain(self, release: Release, body: bytes, content_type: bytes = b"text/plain; charset=utf-8") -> Response:
        return Response(200, [(b"content-type", content_type), (b"cache-control", b"no-store"),
                              (b"x-streamconf-release", release.name.encode())], body)

    # -- which wiki --------------------------------------------------------------------------------

    @staticmethod
    def wiki_by_host(release: Release, scope) -> tuple[str, str]:
        host = next((value for name, value in scope["headers"] if name == b"host"), b"")
        name = host.decode("latin-1").rsplit(":", 1)[0] if not host.endswith(b"]") else host.decode("latin-1")
        found = release.hosts.get(name.lower().rstrip("."))
        if found is None:
            raise ApiError("unknownhost", f"No wiki is served for the host name {name!r}; "
                                          "ask /<realm>/<wiki>/w/api.php instead.", status=404)
        return found

    @staticmethod
    def wiki_by_path(release: Release, path: str) -> tuple[str, str]:
        parts = path.split("/")
        if len(parts) == 5 and (parts[1], parts[2]) in release.wikis:
            return parts[1], parts[2]
        raise ApiError("unknownwiki", "No such realm and wiki: ask /<realm>/<wiki>/w/api.php, "
                                      "e.g. /production/enwiki/w/api.php.", status=404)

    # -- the instrument configurator's body ------------------------------------------------------

    def instruments(self, release: Release, realm: str, scope) -> Response:
        """`GET /api/v1/instruments` of Test Kitchen's instrument configurator: the realm's
        instruments.json as compiled."""
        found = release.files.get(f"{realm}/{INSTRUMENTS}")
        if found is None:
            raise ApiError("notfound", f"The build has no instruments for realm {realm!r}.", status=404)
        data, digest = found
        return self.cacheable(release, scope, b'"' + digest.removeprefix("sha256:")[:40].encode() + b'"', data)

    def cacheable(self, release: Release, scope, etag: bytes, data: bytes) -> Response:
        """A public answer with its ETag, or 304 when the client has it already."""
        headers = [(b"content-type", JSON), (b"cache-control", PUBLIC), (b"etag", etag),
                   (b"x-streamconf-release", release.name.encode())]
        condition = next((value for name, value in scope["headers"] if name == b"if-none-match"), None)
        if condition is not None and etag_matches(condition, etag):
            return Response(304, headers)
        return Response(200, headers, data)

    # -- action=streamconfigs ---------------------------------------------------------------------

    def api(self, release: Release, wiki: tuple[str, str], scope) -> Response:
        raw = scope["query_string"]
        if len(raw) > MAX_QUERY_BYTES:
            raise ApiError("toolong", f"The query string is longer than {MAX_QUERY_BYTES} bytes.", status=414)
        body = release.wikis[wiki]
        wiki_class = (release.name, id(body))  # a release's name is never reused; its bodies live with it
        cached = self.answers.by_spelling.get((*wiki_class, raw))
        if cached is None:
            question = read_question(parse_query(raw))
            cached = self.answers.by_question.get((*wiki_class, question))
            if cached is None:
                cached = self.answer(body, question)
                self.answers.remember_question((*wiki_class, question), cached)
            self.answers.remember_spelling((*wiki_class, raw), cached)
        return self.cacheable(release, scope, *cached)

    @staticmethod
    def answer(body: Body, question: Question) -> tuple[bytes, bytes]:
        """(ETag, JSON) for the question. The ETag is the bundle's digest and the question, so it
        changes exactly when the answer can."""
        try:
            selected = query.select(body.streams, question.names, question.constraints, query.MatchDeadline())
        except query.PhpTypeError:
            raise ApiError("internal_api_error_TypeError", "Caught exception of type TypeError",
                           errorclass="TypeError") from None
        except query.MatchBudgetExceeded:
            raise ApiError("matchbudget", "Matching the requested names against the stream patterns took longer than "
                                          f"the {query.MATCH_BUDGET_SECONDS * 1000:.0f} ms one request may spend; "
                                          "ask for fewer names.", budget=query.MATCH_BUDGET_SECONDS) from None
        if question.names is None and not question.constraints:
            data = body.data
        else:
            data = b'{"streams":{' + b",".join(
                render.json_key(name) + _fragment(stream, name)
                for name, stream in selected) + b"}}\n"
        decided = repr((question.names, question.constraints_key)).encode("utf-8")
        etag = b'"' + hashlib.sha256(body.digest.encode() + b"\0" + decided).hexdigest()[:40].encode() + b'"'
        return etag, data


@dataclass(frozen=True)
class Question:
    """What decides an `action=streamconfigs` answer, as the module reads the parameters: two
    spellings of one query (escapes, parameter order, parameters that change nothing, repeated
    names) are one question."""

    names: tuple[str, ...] | None
    constraints: query.PhpArray | None = field(compare=False, hash=False)
    constraints_key: tuple | None  # keeps the order and the PHP key types that decide matching


def flattened(array: query.PhpArray) -> tuple:
    """A hashable token sequence of a parsed constraints array: every key with its PHP type and
    every value, in order, with the nesting marked. Made without recursion: a query string can
    nest thousands of levels."""
    tokens: list[tuple] = []
    pending: list[tuple[bool, object]] = [(False, array)]  # (is a finished token, item)
    while pending:
        finished, item = pending.pop()
        if finished:
            tokens.append(item)
        elif type(item) is dict:
            tokens.append(("{",))
            pending.append((True, ("}",)))
            for key, value in reversed(item.items()):
                pending += [(False, value), (True, ("key", key))]
        else:
            tokens.append(("value", item))
    return tuple(tokens)


def read_question(params: dict[str, str | None]) -> Question:
    """The question the parameters ask, or the API error they get."""
    action = params.get("action") or "help"
    if action != "streamconfigs":
        raise unrecognized("action", action)
    if params.get("format") is not None and params["format"] not in FORMATS:
        raise unrecognized("format", params["format"])
    if params.get("formatversion") is not None and params["formatversion"] not in FORMAT_VERSIONS:
        raise unrecognized("formatversion", params["formatversion"])
    try:
        names = None if params.get("streams") is None else tuple(query.multi_value("streams", params["streams"]))
        constraints = query.parse_constraints(params.get("constraints"))
    except query.TooManyValues as error:
        raise ApiError("toomanyvalues", f"Too many values supplied for parameter \"{error.parameter}\". "
                                        f"The limit is {query.MULTI_VALUE_LIMIT}.", limit=query.MULTI_VALUE_LIMIT,
                       lowlimit=query.MULTI_VALUE_LIMIT, highlimit=query.MULTI_VALUE_HIGH_LIMIT,
                       parameter=error.parameter) from None
    return Question(names, constraints, None if constraints is None else flattened(constraints))


class Answers:
    """The answers of one release, bounded whatever the queries: by (release, wiki class, question),
    and by the query string as sent, so that a repeated query costs one dictionary lookup and
    every spelling of a question shares its one answer."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self.by_question: OrderedDict[tuple, tuple[bytes, bytes]] = OrderedDict()
        self.by_spelling: OrderedDict[tuple, tuple[bytes, bytes]] = OrderedDict()

    def remember_question(self, key: tuple, answer: tuple[bytes, bytes]) -> None:
        self._remember(self.by_question, key, answer)

    def remember_spelling(self, key: tuple, answer: tuple[bytes, bytes]) -> None:
        self._remember(self.by_spelling, key, answer)

    def _remember(self, cache: OrderedDict, key: tuple, answer: tuple[bytes, bytes]) -> None:
        cache[key] = answer
        if len(cache) > self.entries:
            cache.popitem(last=False)


def _fragment(stream: query.Stream, name: str) -> bytes:
    config = stream.config_for(name)
    return stream.fragment if config is stream.config else render.serialize_value(config)


def from_environment() -> Service:
    """The application of one worker process, configured by `streamconf serve`."""
    poll = float(os.environ.get("STREAMCONF_SERVE_POLL", POLL_SECONDS))
    return Service(Path(os.environ["STREAMCONF_SERVE_SOURCE"]), os.environ.get("STREAMCONF_SERVE_HOST_REALM") or None, poll)
