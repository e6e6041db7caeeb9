"""Flask extensions, created once here and bound to the app in create_app."""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase
from werkzeug.local import LocalProxy

from .bank.reader import BankReader


class Base(DeclarativeBase):
    """Base class of the app database's models."""


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def _current_bank() -> BankReader:
    """Return the reader of the app's bank (BANK_PATH), made on first use."""
    readers = current_app.extensions.setdefault("interviewkit.bank", {})
    path = str(current_app.config["BANK_PATH"])
    if path not in readers:
        readers[path] = BankReader(path)
    return readers[path]


# The question bank of the current app, for views and services: `bank.search(...)`.
bank: BankReader = LocalProxy(_current_bank)  # type: ignore[assignment]
