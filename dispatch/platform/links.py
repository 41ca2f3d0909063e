"""Links a phone opens in another app: call a number."""
from __future__ import annotations

import re


def tel_uri(phone: str | None) -> str | None:
    """A ``tel:`` link for a phone number as staff typed it (spaces, dashes), or None."""
    if not phone:
        return None
    digits = re.sub(r"[^0-9+]", "", phone)
    if digits.count("+") > 1 or "+" in digits[1:]:
        digits = digits.replace("+", "")
    return f"tel:{digits}" if re.search(r"[0-9]{3,}", digits) else None
