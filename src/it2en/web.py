"""Web pages by their address: fetch the page (requests), then extract its article (trafilatura).

``read_address(url)`` gives the text it2en translates: the article as Markdown, with a front
matter that holds the page's metadata and its address, or with ``whole_page=True`` the page's
HTML itself. Every way a fetch can fail is a domain error of its own (``it2en.errors``), one
line that names the address. requests and trafilatura are imported only when an address is
read, so the rest of it2en starts without them.
"""

from __future__ import annotations

import codecs
import re
import time
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import unquote, urlsplit

from it2en import __version__, writing
from it2en.errors import (FetchTimeoutError, HostNotFoundError, HttpStatusError, NetworkError, NoArticleError,
                          NotHtmlError, PageTooBigError, UsageError)

__all__ = ["FetchOptions", "Page", "WebArticle", "is_address", "slug", "fetch", "decode_page", "extract",
           "read_address"]

USER_AGENT = f"it2en/{__version__} (Italian-to-English article translator)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_MB = 10.0
MAX_REDIRECTS = 10

_ADDRESS = re.compile(r"https?://", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:-]+)""", re.IGNORECASE)
_PAGE_SUFFIX = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cgi)\Z", re.IGNORECASE)
_UNSAFE = re.compile(r"[^\w.-]+")
_SINGLE_BYTE = frozenset({"ascii", "latin_1", "iso8859_1", "cp1252", "iso8859_15"})
"""Declared charsets that valid multi-byte UTF-8 is never really written in: a server's default."""
_BANNERS = ("//*[contains(translate(@id, 'COKIE', 'cokie'), 'cookie') or "
            "contains(translate(@class, 'COKIE', 'cokie'), 'cookie') or "
            "contains(translate(@id, 'CONSET', 'conset'), 'consent') or "
            "contains(translate(@class, 'CONSET', 'conset'), 'consent') or "
            "contains(@id, 'iubenda') or contains(@class, 'iubenda')]")
"""Cookie and consent banners (iubenda is the usual one on Italian sites): never an article."""
_KINDS = {"application/pdf": "a PDF file", "application/json": "JSON data", "text/plain": "plain text",
          "application/zip": "a ZIP archive", "application/octet-stream": "binary data"}


@dataclass(frozen=True)
class FetchOptions:
    """How an address is read: the page itself or its article, limits, where to keep the source."""

    whole_page: bool = False
    timeout: float = DEFAULT_TIMEOUT
    max_bytes: int = int(DEFAULT_MAX_MB * 1024 * 1024)
    encoding: str | None = None
    save_source: Path | None = None


@dataclass(frozen=True)
class Page:
    address: str
    """The address as given."""
    url: str
    """Where the page was found, after redirects."""
    html: str
    charset: str


@dataclass(frozen=True)
class WebArticle:
    """A page's article: its metadata and its body as Markdown."""

    address: str
    url: str
    """The page's canonical address when it declares one, else where it was found."""
    title: str
    author: str
    date: str
    site: str
    description: str
    body: str

    def markdown(self) -> str:
        """The article as it2en translates it: a front matter (metadata, source address), then the body.

        ``title`` and ``description`` are prose (translated); the others are kept as they are.
        """
        fields = (("title", self.title), ("description", self.description), ("author", self.author),
                  ("date", self.date), ("site", self.site), ("url", self.url), ("source", self.address))
        front = "".join(f"{key}: {_yaml_string(value)}\n" for key, value in fields if value)
        return f"---\n{front}---\n\n{self.body.strip()}\n"


def is_address(source: str) -> bool:
    """Whether an input names a web page (http or https) rather than a file."""
    return bool(_ADDRESS.match(source))


def slug(address: str) -> str:
    """The file name stem for an address: its last path segment (``.../la-cina-impegna.html``:
    ``la-cina-impegna``), its query kept when the path alone says little, else the host name."""
    parts = urlsplit(address)
    segments = [s for s in unquote(parts.path).split("/") if s]
    name = _PAGE_SUFFIX.sub("", segments[-1]) if segments else ""
    if parts.query:
        name = f"{name}-{unquote(parts.query)}"
    name = _UNSAFE.sub("-", name).strip("-.")[:120].strip("-.")
    return name or _UNSAFE.sub("-", parts.hostname or "page")


