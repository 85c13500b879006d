"""Flask-Babel: French by default, English available; the user's choice is remembered."""

from __future__ import annotations

from flask import Flask, current_app, request, session
from flask_login import current_user

from crm.extensions import babel

TRANSLATIONS_DIR = "translations"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in languages:
        return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"] if request else "fr"


def init_i18n(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS_DIR)
