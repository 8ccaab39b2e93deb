"""The Flask shell: configuration, extensions, the core, then the enabled modules."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from apiflask import APIFlask
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app import auth, catalog, cli, errors, i18n, markdown, security, views
from app.config import INSTANCE, load
from app.extensions import babel, csrf, db, limiter, login_manager, migrate
from lms_core import accounts, models  # noqa: F401  (registers every core table on the metadata)
from lms_core.db import configure_engine
from lms_core.plugins.registry import Registry, resolve

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app. ``config`` overrides settings read from the environment (tests)."""
    app = APIFlask(
        __name__,
        title="HocVu API",
        version="1.0",
        spec_path="/api/v1/openapi.json",
        docs_path=None,
        json_errors=False,
        instance_path=str(INSTANCE),
    )
    app.config.update(load(config))
    if app.config["PROXY_COUNT"]:
        # Behind a reverse proxy: trust its X-Forwarded-For, so rate limits see real clients.
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config["SPEC_FORMAT"] = "json"
    app.config["INFO"] = {"description": "The JSON API of HocVu: everything the web UI does, headless."}
    INSTANCE.mkdir(exist_ok=True)
    logging.basicConfig(level=logging.INFO)

    accounts.PASSWORD_HASH_METHOD = app.config["PASSWORD_HASH_METHOD"]
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(ROOT / "app" / "translations")
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=lambda: app.config["TIMEZONE"])
    login_manager.init_app(app)

    registry = Registry()
    registry.load(app.config["MODULES"])
    app.extensions["hocvu_registry"] = registry

    security.init_app(app)
    errors.init_app(app)
    i18n.init_app(app)
    markdown.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(auth.bp)
    for api_blueprint in (auth.api, catalog.api):
        app.register_blueprint(api_blueprint)
        csrf.exempt(api_blueprint)
    for loaded in registry.modules:
        manifest = loaded.manifest
        for ref in manifest.blueprints:
            app.register_blueprint(resolve(ref))
        for ref in manifest.api_blueprints:
            blueprint = resolve(ref)
            app.register_blueprint(blueprint)
            csrf.exempt(blueprint)  # the JSON API authenticates with bearer tokens only
        for ref in manifest.csrf_exempt:
            csrf.exempt(resolve(ref))
        for ref in manifest.cli:
            app.cli.add_command(resolve(ref))
    cli.init_app(app)
    return app
