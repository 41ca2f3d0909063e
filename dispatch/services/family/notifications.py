"""Telling families (and site staff) what happened: the outbox and its delivery.

Two halves, on either side of the caller's commit:

* ``emit(event, senior_id=..., payload=...)`` adds one outbox row per linked
  family member and chosen channel. It only flushes: the rows commit or roll
  back with the change they describe, so a rolled-back approval sends nothing.
* ``deliver_pending()`` runs after the commit (``jobs.enqueue(deliver_pending)``,
  ``flask notifications deliver``, or an RQ worker) and sends due rows through
  the channel senders, counting attempts and backing off; a row that keeps
  failing ends ``failed`` with its last error, never deleted.

Senders sit behind one small interface (``Sender.send(message)``). E-mail goes
over SMTP; SMS and WeChat are interfaces awaiting a provider: their default
implementation only logs the message (and so counts it as sent) until one is
plugged into ``senders_from_config``.

Messages are rendered in each recipient's language (``User.locale``, else
``DEFAULT_LANGUAGE``) at send time, from ``templates/notifications/``. Payloads
hold only what a family may see: callers build them with ``request_payload``.
"""
from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from typing import Any, Protocol

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from dispatch.extensions import db
from dispatch.models.notification import (
    Channel,
    Notification,
    NotificationEvent,
    NotificationPreference,
    NotificationStatus,
)
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.user import Role, RoleName, StaffSite, User, roles_users
from dispatch.platform import clock, transaction
from dispatch.platform.labels import label

log = logging.getLogger(__name__)

# Subject lines; %(senior)s is the senior's name in the recipient's language.
SUBJECTS: dict[NotificationEvent, Any] = {
    NotificationEvent.REQUEST_APPROVED: _l("%(senior)s: your request was approved"),
    NotificationEvent.REQUEST_DECLINED: _l("%(senior)s: your request was declined"),
    NotificationEvent.REQUEST_CANCELLED: _l("%(senior)s: a visit was cancelled"),
    NotificationEvent.REQUEST_RESCHEDULED: _l("%(senior)s: a visit was moved to another time"),
    NotificationEvent.VISIT_SCHEDULED: _l("%(senior)s: a visit is scheduled"),
    NotificationEvent.ON_THE_WAY: _l("%(senior)s: the worker is on the way"),
    NotificationEvent.VISIT_COMPLETED: _l("%(senior)s: the visit is completed"),
    NotificationEvent.MEAL_DELIVERED: _l("%(senior)s: the meal was delivered"),
    NotificationEvent.NOT_HOME: _l("%(senior)s was not at home"),
    NotificationEvent.WELFARE_ALERT: _l("%(senior)s: welfare alert"),
    NotificationEvent.STAFF_URGENT_REQUEST: _l("URGENT: emergency assistance asked for %(senior)s"),
    NotificationEvent.STAFF_ENROLLMENT_REQUEST: _l("%(senior)s: family asks for meal delivery"),
    # To a worker (no senior): the payload names the site, date and hours.
    NotificationEvent.SHIFT_OFFER: _l("A volunteer shift needs you: first to accept gets it"),
    NotificationEvent.SHIFT_REMINDER: _l("Reminder: your volunteer shift is soon"),
    # To the district's administrators.
    NotificationEvent.DISTRICT_VISIT_OVERDUE: _l("Welfare visit long overdue: %(senior)s"),
}
STAFF_EVENTS = frozenset({NotificationEvent.STAFF_URGENT_REQUEST, NotificationEvent.STAFF_ENROLLMENT_REQUEST,
                          NotificationEvent.DISTRICT_VISIT_OVERDUE})


# Senders ------------------------------------------------------------------------

@dataclass(frozen=True)
class OutgoingMessage:
    """One rendered message, ready for a channel."""

    to: str
    subject: str
    body: str
    notification_id: int | None = None


class Sender(Protocol):
    """A channel's way out. ``send`` returns when the provider accepted the message, raises otherwise."""

    def send(self, message: OutgoingMessage) -> None: ...