def fetch(address: str, options: FetchOptions = FetchOptions()) -> Page:
    """Fetch a web page: redirects and size capped, whole time limited, only HTML accepted.

    Proxies come from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``).
    """
    import requests

    host = urlsplit(address).hostname or address
    with requests.Session() as session:
        session.max_redirects = MAX_REDIRECTS
        session.headers.update({"User-Agent": USER_AGENT,
                                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
                                "Accept-Language": "it,en;q=0.5"})
        deadline = time.monotonic() + options.timeout
        try:
            with session.get(address, stream=True, timeout=options.timeout) as response:
                content_type = _refuse_what_is_not_a_page(response, address)
                body = _read_capped(response, address, options, deadline)
                page_url = response.url
        except requests.exceptions.TooManyRedirects:
            raise HttpStatusError(f"{address}: more than {MAX_REDIRECTS} redirects: the address loops.") from None
        except requests.exceptions.Timeout:
            raise _timeout(address, options) from None
        except requests.exceptions.ConnectionError as error:
            raise _connection_error(address, host, error, options) from None
        except requests.exceptions.ContentDecodingError as error:
            raise NotHtmlError(f"{address}: the page's compressed body is damaged ({error.__class__.__name__}).") from None
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema) as error:
            raise UsageError(f"{address}: not a usable web address ({error}).") from None
        except requests.exceptions.RequestException as error:
            raise NetworkError(f"{address}: the page cannot be fetched: {error}.") from None
    html, charset = decode_page(body, content_type, encoding=options.encoding)
    return Page(address=address, url=page_url, html=html, charset=charset)


