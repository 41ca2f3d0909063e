"""Doorstep's rules for the credentials Flask-Security checks: one-time codes used once, no e-mail as password.

Both classes plug into Flask-Security where it expects them to be extended
(``Security(totp_cls=..., password_util_cls=...)`` in ``dispatch.extensions``),
so its login, two-factor and change-password views apply them unchanged. This
module imports nothing of Doorstep: ``extensions`` imports it.

* ``SingleUseTotp``: Flask-Security accepts an authenticator code again for as
  long as it is valid (issue 23: the same code logged in twice). The time step
  of the last code accepted is stored on the user, and moving it forward is a
  conditional UPDATE, so of two requests racing with one code only the first
  wins (the second waits for the first's row lock, then finds the step used).
* ``DoorstepPasswordUtil``: zxcvbn scores ``fam2probedemo`` for the account
  ``fam2@probe.demo`` as a fine password; a password that is the account's
  e-mail, a piece of it, or holds its name part, in any case or punctuation,
  is refused.
"""
from __future__ import annotations

import unicodedata
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_security import PasswordUtil, Totp
from passlib.exc import UsedTokenError
from sqlalchemy.orm import object_session
from sqlalchemy.orm.attributes import set_committed_value

LAST_COUNTER = "tf_totp_last_counter"  # the user column holding the last accepted time step


class SingleUseTotp(Totp):
    """Flask-Security's TOTP with passlib's replay protection, the last step kept in the database."""

    def get_last_counter(self, user: Any) -> int | None:
        return getattr(user, LAST_COUNTER, None)

    def set_last_counter(self, user: Any, tmatch: Any) -> None:
        # Two-factor setup passes ``current_user``: the update needs the model behind the proxy.
        user = user._get_current_object() if hasattr(user, "_get_current_object") else user
        model = type(user)
        column = getattr(model, LAST_COUNTER)
        session = object_session(user)
        if session is None:  # a user not from the database (nothing to race with)
            setattr(user, LAST_COUNTER, tmatch.counter)
            return
        moved = session.execute(
            sa.update(model)
            .where(model.id == user.id, sa.or_(column.is_(None), column < tmatch.counter))
            .values({LAST_COUNTER: tmatch.counter})
            .execution_options(synchronize_session=False)
        ).rowcount
        if moved != 1:
            raise UsedTokenError()  # Flask-Security's verify_totp answers False: the code was used
        set_committed_value(user, LAST_COUNTER, tmatch.counter)


def _letters(text: str) -> str:
    """Lower-case letters and digits only: 'Fam2@Probe.Demo' and 'fam2probedemo' read alike."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def resembles_email(password: str, email: str) -> bool:
    """True when ``password`` is the e-mail, a piece of it, or contains its name part (3+ characters)."""
    spelled = _letters(password)
    if not spelled or not email:
        return False
    name = _letters(email.rpartition("@")[0] or email)
    return (len(name) >= 3 and name in spelled) or spelled in _letters(email)


class DoorstepPasswordUtil(PasswordUtil):
    """Flask-Security's checks (length, zxcvbn), then: not the account's own e-mail."""

    def validate(self, password: str, is_register: bool, **kwargs: Any) -> tuple[list | None, str]:
        errors, normalized = super().validate(password, is_register, **kwargs)
        email = kwargs.get("email") or getattr(kwargs.get("user"), "email", None)
        if isinstance(email, str) and resembles_email(normalized, email):
            errors = [str(_l("The password must not be your e-mail address or contain its name part."))]
        return errors, normalized
