"""HTTP layer wiring: blueprints, login manager, error pages."""

from __future__ import annotations

from flask import Flask

from crm.extensions import db, login_manager


def init_web(app: Flask) -> None:
    from crm.organisation.models import User

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None
