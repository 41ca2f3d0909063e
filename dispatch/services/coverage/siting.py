"""What-if siting: which k new places would bring the most uncovered seniors inside a circle.

Candidates come from an uploaded CSV (read in memory, never stored: a what-if
changes nothing) or from a grid over the gaps. The choice weights seniors by
need (``coverage.need_weight``) and is solved by CP-SAT in the routing core.
Opening a chosen place as a site goes through ``sites.create_site``, with its
rules and its administrators-only permission, like any other new site.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from dispatch.platform.errors import FieldError
from dispatch.routing.circles import CircleSite, Person, grid_candidates
from dispatch.routing.coverage_solver import choose_sites
from dispatch.services.coverage.circles import District, Report, compute_district, coverage_report, travel

MAX_CANDIDATES = 5000
MAX_K = 20
GRID_LIMIT = 2000
GRID_SPACING_M = 300.0


@dataclass(frozen=True)
class Candidate:
    lat: float
    lon: float
    name: str = ""


def parse_candidates(data: bytes) -> list[Candidate]:
    """Read a CSV with ``lat`` and ``lon`` columns (``name`` optional); a FieldError on ``file`` says what is wrong."""
    if not data or not data.strip():
        raise FieldError("file", _l("The file is empty."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FieldError("file", _l("The file is not UTF-8 text; save it as CSV (UTF-8).")) from None
    if "\x00" in text:
        raise FieldError("file", _l("The file is not a CSV text file."))
    try:
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
        if "lat" not in header or "lon" not in header:
            raise FieldError("file", _l("The first row must name the columns lat and lon (name is optional); "
                                        "found: %(found)s.", found=", ".join(h for h in header if h)[:200] or "-"))
        reader.fieldnames = header
        candidates = []
        for line, row in enumerate(reader, start=2):
            if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                continue
            if len(candidates) >= MAX_CANDIDATES:
                raise FieldError("file", _l("At most %(n)s candidate places, please.", n=MAX_CANDIDATES))
            candidates.append(_candidate(row, line))
    except csv.Error as error:
        raise FieldError("file", _l("The file is not valid CSV: %(reason)s", reason=str(error)[:200])) from None
    if not candidates:
        raise FieldError("file", _l("The file has no candidate rows."))
    return candidates


def _candidate(row: dict, line: int) -> Candidate:
    values = []
    for column, bound in (("lat", 90.0), ("lon", 180.0)):
        raw = (row.get(column) or "").strip()
        try:
            value = float(raw)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or abs(value) > bound:
            raise FieldError("file", _l("Line %(line)s: %(column)s must be a number between -%(bound)s and "
                                        "%(bound)s, not “%(value)s”.", line=line, column=column,
                                        bound=int(bound), value=raw[:40]))
        values.append(value)
    name = (row.get("name") or "").strip()[:120]
    name = "".join(ch for ch in name if ch.isprintable())
    return Candidate(values[0], values[1], name)


@dataclass
class Choice:
    candidate: Candidate
    gain_people: int


@dataclass
class SitingResult:
    chosen: list[Choice]
    candidates: int
    minutes: int
    mode: str
    before_covered: int
    after_covered: int
    total: int
    gain_weight: int
    optimal: bool
    from_grid: bool

    @property
    def before_pct(self) -> float | None:
        return 100.0 * self.before_covered / self.total if self.total else None

    @property
    def after_pct(self) -> float | None:
        return 100.0 * self.after_covered / self.total if self.total else None


def suggest_sites(user, k: int, *, candidates: list[Candidate] | None = None, minutes: int = 15,
                  mode: str = "walk", district: District | None = None, report: Report | None = None,
                  time_limit: float = 50.0) -> SitingResult:
    """Choose up to ``k`` candidates covering the most need among the gaps ``user`` can see (reads only)."""
    if not 1 <= k <= MAX_K:
        raise FieldError("k", _l("Choose between 1 and %(n)s new sites.", n=MAX_K))
    report = report or coverage_report(user, district or compute_district())
    gaps = report.gaps
    people = [Person(r.id, r.lat, r.lon, weight=r.weight) for r in gaps]
    from_grid = candidates is None
    if candidates is None:
        grid = grid_candidates(people, spacing_m=GRID_SPACING_M, limit=GRID_LIMIT)
        candidates = [Candidate(lat, lon) for lat, lon in grid]
    shapes = [CircleSite(n, c.lat, c.lon, minutes=minutes, mode=mode) for n, c in enumerate(candidates)]
    siting = choose_sites(shapes, people, k, travel(), time_limit=time_limit)
    chosen = [Choice(candidates[j], gain) for j, gain in zip(siting.chosen, siting.per_candidate_people)]
    return SitingResult(chosen, len(candidates), minutes, mode, report.covered, report.covered + siting.gain_people,
                        report.total, siting.gain_weight, siting.optimal, from_grid)
