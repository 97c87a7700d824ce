"""What an address costs before any translation: fetching the page, extracting its article.

    python bench/web_cost.py [--rounds 5]

For each saved page of the corpus (``web/*.html``), best of ``--rounds``:

* fetch: the page served by a loopback HTTP server (127.0.0.1) and read by ``it2en.web.fetch``
  (requests, the caps, the charset), so the network itself costs nothing;
* extract: ``it2en.web.extract`` on the fetched page (trafilatura, as ``it2en translate URL``
  runs it), and the article as the Markdown it2en translates.

Once per run of it2en, not per page, it2en imports requests and trafilatura: timed in fresh
interpreters (the median of ``--rounds``). Translating the article is not timed here; the model
speed figures are in docs/benchmarks.md. The corpus is found as the tests find it
($IT2EN_CORPUS, else ../shared/corpus).
"""

from __future__ import annotations

import argparse
import functools
import os
import statistics
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

IMPORT_TIMER = ("import time; started = time.perf_counter(); import requests, trafilatura; "
                "print(time.perf_counter() - started)")


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def import_seconds(rounds: int) -> float:
    """The median time a fresh interpreter takes to import requests and trafilatura."""
    times = [float(subprocess.run([sys.executable, "-c", IMPORT_TIMER], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(rounds)]
    return statistics.median(times)


def best_of(rounds: int, action) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(rounds):
        started = time.perf_counter()
        result = action()
        best = min(best, time.perf_counter() - started)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from it2en import web

    corpus = Path(os.environ.get("IT2EN_CORPUS", ROOT.parent / "shared" / "corpus"))
    pages = sorted((corpus / "web").glob("*.html"))
    print(f"importing requests and trafilatura: {import_seconds(args.rounds):.2f} s (median of {args.rounds}, "
          "once per run)\n")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(corpus / "web")))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        print("| page | page KB | fetch s | extract s | article chars |\n|---|--:|--:|--:|--:|")
        for page_file in pages:
            address = f"http://127.0.0.1:{server.server_port}/{page_file.name}"
            fetch_s, page = best_of(args.rounds, lambda: web.fetch(address))
            extract_s, article = best_of(args.rounds, lambda: web.extract(page).markdown())
            print(f"| {page_file.name} | {page_file.stat().st_size / 1024:.0f} | {fetch_s:.3f} | {extract_s:.3f} | "
                  f"{len(article)} |")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
