"""docs/import-format.md lists every file, column and enumeration value of ``formats``."""

from __future__ import annotations

from crm.exchange.docs import DOC_PATH, reference_markdown, with_reference
from crm.exchange.formats import FILES, enumerations


def test_the_documentation_matches_the_specs() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    assert text == with_reference(text), "run `python -m crm.exchange.docs` to regenerate docs/import-format.md"


def test_every_enumeration_value_and_column_is_documented() -> None:
    text = DOC_PATH.read_text(encoding="utf-8")
    for name, values in enumerations().items():
        line = next(line for line in text.splitlines() if line.startswith(f"- **`{name}`**"))
        assert line.split(": ", 1)[1] == ", ".join(f"`{value}`" for value in values)
    for spec in FILES:
        assert f"### `{spec.filename}`" in text
        for column in spec.columns:
            assert f"| `{column.name}` |" in reference_markdown()
    assert {"Direction", "InteractionKind", "Role", "Modality", "ItemKind", "ProposalResponse",
            "ProposalOutcome", "OutcomeKind", "CatalogueKind", "PartyKind"} <= set(enumerations())
    assert enumerations()["Direction"] == ["in", "out"]