class EmailSender:
    """E-mail over SMTP (``MAIL_SERVER``, ``MAIL_PORT``, ``MAIL_USE_TLS``, ``MAIL_FROM``)."""

    def __init__(self, server: str, port: int, *, use_tls: bool = False, from_addr: str,
                 username: str = "", password: str = "", timeout: float = 10.0) -> None:
        self.server, self.port, self.use_tls = server, port, use_tls
        self.from_addr, self.username, self.password, self.timeout = from_addr, username, password, timeout

    def send(self, message: OutgoingMessage) -> None:
        email = EmailMessage()
        email["From"] = self.from_addr
        email["To"] = message.to
        email["Subject"] = message.subject
        if message.notification_id is not None:
            # Lets a receiving system drop a copy sent twice after a crash between send and commit.
            email["X-Doorstep-Notification"] = str(message.notification_id)
        email.set_content(message.body)
        with smtplib.SMTP(self.server, self.port, timeout=self.timeout) as smtp:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(email)


class LoggingSender:
    """Stand-in for a channel with no provider yet: logs the message and treats it as sent.

    SMS and WeChat use this until a provider's sender (same ``send`` method)
    is plugged into ``senders_from_config``; e-mail uses it when ``MAIL_SERVER``
    is empty (the demo).
    """

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def send(self, message: OutgoingMessage) -> None:
        log.info("[%s, no provider configured] to=%s subject=%s", self.channel, message.to, message.subject)


class SmsSender(LoggingSender):
    """SMS interface awaiting a provider (e.g. an SMS gateway's HTTP API); logs for now."""

    def __init__(self) -> None:
        super().__init__(Channel.SMS)


class WeChatSender(LoggingSender):
    """WeChat template-message interface awaiting an official-account provider; logs for now."""

    def __init__(self) -> None:
        super().__init__(Channel.WECHAT)


def senders_from_config(config: Mapping[str, Any]) -> dict[Channel, Sender]:
    """The sender for each channel as the app is configured."""
    email: Sender
    if config.get("MAIL_SERVER"):
        email = EmailSender(
            config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
            use_tls=bool(config.get("MAIL_USE_TLS")), from_addr=config.get("MAIL_FROM") or "doorstep@localhost",
            username=config.get("MAIL_USERNAME") or "", password=config.get("MAIL_PASSWORD") or "",
        )
    else:
        email = LoggingSender(Channel.EMAIL)
    return {Channel.EMAIL: email, Channel.SMS: SmsSender(), Channel.WECHAT: WeChatSender()}


# Emitting (inside the caller's transaction) -----------------------------------------

def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return getattr(value, "value", value)


def _channels_for(user: User, pref: NotificationPreference | None) -> list[tuple[Channel, str]]:
    """The (channel, address) pairs this person wants and has an address for."""
    if pref is None:
        return [(Channel.EMAIL, user.email)] if user.email else []
    wanted = [
        (Channel.EMAIL, pref.email_enabled, pref.email or user.email),
        (Channel.SMS, pref.sms_enabled, pref.phone or user.phone),
        (Channel.WECHAT, pref.wechat_enabled, pref.wechat_id),
    ]
    return [(channel, address) for channel, on, address in wanted if on and address]


def add_rows(event: NotificationEvent, users: Iterable[User], senior_id: int | None,
              payload: dict[str, Any]) -> list[Notification]:
    users = [u for u in users if u.active]
    prefs = {
        p.user_id: p for p in db.session.scalars(
            sa.select(NotificationPreference).where(NotificationPreference.user_id.in_([u.id for u in users]))
        )
    } if users else {}
    rows = []
    for user in users:
        for channel, address in _channels_for(user, prefs.get(user.id)):
            row = Notification(event=event, user_id=user.id, senior_id=senior_id, channel=channel,
                               address=address, payload=payload, status=NotificationStatus.PENDING, attempts=0)
            db.session.add(row)
            rows.append(row)
    db.session.flush()
    return rows


