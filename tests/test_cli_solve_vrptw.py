"""`doorstep solve-vrptw` reads a Solomon file and prints routes that visit every customer once."""
from __future__ import annotations

import json
import math

from dispatch.cli import solve_vrptw_command

# A tiny instance in Solomon's format: depot 0, four customers on a square, wide windows.
INSTANCE = """TINY4

VEHICLE
NUMBER     CAPACITY
  2         20

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      50         50          0          0       1000          0
    1      60         50         10          0       1000         10
    2      60         60         10          0       1000         10
    3      40         50         10          0       1000         10
    4      40         40         10          0       1000         10
"""


def truncated(a, b):
    return math.floor(10 * math.hypot(a[0] - b[0], a[1] - b[1])) / 10


def test_solve_vrptw_prints_a_complete_json_solution(tmp_path):
    path = tmp_path / "TINY4.txt"
    path.write_text(INSTANCE.replace("\n", "\r\n"))
    from click.testing import CliRunner

    result = CliRunner().invoke(solve_vrptw_command, [str(path), "--time-limit", "1"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["instance"] == "TINY4"
    visited = sorted(c for route in answer["routes"] for c in route)
    assert visited == [1, 2, 3, 4]
    # Capacity 20 with four demands of 10: at least two routes, at most the fleet of 2.
    assert answer["vehicles"] == len(answer["routes"]) == 2
    xy = {0: (50, 50), 1: (60, 50), 2: (60, 60), 3: (40, 50), 4: (40, 40)}
    recomputed = sum(
        sum(truncated(xy[a], xy[b]) for a, b in zip([0, *route], [*route, 0])) for route in answer["routes"]
    )
    assert answer["distance"] == round(recomputed, 1)
    # The optimum pairs the east customers and the west customers: 2 * (10 + 10 + 14.1).
    assert answer["distance"] == 68.2


def test_solve_vrptw_rejects_a_missing_file(tmp_path):
    from click.testing import CliRunner

    result = CliRunner().invoke(solve_vrptw_command, [str(tmp_path / "nope.txt")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
