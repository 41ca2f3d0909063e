"""What every API blueprint shares: bearer-token sign-in, role gates, idempotency keys.

The API accepts only ``Authorization: Bearer <token>``; a session cookie
grants nothing here, which is why the API blueprints may be exempt from CSRF
(a cross-site page cannot make a browser send a bearer token).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from functools import wraps
from typing import Any

import sqlalchemy as sa
from flask import Response, current_app, g, make_response, request
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from dispatch.extensions import db
from dispatch.models.api_token import ApiIdempotency
from dispatch.models.senior import Senior
from dispatch.models.service_request import ServiceRequest
from dispatch.platform import clock
from dispatch.services.people import api_tokens

PREFIX = "/api/v1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# A claim still unanswered after this long belongs to a request that died (a worker killed, the database
# lost before the claim could be released): longer than gunicorn's request timeout, so a live request is never
# taken over.
ABANDONED_CLAIM = timedelta(minutes=3)
# Status of a claim while its request runs, and once its write has committed but its reply is not yet stored.
IN_PROGRESS, WRITTEN = 0, 1
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-:.")
# The collections whose POST creates a record (the model), for the Location of a write whose reply was lost.
CREATES: dict[str, type] = {PREFIX + "/seniors": Senior, PREFIX + "/service-requests": ServiceRequest}
# What the OpenAPI document says of a 409 (``@bp.alt_response(409, schema=ErrorOut, description=...)``).
CONFLICT_BUSY = "A request with the same Idempotency-Key is still in progress (or its reply was lost)."
CONFLICT_STALE = ("Someone else changed the record since `version` was read: read it again and retry. "
                  "Also: a request with the same Idempotency-Key is still in progress.")


class ApiError(Exception):
    """An API refusal with a status, a message and the fields at fault."""

    def __init__(self, status: int, message: str, errors: list[dict[str, Any]] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors, self.headers = status, message, errors or [], headers or {}


def blueprint(name: str, description: str) -> Blueprint:
    bp = Blueprint(name, __name__, url_prefix=PREFIX, description=description)
    bp.before_request(_authenticate)
    return bp


def _authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    principal = api_tokens.authenticate(raw.strip()) if scheme.lower() == "bearer" else None
    if principal is None:
        raise ApiError(401, "A valid bearer token is required (Authorization: Bearer <token>).",
                       headers={"WWW-Authenticate": 'Bearer realm="doorstep"'})
    g.api_principal = principal


def principal() -> api_tokens.TokenPrincipal:
    return g.api_principal


def roles(*names: str) -> Callable:
    """Let the token's role through if it is one of ``names`` (admin always); others get 403."""
    wanted = set(names) | {"admin"}

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if principal().token.role not in wanted:
                raise ApiError(403, "This token's role may not use this endpoint.")
            return view(*args, **kwargs)

        wrapped._api_roles = tuple(sorted(wanted))  # type: ignore[attr-defined]
        return wrapped

    return decorator


def _request_hash() -> str:
    body = request.get_data(cache=True) or b""
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def _header_key() -> str | None:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 8 <= len(key) <= 80 or not set(key) <= _KEY_CHARS:
        raise ApiError(400, "Bad idempotency key.", [{"field": IDEMPOTENCY_HEADER, "location": "headers",
                                                      "reason": "8 to 80 letters, digits or -_:."}])
    return key


def idempotent(view):
    """A write sent again with the same ``Idempotency-Key`` gets the first reply, and changes nothing.

    The key is claimed (committed) before the write runs, so a concurrent copy
    is told 409 "in progress" instead of writing twice; a write that fails
    releases its key so the client may retry.
    """

    @wraps(view)
    def wrapped(*args, **kwargs):
        key = _header_key()
        if key is None:
            return view(*args, **kwargs)
        token_id = principal().token.id
        digest = _request_hash()
        claimed = _claim(token_id, key, digest)
        if claimed is not None:
            return claimed
        try:
            with _marked_written_on_commit(token_id, key):
                response = make_response(view(*args, **kwargs))
                if response.status_code < 300:
                    db.session.commit()  # the write and its WRITTEN mark land together, before the reply is kept
        except BaseException:
            db.session.rollback()
            _release(token_id, key)
            raise
        if response.status_code >= 300:
            _release(token_id, key)
            return response
        _store_reply(token_id, key, response)
        return response

    return wrapped