def _senior_payload(senior_id: int, payload: Mapping[str, Any] | None) -> dict[str, Any]:
    data = _jsonable(dict(payload or {}))
    if "senior_name" not in data:
        senior = db.session.get(Senior, senior_id)
        if senior is not None:
            data["senior_name"] = senior.full_name
            data["senior_name_zh"] = senior.full_name_zh
    return data


def emit(event: NotificationEvent | str, *, senior_id: int, payload: Mapping[str, Any] | None = None,
         exclude_user_id: int | None = None) -> list[Notification]:
    """Queue ``event`` for every active family member linked to the senior (flush only).

    ``exclude_user_id`` skips the person who caused the event (no mail about
    your own cancellation). Call inside the transaction that makes the change,
    then run ``deliver_pending`` after its commit.
    """
    event = NotificationEvent(event)
    users = db.session.scalars(
        sa.select(User).join(FamilyLink, FamilyLink.user_id == User.id)
        .where(FamilyLink.senior_id == senior_id)
        .order_by(User.id)
    ).all()
    users = [u for u in users if u.id != exclude_user_id]
    return add_rows(event, users, senior_id, _senior_payload(senior_id, payload))


def emit_to_site_staff(event: NotificationEvent | str, *, site_id: int, senior_id: int | None = None,
                       payload: Mapping[str, Any] | None = None) -> list[Notification]:
    """Queue ``event`` for the staff who manage ``site_id`` (flush only), e.g. an urgent request."""
    event = NotificationEvent(event)
    users = db.session.scalars(
        sa.select(User).join(StaffSite, StaffSite.user_id == User.id)
        .where(StaffSite.site_id == site_id).order_by(User.id)
    ).all()
    data = _senior_payload(senior_id, payload) if senior_id is not None else _jsonable(dict(payload or {}))
    return add_rows(event, users, senior_id, data)


def emit_to_administrators(event: NotificationEvent | str, *, senior_id: int | None = None,
                           payload: Mapping[str, Any] | None = None) -> list[Notification]:
    """Queue ``event`` for the district's administrators (the admin role; flush only)."""
    event = NotificationEvent(event)
    users = db.session.scalars(sa.select(User).join(roles_users, roles_users.c.user_id == User.id)
                               .join(Role, Role.id == roles_users.c.role_id)
                               .where(Role.name == RoleName.ADMIN.value).order_by(User.id)).all()
    data = _senior_payload(senior_id, payload) if senior_id is not None else _jsonable(dict(payload or {}))
    return add_rows(event, users, senior_id, data)


def request_payload(request, **extra: Any) -> dict[str, Any]:
    """What a family may read about a service request: service, day, window, family-facing reason.

    Never the staff's notes, priority or who approved; ``extra`` adds e.g.
    ``eta_start``/``eta_end`` (site-local times) or an ``outcome`` and its note.
    """
    data = {
        "request_id": request.id,
        "service": request.service_type.value,
        "date": request.requested_date.isoformat(),
        "window_start": request.window_start.strftime("%H:%M"),
        "window_end": request.window_end.strftime("%H:%M"),
    }
    if request.status_reason:
        data["reason"] = request.status_reason
    data.update(_jsonable(extra))
    return data


def emit_for_request(event: NotificationEvent | str, request, *, exclude_user_id: int | None = None,
                     **extra: Any) -> list[Notification]:
    """``emit`` for a service request's family, with ``request_payload`` (flush only)."""
    return emit(event, senior_id=request.senior_id, payload=request_payload(request, **extra),
                exclude_user_id=exclude_user_id)


# Rendering and delivering (after the commit) ------------------------------------------

def _locale_for(user: User) -> str:
    return user.locale or current_app.config.get("DEFAULT_LANGUAGE") or "en"


