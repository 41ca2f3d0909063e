"""The notification outbox: rows made in the caller's transaction, sent after it, over real SMTP."""
from __future__ import annotations

import socket
from datetime import time, timedelta
from email import message_from_bytes, policy

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from dispatch.extensions import db
from dispatch.models.notification import Channel, Notification, NotificationPreference, NotificationStatus
from dispatch.models.service_request import ServiceRequest, ServiceType
from dispatch.models.types import utcnow
from dispatch.services.family import notifications
from dispatch.services.family.notifications import EmailSender, OutgoingMessage
from tests import testclock
from tests.factories import create_senior, create_site, create_user


class Inbox:
    """aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 for the duration of one test."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def mail_app(app, smtp):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, MAIL_FROM="care@doorstep.test")
    return app


def _request(senior, **overrides) -> ServiceRequest:
    fields = dict(senior_id=senior.id, site_id=senior.home_site_id, service_type=ServiceType.BATHING,
                  requested_date=testclock.today() + timedelta(days=1), window_start=time(14), window_end=time(16),
                  duration_minutes=60, notes="staff-only: key under mat")
    fields.update(overrides)
    req = ServiceRequest(**fields)
    db.session.add(req)
    db.session.commit()
    return req


def _rows():
    return db.session.scalars(sa.select(Notification).order_by(Notification.id)).all()


def test_emit_queues_one_row_per_linked_family_member_and_sends_email(mail_app, smtp):
    site = create_site()
    senior = create_senior(site, full_name="Zhang Wei")
    daughter = create_user("family", email="daughter@example.org", seniors=[senior])
    son = create_user("family", email="son@example.org", seniors=[senior])
    create_user("family", email="stranger@example.org", seniors=[create_senior(site)])
    req = _request(senior)

    notifications.emit_for_request("request_approved", req)
    db.session.commit()
    assert {(r.user_id, r.status) for r in _rows()} == {(daughter.id, "pending"), (son.id, "pending")}

    report = notifications.deliver_pending()
    assert report.sent == 2 and report.failed == 0
    assert sorted(rcpt[0] for rcpt, _ in smtp.messages) == ["daughter@example.org", "son@example.org"]
    _, mail = smtp.messages[0]
    assert mail["From"] == "care@doorstep.test"
    assert "Zhang Wei" in mail["Subject"] and "approved" in mail["Subject"]
    body = mail.get_content()
    assert "Bathing" in body and "2:00\u202fPM–4:00\u202fPM" in body
    assert "key under mat" not in body  # staff notes never reach the family
    assert all(r.status == NotificationStatus.SENT and r.attempts == 1 and r.sent_dt for r in _rows())
    # Sent rows are not sent again.
    assert notifications.deliver_pending().sent == 0
    assert len(smtp.messages) == 2


def test_rolled_back_change_leaves_nothing_to_send(app):
    senior = create_senior(create_site())
    create_user("family", seniors=[senior])
    req = _request(senior)
    notifications.emit_for_request("request_approved", req)
    db.session.rollback()
    assert _rows() == []


def test_excluded_user_and_preferences(app):
    senior = create_senior(create_site())
    me = create_user("family", seniors=[senior])
    other = create_user("family", seniors=[senior], phone="+86 138 0000 0000")
    db.session.add(NotificationPreference(user_id=other.id, email_enabled=False, sms_enabled=True,
                                          wechat_enabled=True, wechat_id=None))
    db.session.commit()
    rows = notifications.emit("request_cancelled", senior_id=senior.id, payload={}, exclude_user_id=me.id)
    # No e-mail (turned off), SMS to the account phone, no WeChat (no id given).
    assert [(r.user_id, r.channel, r.address) for r in rows] == [(other.id, Channel.SMS, "+86 138 0000 0000")]
    db.session.commit()
    assert notifications.deliver_pending().sent == 1  # the logging SMS stand-in accepts it


def test_failures_are_retried_counted_and_finally_marked_failed(app):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), NOTIFY_MAX_ATTEMPTS=3,
                      NOTIFY_RETRY_MINUTES=10)  # nothing listens on that port
    senior = create_senior(create_site())
    create_user("family", seniors=[senior])
    notifications.emit("welfare_alert", senior_id=senior.id, payload={"alert_kind": "no_answer"})
    db.session.commit()
    now = utcnow()
    assert notifications.deliver_pending(now).retrying == 1
    row = _rows()[0]
    assert row.status == NotificationStatus.PENDING and row.attempts == 1 and "Error" in row.last_error
    # Not due again until the back-off has passed.
    assert notifications.deliver_pending(now + timedelta(minutes=1)).retrying == 0
    assert notifications.deliver_pending(now + timedelta(minutes=11)).retrying == 1
    assert notifications.deliver_pending(now + timedelta(hours=1)).failed == 1
    row = _rows()[0]
    db.session.refresh(row)
    assert row.status == NotificationStatus.FAILED and row.attempts == 3 and row.last_error
    assert notifications.deliver_pending(now + timedelta(days=1)).failed == 0  # failed rows stay put


def test_message_is_in_the_family_members_language(mail_app, smtp):
    senior = create_senior(create_site(), full_name="Zhang Wei", full_name_zh="张伟")
    create_user("family", email="zh@example.org", seniors=[senior], locale="zh_Hans_CN")
    notifications.emit_for_request("visit_completed", _request(senior), outcome="completed",
                                   outcome_note="bath done, skin check fine")
    db.session.commit()
    assert notifications.deliver_pending().sent == 1
    _, mail = smtp.messages[0]
    assert "张伟" in mail["Subject"]
    body = mail.get_content()
    assert "bath done, skin check fine" in body
    assert "Zhang Wei" not in mail["Subject"]
    # The body's own words are Chinese too, not only the subject.
    assert "工作人员备注：" in body and "Worker's note:" not in body and "Service:" not in body


def test_staff_of_the_site_get_urgent_requests(app):
    site = create_site()
    senior = create_senior(site)
    staff = create_user("staff", sites=[site])
    create_user("staff", sites=[create_site()])
    rows = notifications.emit_to_site_staff("staff_urgent_request", site_id=site.id, senior_id=senior.id,
                                            payload={"service": "emergency_assistance"})
    assert [r.user_id for r in rows] == [staff.id]


def test_email_sender_speaks_smtp(smtp):
    EmailSender("127.0.0.1", smtp.port, from_addr="a@doorstep.test").send(
        OutgoingMessage(to="b@example.org", subject="Hi", body="Body", notification_id=7))
    rcpt, mail = smtp.messages[0]
    assert rcpt == ["b@example.org"] and mail["X-Doorstep-Notification"] == "7"


def test_cli_delivers(mail_app, smtp, runner):
    senior = create_senior(create_site())
    create_user("family", seniors=[senior])
    notifications.emit("meal_delivered", senior_id=senior.id, payload={"date": testclock.today()})
    db.session.commit()
    result = runner.invoke(args=["notifications", "deliver"])
    assert result.exit_code == 0, result.output
    assert "sent 1" in result.output and len(smtp.messages) == 1
