"""One transaction per use case: services flush, the edge (request, CLI command, job) commits once.

A failure anywhere in a use case leaves nothing of it behind; side effects (the outbox) leave only
after the edge's commit succeeded; a version conflict found at the edge's commit is a 409.
"""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import StringField

from dispatch.extensions import db
from dispatch.forms.errors import show_error
from dispatch.models import FamilyLink, Invitation, User
from dispatch.models.audit import AuditEvent
from dispatch.models.notification import Notification, NotificationEvent
from dispatch.models.onboarding import WorkerInvitation
from dispatch.models.senior import Senior
from dispatch.models.site import MealSite
from dispatch.platform import audit, jobs, transaction
from dispatch.platform.errors import FieldError
from dispatch.services.family import invitations, notifications
from dispatch.services.volunteers import onboarding
from tests.factories import (
    create_senior,
    create_site,
    create_user,
    create_worker,
    login_as,
)

FAMILY = {"display_name": "Li", "password": "a long family password 1", "password_confirm": "a long family password 1"}
WORKER_PASSWORD = "a long volunteer password 42"


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _fail_on(monkeypatch, action: str) -> None:
    """Make the audit writer raise when it records ``action``: a step after the account is written fails."""
    real = audit.record

    def record(name: str, **kwargs):
        if name == action:
            raise RuntimeError(f"audit store down while recording {name}")
        return real(name, **kwargs)

    monkeypatch.setattr(audit, "record", record)


# --- the three use cases that used to commit half-way -----------------------------------------

def test_a_failure_after_the_family_account_is_written_leaves_no_account_and_an_unspent_invitation(
        app, client, monkeypatch):
    site = create_site()
    senior = create_senior(site)
    staff = create_user("staff", sites=[site])
    _inv, token = invitations.invite(senior, "li@example.org", "son", by=staff)
    db.session.commit()
    users = _count(User)
    _fail_on(monkeypatch, "invitation.accept")  # runs after create_user has written the account

    response = client.post(f"/family/join/{token}", data=FAMILY)

    assert response.status_code == 500
    assert _count(User) == users
    assert db.session.scalar(sa.select(User).where(User.email == "li@example.org")) is None
    assert _count(FamilyLink) == 0
    invitation = db.session.scalar(sa.select(Invitation))
    assert invitation.accepted_dt is None and invitation.accepted_by_id is None
    monkeypatch.undo()  # the fault is gone: the same link still works, once
    assert app.test_client().post(f"/family/join/{token}", data=FAMILY).status_code == 302
    assert db.session.scalar(sa.select(User).where(User.email == "li@example.org")) is not None


def test_a_failure_after_the_worker_login_is_written_leaves_no_login_and_an_unspent_link(app, client, monkeypatch):
    site = create_site()
    staff = create_user("staff", sites=[site])
    worker = create_worker(site=site)
    _inv, token = onboarding.invite(worker, "mei@example.org", by=staff)
    db.session.commit()
    _fail_on(monkeypatch, "worker.invitation_accept")

    response = client.post(f"/worker/join/{token}", data={
        "display_name": "Mei", "password": WORKER_PASSWORD, "password_confirm": WORKER_PASSWORD,
        "travel_mode": "walk"})

    assert response.status_code == 500
    assert db.session.scalar(sa.select(User).where(User.email == "mei@example.org")) is None
    assert db.session.get(type(worker), worker.id).user_id is None
    assert db.session.scalar(sa.select(WorkerInvitation)).accepted_dt is None


def test_admin_user_creation_is_one_commit_with_its_audit_event(app, client, monkeypatch):
    admin = create_user("admin")
    login_as(client, admin)
    _fail_on(monkeypatch, "user.create")

    response = client.post("/admin/users/new", data={
        "email": "coord@example.org", "role": "staff", "password": "a long enough password",
        "sites": [create_site().id]})

    assert response.status_code == 500
    assert db.session.scalar(sa.select(User).where(User.email == "coord@example.org")) is None


# --- the request edge ---------------------------------------------------------------------------

def _route(app: Flask, rule: str, view) -> None:
    app.add_url_rule(rule, view.__name__, view, methods=["GET", "POST"])


def test_a_view_that_raises_after_a_flush_leaves_nothing_behind(app, client):
    def flush_then_fail():
        db.session.add(MealSite(name="Half-made", address="1 Road", lat=31.2, lon=121.4, daily_capacity=10))
        db.session.flush()
        raise RuntimeError("boom after the flush")

    _route(app, "/_test/flush-then-fail", flush_then_fail)
    sites = _count(MealSite)
    assert client.post("/_test/flush-then-fail").status_code == 500
    assert _count(MealSite) == sites


