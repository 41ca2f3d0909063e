"""Each person's choice of how Doorstep tells them things: channels, addresses, language.

A family member decides whether news about their relative arrives by e-mail,
SMS or WeChat, at which address, and in which language. Without a saved
choice they get e-mail at their account address (``notifications._channels_for``),
so saving the page's defaults changes nothing they receive.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from dispatch.extensions import db
from dispatch.models.notification import NotificationPreference
from dispatch.models.user import User
from dispatch.platform import audit
from dispatch.platform.errors import FieldError
from dispatch.platform.i18n import LANGUAGES

PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,30}$")
WECHAT_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]{5,63}$")  # WeChat's own rule: 6-20 chars, letter first


@dataclass(frozen=True)
class Settings:
    """What the settings page shows and saves; ``None`` addresses mean the account's own."""

    email_enabled: bool = True
    email: str | None = None
    sms_enabled: bool = False
    phone: str | None = None
    wechat_enabled: bool = False
    wechat_id: str | None = None
    locale: str | None = None


def settings_for(user: User) -> Settings:
    """The saved choice, or the defaults a person without one receives."""
    pref = _preference(user)
    if pref is None:
        return Settings(locale=user.locale)
    return Settings(email_enabled=pref.email_enabled, email=pref.email, sms_enabled=pref.sms_enabled,
                    phone=pref.phone, wechat_enabled=pref.wechat_enabled, wechat_id=pref.wechat_id,
                    locale=user.locale)


def _preference(user: User) -> NotificationPreference | None:
    return db.session.scalar(sa.select(NotificationPreference).where(NotificationPreference.user_id == user.id))


def _clean(value: str | None) -> str | None:
    value = " ".join((value or "").split())
    return value or None


def validate(user: User, wanted: Settings) -> Settings:
    """The same choice, cleaned; a ``FieldError`` names the first field that cannot work."""
    email, phone, wechat_id = _clean(wanted.email), _clean(wanted.phone), _clean(wanted.wechat_id)
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            raise FieldError("email", _("Enter an e-mail address such as name@example.org.")) from None
    if phone is not None and not PHONE.match(phone):
        raise FieldError("phone", _("Enter a phone number in digits, e.g. +86 139 0000 0000."))
    if wechat_id is not None and not WECHAT_ID.match(wechat_id):
        raise FieldError("wechat_id", _("A WeChat ID starts with a letter and has 6 to 64 letters, digits, - or _."))
    if wanted.email_enabled and not (email or user.email):
        raise FieldError("email", _("Give an e-mail address to receive e-mail."))
    if wanted.sms_enabled and not (phone or user.phone):
        raise FieldError("phone", _("Give a mobile number to receive text messages."))
    if wanted.wechat_enabled and not wechat_id:
        raise FieldError("wechat_id", _("Give your WeChat ID to receive WeChat messages."))
    if wanted.locale is not None and wanted.locale not in LANGUAGES:
        raise FieldError("locale", _("Choose one of the languages offered."))
    return Settings(email_enabled=wanted.email_enabled, email=email, sms_enabled=wanted.sms_enabled, phone=phone,
                    wechat_enabled=wanted.wechat_enabled, wechat_id=wechat_id, locale=wanted.locale)


def save(user: User, wanted: Settings) -> Settings:
    """Check and store the choice in one transaction; later messages follow it."""
    clean = validate(user, wanted)
    pref = _preference(user) or NotificationPreference(user_id=user.id)
    pref.email_enabled, pref.email = clean.email_enabled, clean.email
    pref.sms_enabled, pref.phone = clean.sms_enabled, clean.phone
    pref.wechat_enabled, pref.wechat_id = clean.wechat_enabled, clean.wechat_id
    user.locale = clean.locale
    db.session.add(pref)
    audit.record("notification_preference.update", user=user, entity_type="user", entity_id=user.id,
                 detail={"channels": [c for c, on in (("email", clean.email_enabled), ("sms", clean.sms_enabled),
                                                      ("wechat", clean.wechat_enabled)) if on]})
    db.session.flush()
    return clean


def channels_in_use(settings: Settings) -> int:
    return sum((settings.email_enabled, settings.sms_enabled, settings.wechat_enabled))
