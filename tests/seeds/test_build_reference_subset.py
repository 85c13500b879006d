"""The committed subset (seeds/data) is exactly what the build script makes from the real files."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm.referentials.importer import BUILTIN_DIR, REFERENCE_TABLES
from seeds.build_reference_subset import main


def test_committed_subset_is_reproducible(
    shared_referentials: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main([str(shared_referentials), "--out", str(tmp_path)])

    for table in REFERENCE_TABLES:
        name = f"{table.name}.csv"
        assert (tmp_path / name).read_text(encoding="utf-8") == (BUILTIN_DIR / name).read_text(encoding="utf-8"), name
    assert "commune" in capsys.readouterr().out
