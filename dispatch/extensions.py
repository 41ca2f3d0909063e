"""Extensions are created unbound here and bound to an app in ``create_app``.

Keeping them unbound lets models, services and tests import them without an
application, and lets several apps (tests, CLI, gunicorn) share one module.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from flask_babel import Babel
from flask_migrate import Migrate
from flask_security import Security
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as _FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from dispatch.credentials import DoorstepPasswordUtil, SingleUseTotp

# Stable constraint names so that Alembic migrations can drop and alter them
# by name on every backend (SQLite batch mode needs them too).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Session(_FlaskSession):
    """Flask-SQLAlchemy's session, telling ``after_commit_returned`` hooks when a commit has returned.

    ``platform.transaction`` runs there what waited for the commit (the outbox): SQLAlchemy's own
    ``after_commit`` event fires while the session can emit no SQL.
    """

    after_commit_returned: ClassVar[list[Callable[[Session], None]]] = []

    def commit(self) -> None:
        super().commit()
        for hook in self.after_commit_returned:
            hook(self)


db = SQLAlchemy(model_class=Base, session_options={"class_": Session})
migrate = Migrate()
csrf = CSRFProtect()
babel = Babel()
security = Security(totp_cls=SingleUseTotp, password_util_cls=DoorstepPasswordUtil)
