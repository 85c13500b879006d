"""Flask-Babel: French by default, English available; the user's choice is remembered."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, session
from flask_login import current_user

from crm.extensions import babel

TRANSLATIONS_DIR = "translations"

# Shown in the language switch, each in its own language.
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def select_locale() -> str:
    """Session choice, then the user's saved preference, then the default (French)."""
    languages = current_app.config["LANGUAGES"]
    default = current_app.config["BABEL_DEFAULT_LOCALE"]
    if not has_request_context():  # CLI, background jobs
        return default
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return default


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS_DIR)
