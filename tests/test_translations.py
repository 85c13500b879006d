"""Every interface text is in the English catalogue, translated and not fuzzy."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_ngettext": (1, 2), "N_": None}


def extracted() -> Catalog:
    """What ``make messages`` extracts (babel.cfg, with the lazy keywords)."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    catalog = Catalog(locale="en")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def english() -> Catalog:
    with (ROOT / "crm" / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale="en")


def test_extraction_finds_the_interface_texts() -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted() if m.id}
    assert {"Connexion", "Mon portefeuille", "Page introuvable", "Renforcé", "Conseiller emploi"} <= ids


def test_every_message_is_translated_in_english() -> None:
    catalogue = english()
    problems = []
    for message in extracted():
        if not message.id:
            continue
        entry = catalogue.get(message.id, context=message.context)
        where = ", ".join(f"{f}:{n}" for f, n in message.locations[:2])
        if entry is None:
            problems.append(f"missing: {message.id!r} ({where})")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        elif not entry.string or (isinstance(entry.string, tuple) and not all(entry.string)):
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, "run `make messages`, then translate:\n" + "\n".join(problems)


def test_catalogue_is_consistent_and_compiles() -> None:
    catalogue = english()
    errors = [(m.id, [str(e) for e in errs]) for m, errs in catalogue.check()]
    assert errors == []
    write_mo(BytesIO(), catalogue)
