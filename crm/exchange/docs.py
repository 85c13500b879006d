"""The reference part of docs/import-format.md, generated from ``formats``.

``python -m crm.exchange.docs`` rewrites the text between the two markers of the file;
a test fails when the file and the specs disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from crm.exchange.formats import FILES, enumerations

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "import-format.md"
BEGIN = "<!-- BEGIN GENERATED: python -m crm.exchange.docs -->"
END = "<!-- END GENERATED -->"


def reference_markdown() -> str:
    lines: list[str] = []
    for spec in FILES:
        lines += [f"### `{spec.filename}`", "", spec.doc, "",
                  "| column | mandatory | required | type | notes |", "|---|---|---|---|---|"]
        for column in spec.columns:
            notes = column.doc
            if column.default not in (None, [], {}):
                default = str(column.default).lower() if isinstance(column.default, bool) else column.default
                notes = f"{notes}; default `{default}`" if notes else f"default `{default}`"
            lines.append(f"| `{column.name}` | {'yes' if column.mandatory else ''} | "
                         f"{'yes' if column.required else ''} | {column.kind.doc} | {notes} |")
        lines.append("")
    lines += ["### Enumerations", "", "Values are matched case-insensitively and written in lower case "
              "(registration categories in upper case).", ""]
    for name, values in enumerations().items():
        lines.append(f"- **`{name}`**: " + ", ".join(f"`{value}`" for value in values))
    return "\n".join(lines) + "\n"


def with_reference(text: str) -> str:
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[:start] + "\n" + reference_markdown() + text[end:]


if __name__ == "__main__":  # pragma: no cover
    DOC_PATH.write_text(with_reference(DOC_PATH.read_text(encoding="utf-8")), encoding="utf-8")
    sys.stdout.write(f"updated {DOC_PATH}\n")
