"""Login throttling that a reverse proxy does not turn into everybody's lockout.

Three layers, each keyed so one person's wrong guesses cannot shut out another:

* the client address is the real one: ``PROXY_COUNT`` trusted proxies are
  peeled off ``X-Forwarded-For`` (Werkzeug's ``ProxyFix``, installed by
  ``install_proxy_fix``); with 0 the header is ignored, so it cannot be forged;
* Flask-Limiter counts login posts per address *and* account
  (``RATELIMIT_AUTH``) and, more loosely, per address over all accounts
  (``RATELIMIT_AUTH_ADDRESS``, against one address trying many accounts);
* a back-off per account *and* address: after ``LOGIN_FREE_FAILURES`` wrong
  passwords, each further one makes that address wait twice as long before its
  next try for that account (1 s, 2 s, 4 s, ... up to ``LOGIN_BACKOFF_MAX_SECONDS``).
  A stranger guessing at a named user slows only themself: the owner, from
  their own address, still gets in, and even the stranger's wait never
  exceeds the cap. A correct password clears the count.

The e-mail an attempt names is counted whether or not it has an account, so
the throttle's answers tell nothing about which e-mails exist. Counts live in
Flask-Limiter's storage (Redis with ``REDIS_URL``: shared by every worker).
"""
from __future__ import annotations

import functools
import hashlib
import math
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import TooManyRequests
from werkzeug.middleware.proxy_fix import ProxyFix

_FAILURES_KEPT_SECONDS = 24 * 3600  # a day without a wrong password forgets the earlier ones


def install_proxy_fix(app: Flask) -> None:
    """Trust ``PROXY_COUNT`` proxies for the client address and scheme (never for the host)."""
    count = int(app.config.get("PROXY_COUNT") or 0)
    if count > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]


def login_account() -> str:
    """The account a login post names (lower-cased e-mail), '' when it names none."""
    value: Any = request.form.get("email")
    if value is None and request.is_json:
        body = request.get_json(silent=True)
        value = body.get("email") if isinstance(body, dict) else None
    return value.strip().casefold()[:320] if isinstance(value, str) else ""


def address_and_account() -> str:
    """Flask-Limiter key: the client address and the account named (hashed: no e-mail in Redis)."""
    digest = hashlib.sha256(login_account().encode()).hexdigest()[:32]
    return f"{get_remote_address()}|{digest}"


def backoff_seconds(failures: int, free: int, cap: float) -> float:
    """Seconds to wait after the ``failures``-th wrong password in a row: 0, then 1, 2, 4, ... capped."""
    extra = failures - free
    if extra <= 0:
        return 0.0
    return float(min(cap, 2.0 ** min(extra - 1, 30)))


def _keys() -> tuple[str, str]:
    base = "doorstep-login-backoff:" + address_and_account()
    return base + ":failures", base + ":wait"


def _waiting(storage) -> float:
    """Seconds this address must still wait before its next try for this account (0: may try)."""
    _failures, wait_key = _keys()
    if not storage.get(wait_key):
        return 0.0
    return max(0.0, storage.get_expiry(wait_key) - time.time())


def _record(storage, succeeded: bool) -> None:
    failures_key, wait_key = _keys()
    if succeeded:
        storage.clear(failures_key)
        storage.clear(wait_key)
        return
    failures = storage.incr(failures_key, _FAILURES_KEPT_SECONDS)
    delay = backoff_seconds(failures, int(current_app.config["LOGIN_FREE_FAILURES"]),
                            float(current_app.config["LOGIN_BACKOFF_MAX_SECONDS"]))
    if delay > 0:
        storage.clear(wait_key)
        storage.incr(wait_key, delay)


def with_backoff(view: Callable[..., Any], limiter: Limiter) -> Callable[..., Any]:
    """Wrap the login view: refuse a post still in its back-off, count the outcome of the others.

    The counts live in ``limiter``'s storage, and only while it is enabled.

    A post is a success when the password was accepted: the view redirects (home,
    or to the second-factor step). Anything else (the form shown again, a 400)
    counts as a failure.
    """

    @functools.wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        storage = limiter.storage if request.method == "POST" and limiter.enabled else None
        if storage is None:
            return view(*args, **kwargs)
        wait = _waiting(storage)
        if wait > 0:
            raise TooManyRequests(retry_after=math.ceil(wait))
        response = current_app.make_response(view(*args, **kwargs))
        # Flask-Security answers a JSON login with 200 only when the password was right.
        succeeded = response.status_code in (302, 303) or (response.status_code == 200 and response.is_json)
        _record(storage, succeeded=succeeded)
        return response

    return guarded
