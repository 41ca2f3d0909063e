"""Every setting Doorstep reads, with its default, in one place.

Each key can be overridden by an environment variable of the same name with a
``DISPATCH_`` prefix (``DISPATCH_DATABASE_URL`` overrides ``DATABASE_URL``);
tests pass a mapping to ``create_app`` instead. The README's configuration
table mirrors this module: keep them in step.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ENV_PREFIX = "DISPATCH_"

# key: (default, comment). The default may be a callable of the settings read so far.
SETTINGS: dict[str, tuple[Any, str]] = {
    "DATA_DIR": (str(Path.cwd() / "instance"), "Directory for the SQLite file, uploads and logs (git-ignored)."),
    "DATABASE_URL": (None, "SQLAlchemy URL; empty means SQLite at DATA_DIR/doorstep.sqlite3. "
                           "Production: postgresql+psycopg://user@host/db."),
    "SECRET_KEY": (None, "Session signing key; a random one is generated into DATA_DIR if unset."),
    "SECURITY_PASSWORD_SALT": (None, "Salt for Flask-Security tokens; derived from SECRET_KEY if unset."),
    "REDIS_URL": ("", "Redis URL for RQ background jobs; empty runs jobs on threads of this process."),
    "JOBS_THREADS": (2, "Without REDIS_URL: threads of each process that run background jobs (route solving)."),
    "JOBS_INLINE": (False, "Without REDIS_URL: run background jobs in the request that queues them, which "
                           "waits for them (the tests do; pages no longer answer at once)."),
    "TRAVEL_PROVIDER": ("geodesic", "Travel-time provider: 'geodesic', 'osrm' or 'streets' (the network 'doorstep streets build' made)."),
    "OSRM_URL": ("", "Base URL of an OSRM server (table API) when TRAVEL_PROVIDER is 'osrm'."),
    "CIRCUITY_FACTOR": (1.3, "Road distance over great-circle distance for the geodesic provider."),
    "SOLVER_TIME_LIMIT": (10, "Seconds the route solver may search per plan."),
    "PLAN_SEARCH": ("fixed", "'fixed': a plan searches a fixed amount (the same routes for the same day, on any "
                             "machine; SOLVER_TIME_LIMIT times PLAN_SEARCH_CAP is only a safety cap); 'time': it "
                             "searches for SOLVER_TIME_LIMIT seconds (what a busy machine finds differs run to run)."),
    "PLAN_SEARCH_SOLUTIONS": (50, "With PLAN_SEARCH 'fixed': the solutions OR-Tools' guided search goes through."),
    "PLAN_SEARCH_ITERATIONS_PER_STOP": (1000, "With PLAN_SEARCH 'fixed': ruin-and-recreate iterations per stop after "
                                              "OR-Tools (220 stops: about 8 s on one quiet core)."),
    "PLAN_SEARCH_CAP": (4, "With PLAN_SEARCH 'fixed': the safety cap on a plan's search, in SOLVER_TIME_LIMITs."),
    "URGENT_TIME_LIMIT": (3, "Seconds the solver may search when inserting an urgent visit into a live plan."),
    "DEFAULT_LANGUAGE": ("en", "UI language when the user has chosen none: 'en' or 'zh_Hans_CN'."),
    "TIMEZONE": ("Asia/Shanghai", "Timezone for showing times; times are stored in UTC."),
    "CLOCK_OFFSET_SECONDS": (0, "Run the app's clock this many seconds ahead of the machine's (negative: behind). "
                                "For demos and tests at another hour; 0 in production."),
    "SESSION_IDLE_MINUTES": (30, "A session idle this long is ended."),
    "SESSION_MAX_HOURS": (12, "A session this old is ended whatever its activity."),
    "REQUIRE_2FA_FOR_STAFF": (True, "Admins and staff must set up an authenticator app before using Doorstep "
                                    "(the demo turns this off so it works without a phone)."),
    "SECURE_COOKIES": (False, "Set the Secure flag on cookies (turn on behind HTTPS)."),
    "DEMO_CENTER": ("31.2304,121.4737", "lat,lon of the demo district's centre (central Shanghai)."),
    "PAGE_SIZE": (25, "Rows per page in staff lists."),
    "MAIL_SERVER": ("", "SMTP host for notification e-mail; empty only logs e-mails (demo)."),
    "MAIL_PORT": (25, "SMTP port (587 with MAIL_USE_TLS for most providers)."),
    "MAIL_USE_TLS": (False, "Upgrade the SMTP connection with STARTTLS."),
    "MAIL_USERNAME": ("", "SMTP login; empty sends without logging in."),
    "MAIL_PASSWORD": ("", "SMTP password for MAIL_USERNAME."),
    "MAIL_FROM": ("doorstep@localhost", "Sender address of notification e-mail."),
    "NOTIFY_MAX_ATTEMPTS": (5, "Send attempts before a notification is marked failed."),
    "NOTIFY_RETRY_MINUTES": (5, "Wait before retrying a failed send, times the attempts so far."),
    "INVITATION_DAYS": (7, "Days a family invitation link stays valid."),
    "SERVICE_HOURS": ("07:00-20:00", "Site-local hours families may ask home visits for (HH:MM-HH:MM)."),
    "MAP_TILE_URL": ("https://tile.openstreetmap.org/{z}/{x}/{y}.png",
                     "Map tile URL template ({z}/{x}/{y}); empty draws maps on a plain background. "
                     "The page CSP must allow its host for images."),
    "MAP_TILE_ATTRIBUTION": ("© OpenStreetMap contributors", "Attribution shown on maps drawn with MAP_TILE_URL."),
    "ALERT_GRACE_MINUTES": (15, "Dead-man switch: a stop with no outcome this long after its window ends raises an alert."),
    "ALERT_RERAISE_MINUTES": (10, "An open alert nobody acknowledged is raised again (staff told anew) this often."),
    "GEOCODER": ("nominatim", "Geocoder for addresses: 'nominatim' or 'none' (Baidu is used for Chinese addresses "
                              "when BAIDU_AK is set)."),
    "GEOCODER_USER_AGENT": ("Doorstep/0.1 (meal and home-care routing; set DISPATCH_GEOCODER_USER_AGENT to name "
                            "your organisation and a contact)", "User agent sent to the geocoder (Nominatim's policy "
                                                                "requires one that identifies the application)."),
    "GEOCODER_DOMAIN": ("nominatim.openstreetmap.org", "Nominatim host (and port), e.g. your own Nominatim server."),
    "GEOCODER_SCHEME": ("https", "http or https for the geocoder hosts."),
    "GEOCODER_TIMEOUT": (10, "Seconds to wait for one geocoder answer."),
    "GEOCODER_MIN_INTERVAL": (1.0, "Seconds between Nominatim calls across all processes (its policy: 1 per second)."),
    "GEOCODER_MAX_KM": (20.0, "A match farther than this from the senior's home site is flagged doubtful."),
    "GEOCODER_PRECISE_METRES": (500, "A Nominatim match whose bounding box is larger than this (a street, a district) "
                                     "is flagged doubtful."),
    "BAIDU_AK": ("", "Baidu Maps API key; when set, Chinese addresses are geocoded by Baidu (BD-09 stored as WGS-84)."),
    "BAIDU_DOMAIN": ("api.map.baidu.com", "Baidu geocoder host."),
    "BAIDU_MIN_INTERVAL": (0.2, "Seconds between Baidu geocoder calls across all processes."),
    "UPLOAD_MAX_MB": (8, "Largest upload accepted (spreadsheets to import), in MB; bigger ones get a 413 page."),
    "BOARD_POLL_SECONDS": (12, "How often the live board asks the server for news, in seconds."),
    "RATELIMIT_ENABLED": (True, "Rate-limit login, two-factor and invitation posts (off only in tests)."),
    "RATELIMIT_AUTH": ("10 per minute;60 per hour", "Posts one client address may make to each login, "
                                                    "two-factor or invitation endpoint (Flask-Limiter syntax); "
                                                    "logins are counted per address and account."),
    "RATELIMIT_AUTH_ADDRESS": ("30 per minute;300 per hour", "Login posts one client address may make over all "
                                                             "accounts together."),
    "LOGIN_FREE_FAILURES": (5, "Wrong passwords in a row one address may try for one account before it must wait."),
    "LOGIN_BACKOFF_MAX_SECONDS": (900, "Longest wait after repeated wrong passwords (per account and address; "
                                       "it doubles from 1 s up to this)."),
    "PROXY_COUNT": (0, "Reverse proxies in front of gunicorn that append to X-Forwarded-For (and set "
                       "X-Forwarded-Proto); 0 ignores those headers. Rate limits key on the address they give."),
    "AUDIT_KEY": (None, "Key of the audit trail's HMAC chain. Keep it in the app's environment, never in the "
                        "database; a random one is generated into DATA_DIR if unset (demo, tests)."),
    "AUDIT_ANCHOR_PATH": ("", "Append-only file that 'doorstep audit anchor' adds the trail's head (count, hash) to "
                              "and 'doorstep audit verify' checks against; empty means DATA_DIR/audit-anchors.jsonl."),
    "DATABASE_APP_ROLE": ("", "PostgreSQL: the role the app connects as when another role owns the tables and runs "
                              "the migrations; the migrations grant it row access, on audit_event only SELECT and "
                              "INSERT."),
    "AUDIT_UNUSUAL_READS": (50, "Unusual-access report: a user who reads more seniors' records in a day than this "
                                "(files opened, and seniors shown in lists and on the board)."),
    "AUDIT_UNUSUAL_REFUSALS": (10, "Unusual-access report: a user refused more often than this in a day on "
                                   "seniors' records."),
}


def _coerce(raw: str, default: Any) -> Any:
    """Read an environment string as the default's type, so '0' is False and '10' is 10."""
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    if isinstance(default, float):
        return float(raw)
    if isinstance(default, (list, dict)):
        return json.loads(raw)
    return raw


def load_settings(overrides: dict[str, Any] | None = None, environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Defaults, then DISPATCH_* environment variables, then explicit overrides."""
    environ = os.environ if environ is None else environ
    settings: dict[str, Any] = {}
    for key, (default, _comment) in SETTINGS.items():
        env_key = ENV_PREFIX + key
        settings[key] = _coerce(environ[env_key], default) if env_key in environ else default
    settings.update(overrides or {})
    return settings
