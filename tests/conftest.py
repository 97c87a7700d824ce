"""Shared fixtures. Tests never touch the network: see DESIGN.md, "Tests never touch the network"."""

from __future__ import annotations

import os

# Before anything imports huggingface_hub or transformers: the hub stays offline.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# No default glossary from the developer's own config folder: a test that wants one sets it.
os.environ["IT2EN_GLOSSARY"] = ""
# The suite's models are random on purpose and would fail the canary (docs/canary.md); the
# canary's own tests turn it back on.
os.environ["IT2EN_CANARY"] = "off"

import gzip  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from pathlib import Path  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import pytest  # noqa: E402

from marian_factory import (MEMORISED_PAIRS, build_random_marian, corpus_dir, short_flores_pairs,  # noqa: E402
                            train_memorising_marian)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
"""The checkout: pyproject.toml, README.md, docs/, src/."""

# ----------------------------------------------------------------------------- the shared corpus

CORPUS = corpus_dir()
"""``$IT2EN_CORPUS``, else ``../shared/corpus`` beside the checkout: read, never written."""
if not (CORPUS / "README.md").is_file():
    raise pytest.UsageError(
        f"the shared test corpus is missing at {CORPUS}: put shared/ beside the checkout or set $IT2EN_CORPUS"
    )
SEED = CORPUS / "seed_cina-ia-deepseek.txt"
"""The article this project started from."""
ARTICLES = sorted((CORPUS / "articles").glob("*.txt")) + [SEED]
"""Every reader-style corpus article."""
MARKDOWN_SOURCES = sorted((CORPUS / "articles" / "src").glob("*.md"))
"""The original Markdown (Jekyll) sources of three of the articles."""
FLORES = CORPUS / "flores200"
HUB_LAYOUTS = Path(__file__).resolve().parent / "fixtures" / "hub_layouts"
"""Tiny checkpoints laid out as the hub's files are (written by ``fixtures/make_hub_layouts.py``):
``opus-mt-it-en``, ``tc-big`` (its tied twin with a stray ``lm_head.weight``), ``untied``."""
WEB_PAGES = sorted((CORPUS / "web").glob("*.html"))
"""Real Italian web pages saved whole (three with a ``.gold.json`` extraction)."""
OFFICE_DOCUMENTS = sorted((CORPUS / "office").glob("*.docx")) + sorted((CORPUS / "office").glob("*.odt"))
"""Real Italian Word and OpenDocument documents that no one here wrote."""

# ----------------------------------------------------------------------------- isolation


