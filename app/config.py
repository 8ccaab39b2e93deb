"""Settings from the environment. See README.md, "Configuration"."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instance"

# Modules enabled by default, in any order (the registry sorts them by dependency).
DEFAULT_MODULES = [
    "hr",
    "quizzes",
    "courses",
    "checklists",
    "credits",
    "certificates",
    "plans",
    "reports",
    "notifications",
    "lrs",
]


class ConfigError(RuntimeError):
    pass


def _secret_key(environment: str) -> str:
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if environment == "production":
        raise ConfigError("SECRET_KEY must be set when HOCVU_ENV=production")
    # Development: generate once and keep it, so sessions survive a restart.
    key_file = INSTANCE / "secret_key"
    if not key_file.exists():
        INSTANCE.mkdir(exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def load(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    overrides = overrides or {}
    environment = overrides.get("HOCVU_ENV") or os.environ.get("HOCVU_ENV", "development")
    redis_url = overrides.get("REDIS_URL", os.environ.get("REDIS_URL"))
    modules = os.environ.get("HOCVU_MODULES")
    config: dict[str, Any] = {
        "HOCVU_ENV": environment,
        "SQLALCHEMY_DATABASE_URI": os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'hocvu.db'}"),
        "MODULES": modules.split(",") if modules else list(DEFAULT_MODULES),
        # The xAPI account homePage of every person, and the base of activity IRIs.
        "SITE_URL": os.environ.get("HOCVU_SITE_URL", "http://127.0.0.1:5000").rstrip("/"),
        "PERIOD_MINUTES": int(os.environ.get("HOCVU_PERIOD_MINUTES", "45")),
        "TIMEZONE": "Asia/Ho_Chi_Minh",
        "REDIS_URL": redis_url,
        "RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": os.environ.get("HOCVU_LOGIN_RATE_LIMIT", "30 per minute"),
        "PASSWORD_HASH_METHOD": "scrypt",
        # Number of reverse proxies in front of the app (X-Forwarded-For hops to trust).
        "PROXY_COUNT": int(os.environ.get("HOCVU_PROXY_COUNT", "0")),
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": environment == "production",
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ["vi", "en"],
        "VALIDATION_ERROR_STATUS_CODE": 400,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # E-mail for reminders; without SMTP_HOST they are in-app only.
        "SMTP_HOST": os.environ.get("SMTP_HOST"),
        "SMTP_PORT": os.environ.get("SMTP_PORT"),
        "SMTP_USERNAME": os.environ.get("SMTP_USERNAME"),
        "SMTP_PASSWORD": os.environ.get("SMTP_PASSWORD"),
        "SMTP_STARTTLS": os.environ.get("SMTP_STARTTLS", "false"),
        "SMTP_SSL": os.environ.get("SMTP_SSL", "false"),
        "SMTP_SENDER": os.environ.get("SMTP_SENDER", "hocvu@localhost"),
        "SMTP_TIMEOUT": os.environ.get("SMTP_TIMEOUT", "10"),
        "LRS_FORWARD_URL": os.environ.get("LRS_FORWARD_URL"),
        "LRS_FORWARD_KEY": os.environ.get("LRS_FORWARD_KEY"),
        "LRS_FORWARD_SECRET": os.environ.get("LRS_FORWARD_SECRET"),
    }
    config.update(overrides)
    if "SECRET_KEY" not in config:
        config["SECRET_KEY"] = _secret_key(environment)
    return config