@contextmanager
def _marked_written_on_commit(token_id: int, key: str) -> Iterator[None]:
    """Mark the claim WRITTEN in the same transaction as the view's write.

    The write is committed before its reply is stored (the reply is only known
    once the view returned). A request that dies between the two used to leave a
    claim that looked unstarted, and the client's retry ran the write a second time.
    """
    session = db.session()
    inserted: list[Any] = []

    def remember(sess, _flush_context) -> None:
        inserted.extend(sess.new)  # still the flushed objects while after_flush runs

    def mark(sess) -> None:
        # Where the write's result can be read: a retry after a lost reply is told to look there.
        sess.execute(sa.update(ApiIdempotency).where(
            ApiIdempotency.token_id == token_id, ApiIdempotency.key == key,
            ApiIdempotency.status_code == IN_PROGRESS).values(status_code=WRITTEN,
                                                              body={"location": _written_location(inserted)}))

    sa.event.listen(session, "after_flush", remember)
    sa.event.listen(session, "before_commit", mark)
    try:
        yield
    finally:
        sa.event.remove(session, "before_commit", mark)
        sa.event.remove(session, "after_flush", remember)


def _written_location(inserted: list[Any]) -> str | None:
    """The API address of what this request wrote.

    A create (``POST`` to a collection in ``CREATES``) made the record of that
    collection's model; any other write changed the record its own path names,
    or (``/plans/1/publish``) the nearest path above it that can be read.
    """
    path = request.path.rstrip("/")
    model = CREATES.get(path) if request.method == "POST" else None
    if model is not None:
        made = [obj for obj in inserted if isinstance(obj, model)]
        return f"{path}/{made[0].id}" if made else None
    adapter = current_app.url_map.bind("")
    while path.startswith(PREFIX + "/"):
        try:
            adapter.match(path, method="GET")
            return path
        except HTTPException:
            path = path.rsplit("/", 1)[0]
    return None


def _store_reply(token_id: int, key: str, response: Response) -> None:
    db.session.execute(sa.update(ApiIdempotency).where(
        ApiIdempotency.token_id == token_id, ApiIdempotency.key == key,
    ).values(status_code=response.status_code, body=response.get_json(silent=True)))
    db.session.commit()


def _claim(token_id: int, key: str, digest: str) -> Response | None:
    """None when this request now owns ``key``; otherwise the reply to give instead."""
    db.session.add(ApiIdempotency(token_id=token_id, key=key, request_hash=digest, status_code=IN_PROGRESS, body={}))
    try:
        db.session.commit()
        return None
    except IntegrityError:
        db.session.rollback()
    first = db.session.scalar(sa.select(ApiIdempotency).where(
        ApiIdempotency.token_id == token_id, ApiIdempotency.key == key))
    if first is None:  # released meanwhile: the client may simply retry
        raise ApiError(409, "A request with this idempotency key just failed; send it again.")
    if first.request_hash != digest:
        raise ApiError(422, "This idempotency key was already used for a different request.",
                       [{"field": IDEMPOTENCY_HEADER, "location": "headers", "reason": "already used"}])
    if first.status_code == IN_PROGRESS and _take_over(first):
        return None
    if first.status_code == WRITTEN and first.created_dt <= clock.now() - ABANDONED_CLAIM:
        location = (first.body or {}).get("location")
        raise ApiError(409, "The request with this idempotency key was carried out, but its reply was lost; "
                            "read the resource to see the result instead of sending it again"
                            + (f": {location}" if location else "."),
                       headers={"Location": location} if location else None)
    if first.status_code in (IN_PROGRESS, WRITTEN):
        raise ApiError(409, "A request with this idempotency key is still in progress.",
                       headers={"Retry-After": "1"})
    response = make_response(first.body, first.status_code)
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _take_over(claim: ApiIdempotency) -> bool:
    """Claim an abandoned key anew, so the client's retry runs instead of waiting forever.

    The conditional update lets only one of several concurrent retries win.
    Only a claim whose write never committed is taken over: a WRITTEN one
    (see ``_marked_written_on_commit``) is never run again.
    """
    now = clock.now()
    if claim.created_dt > now - ABANDONED_CLAIM:
        return False
    taken = db.session.execute(sa.update(ApiIdempotency).where(
        ApiIdempotency.id == claim.id, ApiIdempotency.status_code == IN_PROGRESS,
        ApiIdempotency.created_dt == claim.created_dt,
    ).values(created_dt=now)).rowcount
    db.session.commit()
    return taken == 1


def _release(token_id: int, key: str) -> None:
    try:
        db.session.execute(sa.delete(ApiIdempotency).where(
            ApiIdempotency.token_id == token_id, ApiIdempotency.key == key,
            ApiIdempotency.status_code.in_((IN_PROGRESS, WRITTEN))))
        db.session.commit()
    except sa.exc.SQLAlchemyError:  # database gone: the original error matters more; the key stays claimed
        db.session.rollback()