@pytest.fixture(autouse=True)
def private_translation_memory(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own empty translation memory: none writes the user's cache, none sees
    another's entries (subprocesses inherit ``$IT2EN_MEMORY`` too)."""
    path = tmp_path_factory.mktemp("memory") / "memory.sqlite"
    monkeypatch.setenv("IT2EN_MEMORY", str(path))
    return path


# ----------------------------------------------------------------------------- models

TINY_MODEL_INIT_STD = 1.0
"""Large random weights: the tiny model's outputs then depend on the input (with the usual
0.02 every sentence comes out the same), which makes order and equality checks meaningful."""


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny random-weight MarianMT folder laid out like opus-mt-it-en (built once, ~2 s)."""
    return build_random_marian(tmp_path_factory.mktemp("tiny-marian") / "model", init_std=TINY_MODEL_INIT_STD)


@pytest.fixture(scope="session")
def tiny_ct2_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model converted to CTranslate2 (int8, as ``create_translator`` does)."""
    from it2en.engines.ctranslate2 import convert_to_ctranslate2

    return convert_to_ctranslate2(tiny_model_dir, tmp_path_factory.mktemp("tiny-ct2") / "int8")


@pytest.fixture(scope="session")
def ct2_float32_dir(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny model converted to CTranslate2 float32: decodes exactly as transformers does."""
    from it2en.engines.ctranslate2 import convert_to_ctranslate2

    return convert_to_ctranslate2(tiny_model_dir, tmp_path_factory.mktemp("ct2-f32") / "f32", quantization="float32")


@pytest.fixture(scope="session")
def memorising_pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(learnt pairs, unseen pairs): short FLORES dev pairs, Italian and English."""
    pairs = short_flores_pairs(MEMORISED_PAIRS + 8)
    return pairs[:MEMORISED_PAIRS], pairs[MEMORISED_PAIRS:]


@pytest.fixture(scope="session")
def memorising_model_dir(memorising_pairs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny MarianMT trained (seconds) until it gives the learnt pairs' English back."""
    return train_memorising_marian(tmp_path_factory.mktemp("memorising") / "model", memorising_pairs[0])


@pytest.fixture(scope="session")
def memorising_ct2_dir(memorising_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The memorising model converted to CTranslate2 float32 (decodes as transformers does)."""
    from it2en.engines.ctranslate2 import convert_to_ctranslate2

    return convert_to_ctranslate2(memorising_model_dir, tmp_path_factory.mktemp("memorising-ct2") / "f32",
                                  quantization="float32")


@pytest.fixture(scope="session")
def tiny_batch_memory(tiny_model_dir: Path):
    """``positions, beams → bytes``: a batch budget for the tiny model that holds ``positions``
    token positions of one sentence (what a test sets to get batches of a known size)."""
    import json

    from it2en.engines.transformers import ModelShape

    shape = ModelShape.from_config(json.loads((tiny_model_dir / "config.json").read_text(encoding="utf-8")))
    return lambda positions, beams: shape.sentence_bytes(positions, beams)


def put_in_hub_cache(model_dir: Path, hub: Path, repo_id: str, commit: str, *, ref: str | None = "main") -> Path:
    """Copy ``model_dir`` into the Hugging Face cache folder ``hub`` as ``repo_id`` at ``commit``
    (``refs/REF`` names it when ``ref`` is given); return the snapshot folder."""
    import shutil

    repo = hub / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / commit
    shutil.copytree(model_dir, snapshot)
    if ref is not None:
        (repo / "refs").mkdir(parents=True, exist_ok=True)
        (repo / "refs" / ref).write_text(commit)
    return snapshot


@pytest.fixture
def hub_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Hugging Face cache folder in use (fill it with :func:`put_in_hub_cache`), no
    ``$IT2EN_MODEL``, and a private it2en cache folder."""
    hub = tmp_path / "hf" / "hub"
    hub.mkdir(parents=True)
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(hub))
    monkeypatch.delenv("IT2EN_MODEL", raising=False)
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / "it2en-cache"))
    return hub


def table_column(table: str, column: str) -> list[str]:
    """The first word under ``column`` in each row of an aligned-columns table (``it2en models``)."""
    header, *rows = table.splitlines()
    start = header.index(column)
    return [(row[start:].split() or [""])[0] for row in rows]


# ----------------------------------------------------------------------------- the CLI in-process


class Recorder:
    """A fake engine: remembers every sentence it is given; answers with ``answer(sentence)``."""

    name = "recorder"

    def __init__(self, answer=lambda sentence: sentence):
        self.seen: list[str] = []
        self.answer = answer

    def translate(self, sentences, *, no_repeat_ngram_size=0):
        self.seen.extend(sentences)
        return [self.answer(s) for s in sentences]


TINY_FAST_FLAGS = ("--backend", "transformers", "--beams", "1")
"""Greedy decoding on the reference backend: the cheapest real run of the tiny model."""


@pytest.fixture
def translate_cli(tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Run ``it2en translate ARGS`` in-process, in ``tmp_path``, with the tiny model; return the Result.

    Relative paths in ARGS are relative to ``tmp_path``; ``TINY_FAST_FLAGS`` are appended.
    """
    from typer.testing import CliRunner

    from it2en.cli import app

    monkeypatch.setenv("IT2EN_MODEL", str(tiny_model_dir))
    monkeypatch.setenv("IT2EN_CACHE_DIR", str(tmp_path / ".cache"))
    monkeypatch.chdir(tmp_path)

    def invoke(*args, input=None):
        argv = ["translate", *(str(a) for a in args), *TINY_FAST_FLAGS]
        return CliRunner().invoke(app, argv, input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def engine_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """Run ``it2en translate ARGS`` in-process, in ``tmp_path``, with ``engine`` instead of a model.

    ``invoke(engine, *args)``: the CLI's ``ArticleTranslator`` gets ``engine=engine`` (any object
    with ``translate(list[str])``, e.g. ``IdentityTranslator()``), so no model is loaded.
    """
    from typer.testing import CliRunner

    import it2en.api
    from it2en.cli import app

    monkeypatch.setenv("IT2EN_MODEL", str(tmp_path / "no-model-needed"))
    monkeypatch.chdir(tmp_path)
    real = it2en.api.ArticleTranslator

    def invoke(engine, *args, input=None, catch_exceptions=False):
        class WithEngine(real):
            def __init__(self, *a, **k):
                super().__init__(*a, **{**k, "engine": engine})

        monkeypatch.setattr(it2en.api, "ArticleTranslator", WithEngine)
        try:
            return CliRunner().invoke(app, ["translate", *(str(a) for a in args)], input=input,
                                      catch_exceptions=catch_exceptions)
        finally:
            monkeypatch.setattr(it2en.api, "ArticleTranslator", real)

    return invoke


# ----------------------------------------------------------------------------- a web site on loopback

COOKIE_BANNER_PAGE = """<!DOCTYPE html><html lang="it"><head><meta charset="utf-8"><title>Notizie</title>
<script src="/app.js"></script></head><body><div id="root"></div>
<div id="iubenda-cs-banner" class="iubenda-cs-default"><div class="iubenda-cs-content"><p>Questo sito utilizza
cookie tecnici e, previo tuo consenso, cookie di profilazione di terze parti per migliorare la tua esperienza di
navigazione e mostrarti pubblicità in linea con le tue preferenze. Chiudendo questo banner o continuando la
navigazione acconsenti all'uso dei cookie.</p><button>Accetta</button><button>Rifiuta</button></div></div>
</body></html>"""
"""A page built by JavaScript: without it, only the cookie banner is there."""

SHORT_ARTICLE = """<html><head><title>Il meteo</title></head><body><nav><a href="/">Home</a></nav><article>
<h1>Perturbazione sull’Italia</h1><p>La perturbazione porterà piogge al Centro e al Sud, con nevicate sopra i
mille metri. Il bel tempo tornerà già da giovedì su tutte le regioni, con temperature in aumento.</p>
<p>Città più colpite: L’Aquila, Potenza e Campobasso, dove è attesa neve già dalla serata di mercoledì.</p>
</article></body></html>"""
"""A small article with accented letters, for the charset cases (declared one way, written another)."""


class _Site(BaseHTTPRequestHandler):
    """The loopback site: the corpus pages and every way a page can go wrong (see ``web_site``)."""

    requests_seen: list[dict[str, str]] = []

    def log_message(self, *args) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.requests_seen.append({"path": self.path, **self.headers})
        path = urlsplit(self.path).path  # a request through a proxy names the whole address
        name = path.rsplit("/", 1)[-1]
        if path.startswith("/pages/"):
            self._send(200, (CORPUS / "web" / name).read_bytes())
        elif path.startswith("/gzip/"):
            self._send(200, gzip.compress((CORPUS / "web" / name).read_bytes()), encoding="gzip")
        elif path.startswith("/redirect/"):
            hops = int(name)
            target = f"/redirect/{hops - 1}" if hops > 1 else f"/pages/{WEB_PAGES[-1].name}"
            self._send(302, b"", location=target)
        elif path == "/loop":
            self._send(301, b"", location="/loop")
        elif path.startswith("/status/"):
            self._send(int(name), b"<html><body><h1>Errore</h1></body></html>")
        elif path == "/slow":
            time.sleep(1.5)
            self._send(200, SHORT_ARTICLE.encode())
        elif path == "/big":
            self._send(200, b"<html><body>" + b"<p>Una riga di testo italiano.</p>" * 4000 + b"</body></html>")
        elif path == "/pdf":
            self._send(200, b"%PDF-1.7\n" + bytes(2000), content_type="application/pdf")
        elif path == "/image":
            self._send(200, b"\x89PNG\r\n\x1a\n" + bytes(200), content_type="image/png")
        elif path == "/empty":
            self._send(200, b"")
        elif path == "/cookie-banner":
            self._send(200, COOKIE_BANNER_PAGE.encode())
        elif path == "/utf8-declared-latin1":  # the server's default label, wrong for the page
            self._send(200, SHORT_ARTICLE.encode(), content_type="text/html; charset=iso-8859-1")
        elif path == "/cp1252-declared-utf8":
            self._send(200, SHORT_ARTICLE.encode("cp1252"), content_type="text/html; charset=utf-8")
        else:
            self._send(404, b"")

    def _send(self, status: int, body: bytes, *, content_type: str = "text/html", encoding: str = "",
              location: str = "") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for header, value in (("Content-Encoding", encoding), ("Location", location)):
            if value:
                self.send_header(header, value)
        self.end_headers()
        self.wfile.write(body)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """Clients that hang up (a timeout, a size cap) are what some tests are about: no trace."""


@pytest.fixture(scope="session")
def web_site():
    """A web site on 127.0.0.1 (a free port), in a thread, for the whole session: ``/pages/NAME``
    serves the corpus web pages; ``/gzip/NAME`` the same gzipped; ``/redirect/N`` redirects N
    times then serves a corpus page; ``/loop`` redirects to itself; ``/status/CODE``; ``/slow``
    (1.5 s before answering); ``/big`` (about 150 KB); ``/pdf``; ``/image``; ``/empty``;
    ``/cookie-banner``; ``/utf8-declared-latin1`` and ``/cp1252-declared-utf8`` (wrong charset headers).
    Yields the base address; ``_Site.requests_seen`` records each request's path and headers."""
    server = _QuietServer(("127.0.0.1", 0), _Site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def site(web_site: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The loopback site's base address, with no proxy from the environment and no DNS: a name
    under ``.invalid`` (RFC 2606) fails to resolve at once, in-process, and nothing leaves the machine."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    resolve = socket.getaddrinfo

    def no_dns(host, *args, **kwargs):
        if isinstance(host, str) and host.rstrip(".").endswith(".invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    _Site.requests_seen.clear()
    return web_site


def web_requests() -> list[dict[str, str]]:
    """The requests the loopback site received since the ``site`` fixture started (path and headers)."""
    return _Site.requests_seen


# ----------------------------------------------------------------------------- Ray (it2en corpus)


RAY_UNDER_LOAD = {
    "worker_register_timeout_seconds": 1800,
    "health_check_timeout_ms": 300_000,
    "health_check_failure_threshold": 100,
}
"""Ray's own clocks, sized for a cluster, not for a laptop whose cores other jobs keep busy: a
worker process that must import Ray and the model's libraries may take minutes to register
there, and a raylet minutes to answer a health check. The tests wait for events (every row
back, an actor's call seen), so these limits only stop a stuck session, never a slow one."""


@pytest.fixture(scope="session")
def local_ray():
    """One local Ray for the whole session, started by the first corpus test: 2 CPUs, a small
    object store, no dashboard, :data:`RAY_UNDER_LOAD` clocks. ``it2en corpus`` finds it
    running and uses it."""
    import ray

    ray.init(num_cpus=2, include_dashboard=False, object_store_memory=160 * 1024**2,
             log_to_driver=False, configure_logging=False, _system_config=RAY_UNDER_LOAD)
    yield ray
    ray.shutdown()


# ----------------------------------------------------------------------------- LibreOffice


@pytest.fixture(scope="session")
def soffice(tmp_path_factory: pytest.TempPathFactory):
    """``convert(files, to, outdir)``: LibreOffice in headless mode, one call for all ``files``,
    with a private profile (concurrent runs do not share one). Skipped where LibreOffice is not
    installed, except in CI (``CI=true``), where ``.ci/run`` installs it: there it fails."""
    import shutil
    import subprocess

    program = shutil.which("soffice") or shutil.which("libreoffice")
    if program is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("LibreOffice (soffice) is not installed, but CI must run the office tests: "
                        "install libreoffice-writer-nogui")
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    profile = tmp_path_factory.mktemp("soffice-profile")

    def convert(files: list[Path], to: str, outdir: Path, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([program, f"-env:UserInstallation={profile.as_uri()}", "--headless", *extra,
                               "--convert-to", to, "--outdir", str(outdir), *map(str, files)],
                              capture_output=True, text=True, timeout=300)

    return convert
