"""The user's own terms: fixed translations (``Consiglio dei Ministri`` → ``Council of
Ministers``) and names that must not be translated (``Il Sole 24 Ore``).

A glossary file is one of:

* **TSV** (``.tsv``) or **CSV** (``.csv``; any other suffix: TSV when the header has a tab),
  UTF-8, with a header row naming the columns ``it`` and ``en`` (others are ignored); an empty
  ``en`` means "keep as is";
* **TOML** (``.toml``): a ``[terms]`` table, ``"Consiglio dei Ministri" = "Council of
  Ministers"``, ``"Il Sole 24 Ore" = ""``.

:func:`check` lists a file's problems with their line numbers (an empty term, the same term
twice, one term with two translations, a missing header); :func:`load` refuses a file with any
(exit 65, as for any malformed input). Several files may be given: a later file's entry for a
term replaces an earlier file's.

Matching (:meth:`Glossary.find`) is case-insensitive, on word boundaries, longest term first,
any run of spaces matching any other, ``'`` matching ``’``. A term after an elided article
(``dell'Istituto Superiore di Sanità``) or at the start of a sentence matches; plural forms are
entries of their own. A matched term is masked like a URL (``placeholders.protect``'s
``terms``) and put back as the English term, so the sentence around it stays the model's and
the term is verbatim; a "keep as is" term is put back as written in the source.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from it2en.errors import GlossaryError

__all__ = ["Entry", "Match", "Problem", "Glossary", "check", "load", "default_paths",
           "capitalise_start", "GLOSSARY_ENV"]

GLOSSARY_ENV = "IT2EN_GLOSSARY"
DEFAULT_NAMES = ("glossary.tsv", "glossary.csv", "glossary.toml")


@dataclass(frozen=True)
class Entry:
    it: str
    en: str
    """The English term; empty: keep the Italian as written."""
    line: int = 0
    path: str = ""

    @property
    def pair(self) -> tuple[str, str]:
        return (self.it, self.en)


@dataclass(frozen=True)
class Match:
    entry: Entry
    start: int
    end: int
    text: str
    """The words as written in the sentence."""

    @property
    def replacement(self) -> str:
        return self.entry.en or self.text

    @property
    def span(self) -> tuple[int, int, str, str]:
        """The shape ``placeholders.protect(terms=...)`` takes."""
        return (self.start, self.end, "glossary", self.replacement)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}: line {self.line}: {self.message}" if self.line else f"{self.path}: {self.message}"


def _key(term: str) -> str:
    return " ".join(term.replace("’", "'").split()).casefold()


def _pattern(term: str) -> str:
    words = [re.escape(w).replace("'", "['’]") for w in term.replace("’", "'").split()]
    return r"\s+".join(words)


class Glossary:
    """Entries and the one regular expression that finds them, longest first."""

    def __init__(self, entries: Iterable[Entry]) -> None:
        by_key: dict[str, Entry] = {}
        for entry in entries:
            by_key[_key(entry.it)] = entry  # a later file's entry replaces an earlier one's
        self.entries = list(by_key.values())
        self._by_key = by_key
        ordered = sorted(self.entries, key=lambda e: len(_key(e.it)), reverse=True)
        self._regex = (re.compile(r"(?<!\w)(?:" + "|".join(_pattern(e.it) for e in ordered) + r")(?!\w)",
                                  re.IGNORECASE) if ordered else None)

    def __len__(self) -> int:
        return len(self.entries)

    def find(self, text: str) -> list[Match]:
        """The glossary terms in ``text``, left to right, not overlapping, longest first."""
        if self._regex is None:
            return []
        return [Match(self._by_key[_key(m.group(0))], m.start(), m.end(), m.group(0))
                for m in self._regex.finditer(text)]


# ---------------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------------


def _read(path: Path) -> tuple[list[Entry], list[Problem]]:
    from it2en.reading import read_input

    text = read_input(str(path))
    name = str(path)
    if path.suffix.lower() == ".toml":
        return _read_toml(text, name)
    first = text.split("\n", 1)[0]
    delimiter = "," if path.suffix.lower() == ".csv" or (path.suffix.lower() != ".tsv" and "\t" not in first) else "\t"
    return _read_table(text, name, delimiter)


def _read_table(text: str, name: str, delimiter: str) -> tuple[list[Entry], list[Problem]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as error:
        return [], [Problem(name, reader.line_num, f"not readable as {'CSV' if delimiter == ',' else 'TSV'}: {error}")]
    rows = [(n, row) for n, row in rows if any(cell.strip() for cell in row)]
    if not rows:
        return [], [Problem(name, 0, "empty: a glossary needs a header row with 'it' and 'en' columns")]
    line, header = rows[0]
    columns = [cell.strip().lstrip("\ufeff").casefold() for cell in header]
    if "it" not in columns or "en" not in columns:
        return [], [Problem(name, line, f"the header must name the columns 'it' and 'en' (found: {', '.join(header)})")]
    it_at, en_at = columns.index("it"), columns.index("en")
    entries, problems = [], []
    for line, row in rows[1:]:
        it = row[it_at].strip() if it_at < len(row) else ""
        en = row[en_at].strip() if en_at < len(row) else ""
        if not it:
            problems.append(Problem(name, line, "empty Italian term" + (f" (English: {en!r})" if en else "")))
            continue
        entries.append(Entry(it, en, line, name))
    return entries, problems


def _read_toml(text: str, name: str) -> tuple[list[Entry], list[Problem]]:
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"line (\d+)", str(error))
        return [], [Problem(name, int(match.group(1)) if match else 0, f"not valid TOML: {error}")]
    terms = data.get("terms")
    if not isinstance(terms, dict):
        return [], [Problem(name, 0, "a TOML glossary needs a [terms] table: \"Italian term\" = \"English term\"")]
    lines = text.splitlines()
    entries, problems = [], []
    for it, en in terms.items():
        line = next((n for n, raw in enumerate(lines, start=1)
                     if raw.strip().startswith((f'"{it}"', f"'{it}'", f"{it} =", f"{it}="))), 0)
        if not isinstance(en, str):
            problems.append(Problem(name, line, f"the English term for {it!r} must be a string"))
        elif not it.strip():
            problems.append(Problem(name, line, "empty Italian term"))
        else:
            entries.append(Entry(it.strip(), en.strip(), line, name))
    return entries, problems


def _duplicates(entries: Sequence[Entry]) -> list[Problem]:
    seen: dict[str, Entry] = {}
    problems = []
    for entry in entries:
        first = seen.get(_key(entry.it))
        if first is None:
            seen[_key(entry.it)] = entry
        elif first.en == entry.en:
            problems.append(Problem(entry.path, entry.line, f"duplicate of line {first.line}: {entry.it!r}"))
        else:
            problems.append(Problem(entry.path, entry.line,
                                    f"conflicts with line {first.line}: {entry.it!r} is {entry.en!r} here, "
                                    f"{first.en!r} there"))
    return problems


def check(path: str | Path) -> tuple[list[Entry], list[Problem]]:
    """A glossary file's entries and its problems (empty terms, duplicates, conflicts, a bad
    header or syntax), each with its line number. Raises ``InputMissingError`` for a missing
    file and ``InputDecodeError`` for one that is not UTF-8 text."""
    entries, problems = _read(Path(path))
    problems += _duplicates(entries)
    return entries, sorted(problems, key=lambda p: p.line)


def load(paths: Iterable[str | Path]) -> Glossary:
    """One glossary from several files (a later file's entry for a term wins). Raises
    :class:`~it2en.errors.GlossaryError` (exit 65) when a file has any problem."""
    entries: list[Entry] = []
    for path in paths:
        found, problems = check(path)
        if problems:
            more = f" (and {len(problems) - 1} more: it2en glossary check {path})" if len(problems) > 1 else ""
            raise GlossaryError(f"glossary {problems[0]}{more}")
        entries += found
    return Glossary(entries)


def default_paths() -> list[Path]:
    """The default glossary: ``$IT2EN_GLOSSARY`` when set (empty: none), else the first of
    ``glossary.tsv``, ``glossary.csv``, ``glossary.toml`` in the user's config folder
    (platformdirs: ``~/.config/it2en/`` on Linux)."""
    env = os.environ.get(GLOSSARY_ENV)
    if env is not None:
        return [Path(env)] if env.strip() else []
    from platformdirs import user_config_path

    folder = user_config_path("it2en")
    for name in DEFAULT_NAMES:
        if (folder / name).is_file():
            return [folder / name]
    return []


def capitalise_start(text: str, terms: Sequence[str]) -> str:
    """``text`` with a capital first letter when it begins with one of the English ``terms``
    written in lower case (``hoax`` → ``Hoax is …``): a term put back at the start of a
    sentence."""
    body = text.lstrip("\"'“‘«([ ")
    lead = text[: len(text) - len(body)]
    for term in terms:
        if term and term[0].islower() and body.startswith(term):
            return lead + term[0].upper() + body[1:]
    return text