def render(notification: Notification) -> OutgoingMessage:
    """The message in the recipient's language; e-mail gets the full body, SMS/WeChat one line."""
    user = notification.user
    payload = dict(notification.payload or {})
    locale = _locale_for(user)
    with force_locale(locale):
        senior = payload.get("senior_name") or ""
        if locale.startswith("zh") and payload.get("senior_name_zh"):
            senior = payload["senior_name_zh"]
        subject = str(SUBJECTS[notification.event] % {"senior": senior})
        context = dict(n=notification, p=payload, senior=senior, subject=subject, user=user,
                       for_staff=notification.event in STAFF_EVENTS,
                       parse_date=date.fromisoformat, parse_time=time.fromisoformat, label=label)
        # Straight from the Jinja environment: no request, so no request-bound context processors.
        name = "notifications/email.txt" if notification.channel == Channel.EMAIL else "notifications/short.txt"
        body = current_app.jinja_env.get_template(name).render(**context).strip() + "\n"
    return OutgoingMessage(to=notification.address, subject=subject, body=body, notification_id=notification.id)


def _due(now: datetime, limit: int) -> sa.Select:
    query = (
        sa.select(Notification.id)
        .where(
            Notification.status == NotificationStatus.PENDING,
            sa.or_(Notification.next_attempt_dt.is_(None), Notification.next_attempt_dt <= now),
        )
        .order_by(Notification.id)
        .limit(limit)
    )
    return query


@dataclass
class DeliveryReport:
    """What one ``deliver_pending`` run did (for the CLI and the tests)."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_pending(now: datetime | None = None, *, senders: Mapping[Channel, Sender] | None = None,
                    limit: int = 200, sent_at: Callable[[], datetime] = clock.now) -> DeliveryReport:
    """Send due outbox rows, committing each row's outcome on its own.

    Committing per row means a crash half-way never re-sends the rows already
    sent. On PostgreSQL each row is locked with SKIP LOCKED, so two workers
    delivering at once never send the same row twice. A failure counts an
    attempt and waits ``NOTIFY_RETRY_MINUTES`` × attempts; after
    ``NOTIFY_MAX_ATTEMPTS`` the row is ``failed`` with the last error kept.
    """
    now = now or sent_at()
    config = current_app.config
    senders = senders if senders is not None else senders_from_config(config)
    max_attempts = int(config.get("NOTIFY_MAX_ATTEMPTS") or 5)
    retry_minutes = float(config.get("NOTIFY_RETRY_MINUTES") or 5)
    report = DeliveryReport()
    for notification_id in list(db.session.scalars(_due(now, limit))):
        row = db.session.scalars(
            sa.select(Notification)
            .where(Notification.id == notification_id, Notification.status == NotificationStatus.PENDING)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:  # another worker has it, or it was sent meanwhile
            transaction.start_over()
            continue
        try:
            message = render(row)
            senders[row.channel].send(message)
        except Exception as error:  # any provider failure is recorded on the row, never raised
            row.attempts += 1
            row.last_error = f"{type(error).__name__}: {error}"[:2000]
            if row.attempts >= max_attempts:
                row.status = NotificationStatus.FAILED
                report.failed += 1
                log.warning("Notification %s failed for good: %s", row.id, row.last_error)
            else:
                row.next_attempt_dt = now + timedelta(minutes=retry_minutes * row.attempts)
                report.retrying += 1
        else:
            row.attempts += 1
            row.status = NotificationStatus.SENT
            row.sent_dt = sent_at()
            row.last_error = None
            report.sent += 1
        transaction.commit_step()  # row by row: a sent message is never sent again after a crash
    return report


def deliver_after_commit() -> None:
    """Hand delivery to the job queue once the transaction that emitted has committed.

    Registered with ``transaction.after_commit``: a rollback drops it, so a
    change that was never stored sends nothing. Call it where you emit, as many
    times as you like: one delivery runs per commit. In-process (no Redis) it
    sends right after the commit; a delivery failure only marks rows for retry
    and never undoes the caller's committed change.
    """
    transaction.after_commit(_queue_delivery)


def _queue_delivery() -> None:
    from dispatch.platform import jobs

    jobs.enqueue("dispatch.jobs.deliver_pending_job")
