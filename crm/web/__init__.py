"""HTTP layer wiring: blueprints, login manager, error pages, template helpers."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from crm.extensions import db, login_manager


def init_web(app: Flask) -> None:
    from crm.agency.views import bp as agency_bp
    from crm.audit.views import bp as audit_bp
    from crm.auth.views import bp as auth_bp
    from crm.employers.views import bp as employers_bp
    from crm.catalogue.views import bp as events_bp
    from crm.gdpr.views import bp as gdpr_bp
    from crm.i18n import LANGUAGE_NAMES
    from crm.interactions.views import bp as timeline_bp
    from crm.jobseekers.access_reasons import bp as file_access_bp
    from crm.jobseekers.portfolio_views import bp as portfolio_bp
    from crm.jobseekers.views import bp as jobseekers_bp
    from crm.labels import label
    from crm.modelhealth.views import bp as modelhealth_bp
    from crm.offers.views import bp as offers_bp
    from crm.organisation.models import User
    from crm.priority.views import bp as priority_bp
    from crm.recommendations.views import bp as recommendations_bp
    from crm.referentials.views import bp as referentials_bp
    from crm.teams.views import bp as teams_bp
    from crm.web.errors import register_error_handlers
    from crm.web.navigation import navigation_for
    from crm.web.security import init_security
    from crm.web.views import bp as web_bp

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        return db.session.get(User, int(user_id)) if user_id.isdigit() else None

    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Connectez-vous pour accéder à cette page.")
    login_manager.login_message_category = "info"
    # The message is a lazy string: evaluate it in the request's language before flashing
    # (a lazy object cannot be stored in the session cookie).
    login_manager.localize_callback = str

    app.register_blueprint(web_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(timeline_bp)
    app.register_blueprint(portfolio_bp)
    app.register_blueprint(jobseekers_bp)
    app.register_blueprint(referentials_bp)
    app.register_blueprint(employers_bp)
    app.register_blueprint(offers_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(priority_bp)
    app.register_blueprint(teams_bp)
    app.register_blueprint(modelhealth_bp)
    app.register_blueprint(agency_bp)
    app.register_blueprint(gdpr_bp)
    app.register_blueprint(file_access_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(recommendations_bp)
    register_error_handlers(app)
    init_security(app)

    app.add_template_filter(label, "label")

    @app.context_processor
    def shell_context() -> dict[str, Any]:
        locale = get_locale()
        return {
            "navigation": navigation_for(current_user),
            "current_locale": locale.language if locale else app.config["BABEL_DEFAULT_LOCALE"],
            "language_names": {code: LANGUAGE_NAMES.get(code, code) for code in app.config["LANGUAGES"]},
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
