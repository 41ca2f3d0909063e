"""Staff pages for sites."""
from __future__ import annotations

from dispatch.web.staff import bp  # noqa: F401
