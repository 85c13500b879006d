import pytest

from crm.web.urls import safe_next_url


@pytest.mark.parametrize("target", ["/", "/jobseekers/12", "/?q=a&b=c", "/a#section"])
def test_local_paths_are_kept(target: str) -> None:
    assert safe_next_url(target) == target


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example", "//evil.example", "/\\evil.example", "\\\\evil.example",
    "javascript:alert(1)", "evil.example/path", "/path\nLocation: x", "http:/evil.example",
])
def test_anything_else_is_refused(target: str | None) -> None:
    assert safe_next_url(target) is None