def test_a_view_that_aborts_after_a_flush_leaves_nothing_behind(app, client):
    from flask import abort

    def flush_then_404():
        db.session.add(MealSite(name="Half-made", address="1 Road", lat=31.2, lon=121.4, daily_capacity=10))
        db.session.flush()
        abort(404)

    _route(app, "/_test/flush-then-404", flush_then_404)
    assert client.post("/_test/flush-then-404").status_code == 404
    assert _count(MealSite) == 0


def test_a_view_that_returns_commits_its_work_once(app, client):
    commits = []

    def count(session):
        commits.append(session)

    sa.event.listen(Session, "after_commit", count)

    def make_site():
        db.session.add(MealSite(name="Made", address="1 Road", lat=31.2, lon=121.4, daily_capacity=10))
        db.session.flush()
        return "ok"

    _route(app, "/_test/make-site", make_site)
    try:
        assert client.post("/_test/make-site").status_code == 200
    finally:
        sa.event.remove(Session, "after_commit", count)
    assert _count(MealSite) == 1 and len(commits) == 1


class _NameForm(FlaskForm):
    name = StringField()


def test_a_form_error_after_a_partial_flush_leaves_nothing_behind(app, client):
    def partial_then_refuse():
        form = _NameForm(meta={"csrf": False})
        db.session.add(MealSite(name="Half-made", address="1 Road", lat=31.2, lon=121.4, daily_capacity=10))
        db.session.flush()  # a service wrote a first row, then refused the input
        show_error(form, FieldError("name", "Not a good name."))
        assert db.session.scalar(sa.select(sa.func.count()).select_from(MealSite)) == 0  # the page sees the stored state
        return {"errors": form.errors}, 422

    _route(app, "/_test/partial-then-refuse", partial_then_refuse)
    response = client.post("/_test/partial-then-refuse", data={"name": "x"})
    assert response.status_code == 422 and response.get_json()["errors"] == {"name": ["Not a good name."]}
    assert _count(MealSite) == 0


def test_nothing_written_after_doom_is_committed(app, client):
    def doom_then_write():
        transaction.doom()
        db.session.add(MealSite(name="After doom", address="1 Road", lat=31.2, lon=121.4, daily_capacity=10))
        return "refused", 409

    _route(app, "/_test/doom-then-write", doom_then_write)
    assert client.post("/_test/doom-then-write").status_code == 409
    assert _count(MealSite) == 0


def test_a_version_conflict_at_the_edges_commit_is_a_409(app, client):
    senior = create_senior(create_site())
    senior_id = senior.id

    def change_unflushed():
        record = db.session.get(Senior, senior_id)
        with db.engine.begin() as other:  # someone else saves the senior meanwhile
            other.execute(sa.update(Senior).where(Senior.id == senior_id)
                          .values(access_notes="theirs", version=Senior.version + 1))
        record.access_notes = "mine"  # flushed only by the edge's commit, where the version check fails
        return "ok"

    _route(app, "/_test/conflict", change_unflushed)
    response = client.post("/_test/conflict")
    assert response.status_code == 409
    db.session.expire_all()
    assert db.session.get(Senior, senior_id).access_notes == "theirs"


# --- the outbox waits for the commit --------------------------------------------------------------

def _emit_for(senior_id: int) -> None:
    notifications.emit(NotificationEvent.MEAL_DELIVERED, senior_id=senior_id)
    notifications.deliver_after_commit()
    notifications.deliver_after_commit()  # called twice in one unit: delivered once


def _family_senior():
    senior = create_senior(create_site())
    create_user("family", email="kin@example.org", seniors=[senior])
    return senior


def test_the_outbox_leaves_once_after_the_commit(app, client, monkeypatch):
    senior_id = _family_senior().id
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda name, *a, **k: queued.append((name, _count(Notification))))

    def emit():
        _emit_for(senior_id)
        assert queued == []  # not before the commit
        return "ok"

    _route(app, "/_test/emit", emit)
    assert client.post("/_test/emit").status_code == 200
    assert queued == [("dispatch.jobs.deliver_pending_job", 1)]  # once, and the row was stored by then


def test_the_outbox_is_not_sent_when_the_commit_fails(app, client, monkeypatch):
    senior_id = _family_senior().id
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: queued.append(a))
    session_class = Session

    def refuse_commit(session):
        raise RuntimeError("the database refused the commit")

    def emit_then_commit_fails():
        _emit_for(senior_id)
        sa.event.listen(session_class, "before_commit", refuse_commit)
        return "ok"

    _route(app, "/_test/emit-fail", emit_then_commit_fails)
    try:
        assert client.post("/_test/emit-fail").status_code == 500
    finally:
        sa.event.remove(session_class, "before_commit", refuse_commit)
    assert queued == [] and _count(Notification) == 0


