"""Data exchange with other information systems: bulk CSV import and export (issue 5)."""
