"""Worker onboarding: invite a volunteer by link, and keep the certificates that vouch for their skills.

The link needs no app: the volunteer opens it on their phone, sets a password
and how they travel, and their login is tied to the worker record staff made.
Only the token's SHA-256 is stored; a link works once until it expires
(``INVITATION_DAYS``).

Some skills need proof (``CERTIFIED_SKILLS``: bathing, nursing, medical
assistance). Recording a certificate gives the worker the skill; when every
certificate the worker has for a skill has expired, the planner no longer counts
that skill (``skills_on``). A skill with no certificate recorded at all is kept
as staff set it (records from before certificates were tracked).
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from dispatch.extensions import db
from dispatch.models.onboarding import WorkerCertificate, WorkerInvitation
from dispatch.models.site import TravelMode
from dispatch.models.user import RoleName, User
from dispatch.models.worker import Skill, Worker, WorkerSkill
from dispatch.platform import audit, clock
from dispatch.platform.errors import FieldError
from dispatch.platform.fields import clean_email
from dispatch.services.family.invitations import hash_token
from dispatch.services.people import accounts

CERTIFIED_SKILLS = frozenset({Skill.BATHING, Skill.NURSING, Skill.MEDICAL_ASSISTANCE})


class LinkUnusable(FieldError):
    """The link is unknown, expired or already used."""


# Invitations ---------------------------------------------------------------------------------

def invite(worker: Worker, email: str, *, by: User, now: datetime | None = None) -> tuple[WorkerInvitation, str]:
    """A link for ``worker`` to get a login; returns the invitation and its token (shown once). One unit.

    The caller authorised ``by`` to edit ``worker`` (``get_worker_or_404(..., for_edit=True)``).
    """
    now = now or clock.now()
    if worker.user_id is not None:
        raise FieldError("email", _("This worker already has a login."))
    token = secrets.token_urlsafe(32)
    days = float(current_app.config.get("INVITATION_DAYS") or 7)
    invitation = WorkerInvitation(worker_id=worker.id, email=clean_email(email), token_hash=hash_token(token),
                                  created_by_id=by.id, created_dt=now, expires_dt=now + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    audit.record("worker.invite", user=by, entity_type="worker", entity_id=worker.id)
    db.session.flush()
    return invitation, token


def find_usable(token: str, *, now: datetime | None = None, lock: bool = False) -> WorkerInvitation:
    now = now or clock.now()
    query = sa.select(WorkerInvitation).where(WorkerInvitation.token_hash == hash_token(token or ""))
    if lock:
        query = query.with_for_update()
    invitation = db.session.scalars(query).first() if token and len(token) <= 128 else None
    if invitation is None:
        raise LinkUnusable(None, _("This invitation link is not valid. Ask the meal site for a new one."))
    if invitation.accepted_dt is not None:
        raise LinkUnusable(None, _("This invitation has already been used. Sign in instead."))
    if now >= invitation.expires_dt:
        raise LinkUnusable(None, _("This invitation has expired. Ask the meal site for a new one."))
    if invitation.worker.user_id is not None:
        raise LinkUnusable(None, _("This worker already has a login. Sign in instead."))
    return invitation


def accept(token: str, display_name: str, password: str, travel_mode: TravelMode | str, *,
           now: datetime | None = None) -> User:
    """Create the worker's login from the link, set how they travel, spend the link."""
    now = now or clock.now()
    invitation = find_usable(token, now=now, lock=True)
    display_name = " ".join((display_name or "").split())
    if not display_name or len(display_name) > 120:
        raise FieldError("display_name", _("Enter your name (up to 120 characters)."))
    try:
        mode = TravelMode(travel_mode)
    except ValueError:
        raise FieldError("travel_mode", _("Not a valid choice.")) from None
    # create_user only flushes; it links the worker record. One unit: the caller commits.
    user = accounts.create_user(invitation.email, password, RoleName.WORKER, display_name=display_name,
                                worker_id=invitation.worker_id)
    invitation.accepted_dt = now
    invitation.worker.travel_mode = mode
    audit.record("worker.invitation_accept", user=user, entity_type="worker", entity_id=invitation.worker_id)
    return user


# Certificates --------------------------------------------------------------------------------

def record_certificate(worker: Worker, *, skill: Skill | str, name: str, issued_on: date, expires_on: date | None,
                       by: User) -> WorkerCertificate:
    """Record training or a licence; it gives the worker the skill. One unit."""
    try:
        skill = Skill(skill)
    except ValueError:
        raise FieldError("skill", _("Not a valid choice.")) from None
    name = " ".join((name or "").split())
    if not name or len(name) > 120:
        raise FieldError("name", _("Name the course or licence (up to 120 characters)."))
    if expires_on is not None and expires_on < issued_on:
        raise FieldError("expires_on", _("The expiry must be after the date issued."))
    certificate = WorkerCertificate(worker_id=worker.id, skill=skill, name=name, issued_on=issued_on,
                                    expires_on=expires_on)
    db.session.add(certificate)
    if skill not in worker.skill_values:
        worker.skills.append(WorkerSkill(skill=skill))
    db.session.flush()
    audit.record("worker.certificate", user=by, entity_type="worker", entity_id=worker.id,
                 detail={"skill": skill.value})
    db.session.flush()
    return certificate


def certificates_of(worker: Worker) -> list[WorkerCertificate]:
    return list(db.session.scalars(sa.select(WorkerCertificate).where(WorkerCertificate.worker_id == worker.id)
                                   .order_by(WorkerCertificate.skill, WorkerCertificate.issued_on.desc())))


def skills_on(worker: Worker, day: date) -> set[Skill]:
    """The skills the planner may count on ``day``: certified skills need a certificate valid that day."""
    skills = set(worker.skill_values)
    certified = skills & CERTIFIED_SKILLS
    if not certified:
        return skills
    by_skill: dict[Skill, list[WorkerCertificate]] = {}
    for certificate in certificates_of(worker):
        by_skill.setdefault(certificate.skill, []).append(certificate)
    for skill in certified:
        held = by_skill.get(skill)
        if held and not any(c.valid_on(day) for c in held):
            skills.discard(skill)
    return skills