def test_the_outbox_is_not_sent_when_the_view_fails_after_emitting(app, client, monkeypatch):
    senior_id = _family_senior().id
    queued = []
    monkeypatch.setattr(jobs, "enqueue", lambda *a, **k: queued.append(a))

    def emit_then_fail():
        _emit_for(senior_id)
        raise RuntimeError("boom")

    _route(app, "/_test/emit-then-fail", emit_then_fail)
    assert client.post("/_test/emit-then-fail").status_code == 500
    assert queued == [] and _count(Notification) == 0


# --- the CLI and job edges ----------------------------------------------------------------------

def test_a_cli_command_commits_once(app, runner):
    site = create_site()
    commits = []
    session_class = Session

    def count(session):
        commits.append(session)

    sa.event.listen(session_class, "after_commit", count)
    try:
        result = runner.invoke(args=["create-user", "--role", "staff", "--email", "coord@example.org",
                                     "--password", "a long enough password", "--site", str(site.id)])
    finally:
        sa.event.remove(session_class, "after_commit", count)
    assert result.exit_code == 0, result.output
    assert len(commits) == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.email == "coord@example.org")) is not None


def test_a_cli_command_that_fails_after_writing_leaves_nothing_behind(app, runner, monkeypatch):
    from dispatch.extensions import security

    site = create_site()
    real = security.datastore.create_user

    def create_then_refuse(**fields):
        real(**fields)
        db.session.flush()  # the account row is written
        raise FieldError("email", "refused after the account was written")

    monkeypatch.setattr(security.datastore, "create_user", create_then_refuse)
    result = runner.invoke(args=["create-user", "--role", "staff", "--email", "coord@example.org",
                                 "--password", "a long enough password", "--site", str(site.id)])
    assert result.exit_code == 2
    db.session.expire_all()
    assert db.session.scalar(sa.select(User).where(User.email == "coord@example.org")) is None


def test_a_job_is_one_unit(app):
    from dispatch import jobs as job_entry_points

    def write_then_fail():
        db.session.add(MealSite(name="Job", address="1 Road", lat=31.2, lon=121.4, daily_capacity=10))
        db.session.flush()
        raise RuntimeError("the job failed")

    try:
        job_entry_points._in_app(write_then_fail)
    except RuntimeError:
        pass
    assert _count(MealSite) == 0
    job_entry_points._in_app(lambda: db.session.add(
        MealSite(name="Job", address="1 Road", lat=31.2, lon=121.4, daily_capacity=10)))
    db.session.rollback()  # only what the job committed is left
    assert _count(MealSite) == 1


def test_after_commit_runs_at_the_next_commit_and_is_dropped_by_a_rollback(app):
    ran = []
    _count(MealSite)  # a transaction is in progress
    transaction.after_commit(lambda: ran.append("first"))
    db.session.rollback()
    transaction.commit_step()
    assert ran == []
    transaction.after_commit(lambda: ran.append("second"))
    transaction.commit_step()
    assert ran == ["second"]


# --- services flush, whatever their context: the unit's edge decides ---------------------------

def _deactivate(world):
    from dispatch.services.people import seniors

    seniors.deactivate_senior(world["senior"], by=world["staff"])


def _publish_shift(world):
    from datetime import date, time

    from dispatch.services.volunteers import shifts

    shifts.publish_shift(site_id=world["site"].id, service_date=date(2030, 1, 7), start=time(10), end=time(13),
                         role="driver", needed=2, by=world["staff"], today=date(2030, 1, 1))


def _rename_site(world):
    from dispatch.services.people import sites

    values = {**sites.data_from_site(world["site"]), "name": "Renamed canteen"}
    sites.update_site(world["site"], sites.SiteData(**values), by=world["admin"])


def _stored(world) -> tuple:
    from dispatch.models.volunteer_shift import OpenShift

    db.session.expire_all()
    return (db.session.get(Senior, world["senior"].id).is_active, _count(OpenShift),
            db.session.get(MealSite, world["site"].id).name, _count(AuditEvent))


@pytest.mark.parametrize("use_case", [_deactivate, _publish_shift, _rename_site], ids=lambda f: f.__name__)
def test_a_service_leaves_the_commit_to_its_edge_so_a_later_failure_keeps_nothing(app, use_case):
    site = create_site()
    world = {"site": site, "senior": create_senior(site), "staff": create_user("staff", sites=[site]),
             "admin": create_user("admin")}
    db.session.commit()
    before = _stored(world)
    with pytest.raises(RuntimeError, match="next step"), app.test_request_context(), transaction.unit():
        use_case(world)
        raise RuntimeError("the next step of the use case failed")
    assert _stored(world) == before
