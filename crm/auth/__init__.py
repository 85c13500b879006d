"""Staff accounts: login, logout, password management (CLI)."""
