"""Family invitations: staff invite a relative for a senior; the relative joins or links.

The token goes to the relative (in the link) and is never stored: only its
SHA-256 is, so looking an invitation up is a hash comparison. A token works
once, until it expires (``INVITATION_DAYS``), unless staff revoke it.
Accepting either creates the family account (``accounts.create_user``) or,
when that e-mail already has one, asks the person to sign in and then links
the senior to the signed-in account.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from dispatch.extensions import db
from dispatch.models.invitation import Invitation, InvitationState
from dispatch.models.senior import FamilyLink, Senior
from dispatch.models.user import RoleName, User
from dispatch.platform import audit, clock
from dispatch.platform.access import has_role
from dispatch.platform.errors import FieldError
from dispatch.platform.fields import clean_email
from dispatch.services.people import accounts

MAX_RELATION = 60


class InvitationUnusable(FieldError):
    """The link is unknown, expired, revoked or already used."""

    def __init__(self, state: InvitationState | None) -> None:
        messages = {
            None: _("This invitation link is not valid. Ask the meal site for a new one."),
            InvitationState.EXPIRED: _("This invitation has expired. Ask the meal site for a new one."),
            InvitationState.REVOKED: _("This invitation was withdrawn by the meal site."),
            InvitationState.ACCEPTED: _("This invitation has already been used. Sign in instead."),
        }
        super().__init__(None, messages.get(state, messages[None]))
        self.state = state


class AccountExists(FieldError):
    """The invited e-mail already has an account: sign in, then accept."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _clean_relation(relation: str) -> str:
    relation = " ".join((relation or "").split())
    if not relation:
        raise FieldError("relation", _("Say how this person is related (daughter, son, niece...)."))
    if len(relation) > MAX_RELATION:
        raise FieldError("relation", _("Keep it under %(n)s characters.", n=MAX_RELATION))
    return relation


def invite(senior: Senior, email: str, relation: str, *, by: User, now: datetime | None = None) -> tuple[Invitation, str]:
    """Create an invitation and return it with its token (shown once, to put in the link).

    The caller authorised ``by`` to edit ``senior`` (``get_senior_or_404(..., for_edit=True)``).
    """
    now = now or clock.now()
    token = secrets.token_urlsafe(32)
    days = float(current_app.config.get("INVITATION_DAYS") or 7)
    invitation = Invitation(senior_id=senior.id, email=clean_email(email), relation=_clean_relation(relation),
                            token_hash=hash_token(token), created_by_id=by.id, created_dt=now,
                            expires_dt=now + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    audit.record("invitation.create", user=by, entity_type="invitation", entity_id=invitation.id,
                 senior_id=senior.id, detail={"email": invitation.email, "relation": invitation.relation})
    db.session.flush()
    return invitation, token


def revoke(invitation: Invitation, *, by: User, now: datetime | None = None) -> Invitation:
    """Withdraw a link not yet used; a used one is already spent (unlink the family member instead)."""
    now = now or clock.now()
    if invitation.state(now) == InvitationState.ACCEPTED:
        raise FieldError(None, _("This invitation was already accepted; it can no longer be revoked."))
    if invitation.revoked_dt is None:
        invitation.revoked_dt = now
        audit.record("invitation.revoke", user=by, entity_type="invitation", entity_id=invitation.id,
                     senior_id=invitation.senior_id)
        db.session.flush()
    return invitation


def for_senior(senior: Senior) -> list[Invitation]:
    return list(db.session.scalars(
        sa.select(Invitation).where(Invitation.senior_id == senior.id).order_by(Invitation.created_dt.desc())
    ))


def find_usable(token: str, *, now: datetime | None = None, lock: bool = False) -> Invitation:
    """The pending invitation for ``token``, or ``InvitationUnusable`` saying why not."""
    now = now or clock.now()
    query = sa.select(Invitation).where(Invitation.token_hash == hash_token(token or ""))
    if lock:
        query = query.with_for_update()
    invitation = db.session.scalars(query).first() if token and len(token) <= 128 else None
    if invitation is None:
        raise InvitationUnusable(None)
    state = invitation.state(now)
    if state != InvitationState.PENDING:
        raise InvitationUnusable(state)
    return invitation


def existing_account(invitation: Invitation) -> User | None:
    return db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == invitation.email))


@dataclass(frozen=True)
class Accepted:
    user: User
    senior_id: int
    created_account: bool


def _spend(invitation: Invitation, user: User, now: datetime) -> None:
    invitation.accepted_dt = now
    invitation.accepted_by_id = user.id
    linked = db.session.scalar(sa.select(FamilyLink).where(
        FamilyLink.user_id == user.id, FamilyLink.senior_id == invitation.senior_id))
    if linked is None:
        db.session.add(FamilyLink(user_id=user.id, senior_id=invitation.senior_id, relation=invitation.relation))
    audit.record("invitation.accept", user=user, entity_type="invitation", entity_id=invitation.id,
                 senior_id=invitation.senior_id)


def accept_new(token: str, display_name: str, password: str, *, locale: str | None = None,
               now: datetime | None = None) -> Accepted:
    """Join: create the family account for the invited e-mail and link the senior, in one unit."""
    now = now or clock.now()
    invitation = find_usable(token, now=now, lock=True)
    if existing_account(invitation) is not None:
        raise AccountExists(None, _("An account with this e-mail already exists. Sign in, then open the link again."))
    display_name = " ".join((display_name or "").split())
    if not display_name or len(display_name) > 120:
        raise FieldError("display_name", _("Enter your name (up to 120 characters)."))
    # create_user only flushes; it links the senior with the invitation's relation.
    user = accounts.create_user(invitation.email, password, RoleName.FAMILY, display_name=display_name,
                                senior_ids=[invitation.senior_id], relation=invitation.relation)
    if locale:
        user.locale = locale
    _spend(invitation, user, now)
    db.session.flush()
    return Accepted(user=user, senior_id=invitation.senior_id, created_account=True)


def accept_signed_in(token: str, user: User, *, now: datetime | None = None) -> Accepted:
    """A signed-in family member accepts another invitation: link that senior too."""
    now = now or clock.now()
    if not has_role(user, RoleName.FAMILY):
        raise FieldError(None, _("Only a family account can accept a family invitation."))
    invitation = find_usable(token, now=now, lock=True)
    if invitation.email != (user.email or "").lower():
        raise FieldError(None, _("This invitation was sent to another e-mail address. "
                                 "Sign out and open it again, or ask the meal site to invite this address."))
    _spend(invitation, user, now)
    db.session.flush()
    return Accepted(user=user, senior_id=invitation.senior_id, created_account=False)
