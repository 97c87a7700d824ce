"""Italian-format numbers on the WMT newssyscomb2009 test set: does it2en's English form match
the human reference, and did the real opus-mt-it-en model get it right on its own?

For every Italian-format number of ``newssyscomb2009.ita`` (a decimal comma or dot thousands
groups: ``29,8``, ``83.000``, ``171,790``; times and versions such as ``17.00`` or ``1.4`` are
not Italian-format and not counted):

* **it2en**: the form it2en writes (``numbers.english_form``; an ambiguous number is left as
  it is) is right when that string is one of the numbers of the reference line (``.eng``).
* **model**: the real model's output line (``.ita-eng.output``, Marian opus-2019-12-18) is right
  when it holds a number that is also in the reference line and, read the English way, has the
  source number's value: the model wrote the number as the human did, in English form.

Both shares are also given over the numbers the reference writes in English form: where the
human translator copied the Italian form (``2.000 units``, ``3,90 meters``), no English form
can match it, and those lines are listed with the reason by ``--show``.

``--loose`` compares numbers without their digit grouping (``6,000``, ``6000`` and ``6 000``
are one number: a style, not a value). ``--show`` lists the misses with the three lines.

    python bench/number_format.py [--loose] [--show]

The corpus is $IT2EN_CORPUS, or ../shared/corpus beside the repository.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from it2en.fidelity import numbers  # noqa: E402

# A number in an English line: digits grouped by commas or (thin) spaces, an optional decimal part.
_ENGLISH_TOKEN = re.compile(r"(?<![\w.,])\d{1,3}(?:[, \u2009\u202f]\d{3})+(?:\.\d+)?(?![\w]|[.,]\d)"
                            r"|(?<![\w.,])\d+(?:[.,]\d+)*(?![\w]|[.,]\d)")


def corpus_dir() -> Path:
    return Path(os.environ.get("IT2EN_CORPUS") or ROOT.parent / "shared" / "corpus")


def _tokens(line: str, loose: bool) -> set[str]:
    found = set()
    for match in _ENGLISH_TOKEN.finditer(line):
        token = match.group(0)
        found.add(_plain(token) if loose else token)
    return found


def _plain(token: str) -> str:
    """A number without digit grouping (commas and spaces before three digits)."""
    return re.sub(r"[, \u2009\u202f](?=\d{3}(?!\d))", "", token)


def _value(token: str) -> Decimal | None:
    plain = _plain(token)
    return Decimal(plain) if re.fullmatch(r"\d+(?:\.\d+)?", plain) else None


def _values(core: str) -> set[Decimal]:
    """What an Italian-format number may mean: its Italian value (both readings when ambiguous)."""
    values = set()
    english = numbers.english_form(core) or core
    for form in {english, core.translate(str.maketrans(".,", ",."))}:
        value = _value(form)
        if value is not None:
            values.add(value)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loose", action="store_true", help="ignore digit grouping (6000 = 6,000 = 6 000)")
    parser.add_argument("--show", action="store_true", help="list the misses")
    args = parser.parse_args()
    folder = corpus_dir() / "opus-mt-outputs"
    italian = (folder / "newssyscomb2009.ita").read_text("utf-8").splitlines()
    reference = (folder / "newssyscomb2009.eng").read_text("utf-8").splitlines()
    model = (folder / "newssyscomb2009.ita-eng.output").read_text("utf-8").splitlines()
    total = it2en_right = model_right = 0
    english_ref = it2en_english = model_english = 0  # where the reference did convert the number
    misses = []
    for number, (source, ref, out) in enumerate(zip(italian, reference, model, strict=True), start=1):
        ref_tokens = _tokens(ref, args.loose)
        out_tokens = _tokens(out, args.loose)
        for match in numbers.ITALIAN_NUMBER.finditer(source):
            core = match.group(0)
            total += 1
            form = numbers.english_form(core, source[match.end():]) or core
            ours = (_plain(form) if args.loose else form) in ref_tokens
            values = _values(core)
            theirs = any(_value(t) in values for t in out_tokens & ref_tokens)
            it2en_right += ours
            model_right += theirs
            copied = core in ref.split() or re.search(r"(?<![\d.,])" + re.escape(core) + r"(?![\d]|[.,]\d)", ref)
            if not copied:
                english_ref += 1
                it2en_english += ours
                model_english += theirs
            if not (ours and theirs):
                misses.append((number, core, form, ours, theirs, bool(copied), source, ref, out))
    mode = "grouping ignored" if args.loose else "exact strings"
    print(f"newssyscomb2009 (502 lines): {total} Italian-format numbers; found in the human reference ({mode})")
    print(f"{'system':<40} {'right':>6} {'share':>8}")
    print(f"{'it2en (numbers.english_form)':<40} {it2en_right:>6} {it2en_right / total:>8.1%}")
    print(f"{'opus-mt-it-en alone (real outputs)':<40} {model_right:>6} {model_right / total:>8.1%}")
    print(f"where the reference writes the number in English form ({english_ref} of {total}; "
          f"in the others it copies the Italian form, 2.000 units):")
    print(f"{'it2en (numbers.english_form)':<40} {it2en_english:>6} {it2en_english / english_ref:>8.1%}")
    print(f"{'opus-mt-it-en alone (real outputs)':<40} {model_english:>6} {model_english / english_ref:>8.1%}")
    if args.show:
        for number, core, form, ours, theirs, copied, source, ref, out in misses:
            why = " (the reference copies the Italian form)" if copied else ""
            print(f"\nline {number}: {core} -> it2en {form!r} {'ok' if ours else 'MISS'}, "
                  f"model {'ok' if theirs else 'MISS'}{why}")
            print(f"  it:    {source}\n  ref:   {ref}\n  model: {out}")


if __name__ == "__main__":
    main()
