"""The canary: a model that cannot translate is refused, never used silently.

Before a model is used for the first time (per revision and engine), the canary translates a
few built-in Italian sentences and runs it2en's own checks on the output: a registry or hub
model that cannot translate is refused, a local folder gets a warning (see docs/canary.md).
The verdict is cached per revision and engine.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from it2en.errors import It2enError, ModelUnavailableError
from it2en.fidelity.checks import check_translation, leans_english
from it2en.models import LocatedModel, load_catalog, load_engine, locate, resolve

CANARY_ENV = "IT2EN_CANARY"
"""``off`` (or ``0``, ``no``, ``false``) turns the canary off: for test suites whose models are
random on purpose."""
CANARY_SENTENCES = (
    "Il governo ha approvato ieri la nuova legge sul lavoro, che entrerà in vigore il primo gennaio.",
    "Secondo gli esperti, il prezzo dell'energia continuerà a salire per tutto l'inverno.",
    "La città ha aperto una nuova biblioteca per i bambini e per le loro famiglie.",
    "Il presidente ha detto che il paese è pronto a collaborare con tutti i suoi vicini.",
    "Il museo sarà chiuso per lavori fino alla fine del mese, ma il giardino resterà aperto.",
)
"""Plain news sentences whose English carries many function words, so that ``leans_english``
recognises any fair translation of them."""
CANARY_MIN_PASSED = 4
"""Sentences out of :data:`CANARY_SENTENCES` that must come out clean: one odd translation is
tolerated, a model that cannot translate fails them all."""


@dataclass(frozen=True)
class CanaryLine:
    source: str
    output: str
    problems: tuple[str, ...]
    """``check_translation``'s flags, plus ``not_english`` when the output does not look English."""


@dataclass(frozen=True)
class CanaryVerdict:
    engine: str
    lines: tuple[CanaryLine, ...]
    seconds: float
    """How long the canary sentences took to translate."""

    @property
    def clean(self) -> int:
        return sum(1 for line in self.lines if not line.problems)

    @property
    def passed(self) -> bool:
        return self.clean >= CANARY_MIN_PASSED

    def sample(self, limit: int = 160) -> str:
        """The first failed sentence, what the model made of it, and why it failed."""
        line = next((line for line in self.lines if line.problems), self.lines[0])
        output = line.output if len(line.output) <= limit else line.output[:limit] + "…"
        return f"«{line.source}» came out as «{output}» ({', '.join(line.problems) or 'fine'})"

    def to_json(self) -> dict[str, Any]:
        return {"engine": self.engine, "passed": self.passed, "seconds": round(self.seconds, 3),
                "lines": [asdict(line) for line in self.lines]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CanaryVerdict:
        lines = tuple(CanaryLine(l["source"], l["output"], tuple(l["problems"])) for l in data["lines"])
        return cls(data["engine"], lines, float(data["seconds"]))


def check(
    reference: str | None,
    *,
    backend: str = "auto",
    device: str = "auto",
    notify: Callable[[str], None] = lambda message: None,
) -> tuple[LocatedModel, CanaryVerdict]:
    """Run the canary now on a model (``it2en models --check``), whatever is cached and
    whatever ``$IT2EN_CANARY`` says; the verdict replaces the cached one."""
    located = locate(resolve(reference), quiet=True)
    engine = load_engine(located, backend=backend, device=device, notify=notify)
    return located, canary_verdict(located, engine, fresh=True)


def canary_enabled() -> bool:
    return os.environ.get(CANARY_ENV, "").strip().lower() not in {"off", "0", "no", "false"}


def canary_problems(source: str, output: str) -> tuple[str, ...]:
    """What is wrong with ``output`` as the English of ``source``: the pipeline's own checks."""
    flags = check_translation(source, output)
    return tuple(flags if leans_english(output) else [*flags, "not_english"])


def run_canary(engine: Any) -> CanaryVerdict:
    """Translate :data:`CANARY_SENTENCES` with ``engine`` and judge each output."""
    start = time.perf_counter()
    outputs = engine.translate(list(CANARY_SENTENCES))
    seconds = time.perf_counter() - start
    lines = tuple(CanaryLine(s, o, canary_problems(s, o)) for s, o in zip(CANARY_SENTENCES, outputs))
    return CanaryVerdict(_engine_name(engine), lines, seconds)


def canary_verdict(located: LocatedModel, engine: Any, *, fresh: bool = False) -> CanaryVerdict:
    """The verdict on these weights with this engine: from the cache, else run now and cached.

    ``fresh``: run it even when a verdict is cached (``it2en models --check``, ``it2en download``).
    """
    path = _canary_cache_file(located, engine)
    if not fresh:
        try:
            cached = CanaryVerdict.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, KeyError, TypeError):
            cached = None  # none yet, or unreadable: run it again
        if cached is not None and tuple(line.source for line in cached.lines) == CANARY_SENTENCES:
            return cached  # (a verdict on other sentences, from another it2en version, is not)
    verdict = run_canary(engine)
    from it2en.writing import write_atomic

    try:
        write_atomic(path, json.dumps(verdict.to_json(), ensure_ascii=False, indent=1) + "\n")
    except It2enError:
        pass  # an unwritable cache costs a canary run next time, nothing else
    return verdict


def ensure_translates(
    located: LocatedModel,
    engine: Any,
    *,
    notify: Callable[[str], None] = lambda message: None,
    fresh: bool = False,
) -> CanaryVerdict | None:
    """Refuse a registry or hub model that fails the canary; warn about a local folder that does.

    Returns the verdict, or None when the canary is turned off (``$IT2EN_CANARY=off``).
    """
    if not canary_enabled():
        return None
    verdict = canary_verdict(located, engine, fresh=fresh)
    if verdict.passed:
        return verdict
    if located.spec.local_dir is not None:
        notify(f"Warning: {canary_failure(located, verdict)} Translating with it anyway, since it is "
               f"your own folder; set {CANARY_ENV}=off to skip this check.")
        return verdict
    raise canary_refusal(located, verdict)


def canary_failure(located: LocatedModel, verdict: CanaryVerdict) -> str:
    """One sentence: which model failed, how badly, and a sample of what it produced."""
    return (
        f"Model '{located.spec.name}' ({located.spec.label}, {verdict.engine} engine) cannot translate: "
        f"only {verdict.clean} of {len(verdict.lines)} built-in Italian test sentences came out as "
        f"plausible English ({CANARY_MIN_PASSED} needed); {verdict.sample()}."
    )


def canary_refusal(located: LocatedModel, verdict: CanaryVerdict) -> ModelUnavailableError:
    """The error for a model that failed the canary: the sample, and what to do next."""
    spec = located.spec
    if spec.local_dir is not None:
        advice = ("Check that the folder holds a trained Italian→English MarianMT model, saved with "
                  "save_pretrained() together with its tokenizer files.")
        reference = str(spec.local_dir)
    else:
        reference = spec.name if spec.name in load_catalog().models else f"{spec.hub_id}@{spec.revision}"
        advice = ("Its download may be damaged, or it may not be an Italian→English model: fetch it "
                  f"again with 'it2en download {reference}', or pick another model from 'it2en models'.")
    return ModelUnavailableError(
        f"{canary_failure(located, verdict)} {advice} "
        f"'it2en models --check {reference}' shows all it produced."
    )


def _engine_name(engine: Any) -> str:
    return getattr(engine, "name", type(engine).__name__)


def _canary_cache_file(located: LocatedModel, engine: Any) -> Path:
    from it2en.engines.factory import cache_root

    return cache_root() / "canary" / f"{located.cache_key}-{_engine_name(engine)}.json"
