"""Indicators computed in one place: pages, manager overviews and reports reuse them."""