def _refuse_what_is_not_a_page(response, address: str) -> str:
    """The response's content type, once its status says success and its type says HTML (or nothing)."""
    if response.status_code >= 400:
        raise HttpStatusError(f"{address}: the server answered HTTP {response.status_code} "
                              f"{response.reason or ''}".rstrip() + ": the page cannot be read.")
    content_type = response.headers.get("Content-Type", "")
    mime = content_type.split(";")[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        kind = _KINDS.get(mime) or ("an image" if mime.startswith("image/") else "")
        kind = f"{kind} ({mime})" if kind else mime
        hint = (f"translate its text with: curl -s {address} | it2en translate -" if mime.startswith("text/")
                else "save the document and translate its text instead")
        raise NotHtmlError(f"{address}: not a web page but {kind}; it2en reads HTML pages from the web ({hint}).")
    return content_type


def _read_capped(response, address: str, options: FetchOptions, deadline: float) -> bytes:
    """The decoded (gunzipped) body, refused as soon as it passes the cap or the time limit."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > options.max_bytes:
        raise _too_big(address, options)
    body = bytearray()
    for chunk in response.iter_content(64 * 1024):
        body += chunk
        if len(body) > options.max_bytes:
            raise _too_big(address, options)
        if time.monotonic() > deadline:
            raise _timeout(address, options)
    return bytes(body)


def _too_big(address: str, options: FetchOptions) -> PageTooBigError:
    return PageTooBigError(f"{address}: the page is larger than {options.max_bytes / 2**20:.3g} MB; "
                           "allow more with --max-page-mb.")


def _timeout(address: str, options: FetchOptions) -> FetchTimeoutError:
    return FetchTimeoutError(f"{address}: the page did not come within {options.timeout:g} s (timeout); "
                             "try again later, or allow more time with --timeout.")


def _connection_error(address: str, host: str, error: Exception, options: FetchOptions) -> Exception:
    """What a requests ConnectionError really was: a DNS failure, a timeout, or no connection."""
    import socket

    import urllib3.exceptions

    causes = _causes(error)
    if any(isinstance(c, (urllib3.exceptions.NameResolutionError, socket.gaierror)) for c in causes):
        return HostNotFoundError(f"{address}: the host name {host} cannot be resolved (DNS failure); "
                                 "check the address and your network connection.")
    refused = any(isinstance(c, urllib3.exceptions.NewConnectionError) for c in causes)  # a ConnectTimeoutError too
    if not refused and any(isinstance(c, (urllib3.exceptions.TimeoutError, TimeoutError)) for c in causes):
        return _timeout(address, options)
    reason = next((c for c in causes if isinstance(c, OSError) and c.strerror), None)
    said = f" ({reason.strerror.lower()})" if reason else ""
    return NetworkError(f"{address}: cannot connect to {host}{said}: no network, or the server is down; "
                        "check your connection (and HTTPS_PROXY/HTTP_PROXY if you use a proxy).")


def _causes(error: BaseException) -> list[BaseException]:
    """An exception and everything it wraps (args, ``reason``, cause, context)."""
    found: list[BaseException] = []
    pending = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        pending.extend(a for a in getattr(current, "args", ()) if isinstance(a, BaseException))
        for attribute in ("reason", "__cause__", "__context__"):
            value = getattr(current, attribute, None)
            if isinstance(value, BaseException):
                pending.append(value)
    return found


def decode_page(body: bytes, content_type: str = "", *, encoding: str | None = None) -> tuple[str, str]:
    """A page's text and the charset it was read in.

    ``encoding`` (given by the user) wins; then a byte-order mark; then the charset the headers
    declare, then the page's ``<meta charset>``, each only when the bytes decode in it; then
    UTF-8; then charset-normalizer's guess among the Western code pages. A declared single-byte charset (often a server's
    default) loses to valid multi-byte UTF-8, which such text never is by chance.
    """
    if encoding:
        return body.decode(encoding, errors="replace"), encoding
    for bom, codec in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if body.startswith(bom):
            return body.decode(codec, errors="replace"), codec
    header = Message()
    header["Content-Type"] = content_type or "text/html"
    meta = _META_CHARSET.search(body[:8192])
    declared = [header.get_content_charset(), meta.group(1).decode("ascii", "replace") if meta else None]
    utf8 = _utf8(body)
    for label in filter(None, declared):
        try:
            codec = codecs.lookup(label).name.replace("-", "_")
        except LookupError:
            continue
        if codec in _SINGLE_BYTE:
            if utf8 is not None and not body.isascii():
                return utf8, "utf-8"
            if codec in ("ascii", "latin_1", "iso8859_1"):
                codec = "cp1252"  # WHATWG: latin-1 and ascii labels mean windows-1252
        try:
            return body.decode(codec), codec
        except UnicodeDecodeError:
            continue
    if utf8 is not None:
        return utf8, "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(body, cp_isolation=["cp1252", "iso8859_15"]).best()  # Italian pages: Western code pages
    if best is not None:
        return str(best), best.encoding
    return body.decode("cp1252", errors="replace"), "cp1252"  # WHATWG's default for Western locales


def _utf8(body: bytes) -> str | None:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def extract(page: Page) -> WebArticle:
    """The page's main article, by trafilatura (which fetches nothing: it reads ``page.html``).

    Headings, paragraphs, quotations, lists, tables, links and images with their alt text are
    kept as Markdown; menus, comments, related links and cookie banners are left out.
    """
    import trafilatura
    from trafilatura.xml import xmltotxt

    document = trafilatura.bare_extraction(
        page.html, url=page.url, with_metadata=True, include_formatting=True, include_links=True,
        include_images=True, include_tables=True, include_comments=False, prune_xpath=_BANNERS)
    body = xmltotxt(document.body, True).strip() if document is not None else ""
    if not body:
        raise NoArticleError(f"{page.address}: no article found in the page (a paywall, a login wall, or a page "
                             "built by JavaScript?); translate the whole page with --whole-page.")
    return WebArticle(address=page.address, url=document.url or page.url, title=document.title or "",
                      author=document.author or "", date=document.date or "", site=document.sitename or "",
                      description=document.description or "", body=body)


def read_address(address: str, options: FetchOptions = FetchOptions()) -> tuple[str, str]:
    """The text to translate for an address, and its format: the article as ``markdown``, or
    with ``whole_page`` the page as ``html``. ``save_source`` keeps that text, to translate
    again offline (``it2en translate FILE``)."""
    page = fetch(address, options)
    if options.whole_page:
        text, input_format = page.html, "html"
    else:
        text, input_format = extract(page).markdown(), "markdown"
    if options.save_source is not None:
        writing.write_atomic(options.save_source, text)
    return text, input_format


def _yaml_string(value: str) -> str:
    """A one-line YAML scalar: double-quoted, or single-quoted when it holds quotes or backslashes."""
    value = " ".join(value.split())
    if '"' in value or "\\" in value:
        return "'" + value.replace("'", "''") + "'"
    return f'"{value}"'
