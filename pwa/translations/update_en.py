"""Merge translations into the English catalogue: ``python -m pwa.translations.update_en FILE``.

FILE is a Python module defining ``T = {msgid: translation}``. Developers run
``make translations-update`` first (extract + update), then fill what is missing.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOGUE = Path(__file__).parent / "en" / "LC_MESSAGES" / "messages.po"


def main(source: str) -> None:
    translations = runpy.run_path(source)["T"]
    with CATALOGUE.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if message.id and message.id in translations:
            message.string = translations[message.id]
            message.flags.discard("fuzzy")
    with CATALOGUE.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)


if __name__ == "__main__":
    main(sys.argv[1])
