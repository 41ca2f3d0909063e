"""Travel matrices: great-circle by default, OSRM when a server answers, never a crash when it does not."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from dispatch.routing import GeodesicTravel, InvalidProblem, Location, OsrmTravel

PEOPLE_SQUARE = Location(31.2304, 121.4737)
JINGAN = Location(31.2235, 121.4453)
BUND = Location(31.2400, 121.4900)


def test_matrix_agrees_with_geopy_single_pairs():
    travel = GeodesicTravel()
    places = [PEOPLE_SQUARE, JINGAN, BUND]
    m = travel.matrix(places, "e_bike")
    assert m.dtype.kind == "i" and m.shape == (3, 3)
    for i, a in enumerate(places):
        for j, b in enumerate(places):
            assert abs(int(m[i, j]) - travel.seconds(a, b, "e_bike")) <= 1


def test_times_scale_with_speed_and_circuity():
    base = GeodesicTravel().seconds(PEOPLE_SQUARE, JINGAN, "walk")
    # ~2.8 km straight, x1.3 streets, 4.5 km/h: a bit under an hour on foot.
    assert 2700 < base < 3300
    assert GeodesicTravel().seconds(PEOPLE_SQUARE, JINGAN, "car") < GeodesicTravel().seconds(PEOPLE_SQUARE, JINGAN, "e_bike") < base
    straight = GeodesicTravel(circuity=1.0).seconds(PEOPLE_SQUARE, JINGAN, "walk")
    assert abs(base - 1.3 * straight) <= 1
    custom = GeodesicTravel(speeds_kmh={"walk": 9.0}).seconds(PEOPLE_SQUARE, JINGAN, "walk")
    assert abs(custom - base / 2) <= 1


def test_unknown_mode_is_invalid():
    with pytest.raises(InvalidProblem, match="unknown travel mode"):
        GeodesicTravel().matrix([PEOPLE_SQUARE], "boat")


class _Osrm(BaseHTTPRequestHandler):
    mode = "ok"
    seen: list = []

    def do_GET(self):
        type(self).seen.append(self.path)
        if self.mode == "slow":
            time.sleep(2)
        if self.mode == "error":
            self.send_response(500)
            self.end_headers()
            return
        coords = self.path.split("/")[4].split("?")[0].split(";")
        n = len(coords)
        durations = [[0 if i == j else 100 * (i + j) for j in range(n)] for i in range(n)]
        if n > 2:
            durations[0][2] = None  # unroutable pair
        body = {"code": "Ok", "durations": durations} if self.mode != "bad" else {"code": "NoRoute"}
        data = json.dumps(body).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on a slow answer, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def osrm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Osrm)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Osrm.seen = []
    yield server
    server.shutdown()
    server.server_close()
    _Osrm.mode = "ok"


def _url(server):
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_osrm_table_is_used_when_the_server_answers(osrm):
    places = [PEOPLE_SQUARE, JINGAN, BUND]
    m = OsrmTravel(_url(osrm)).matrix(places, "car")
    assert m[0, 1] == 100 and m[1, 2] == 300 and m[2, 1] == 300
    assert m[0, 2] == GeodesicTravel().matrix(places, "car")[0, 2]  # null falls back per pair
    assert _Osrm.seen[0].startswith("/table/v1/driving/121.473700,31.230400;")


def test_osrm_profile_follows_the_mode(osrm):
    OsrmTravel(_url(osrm)).matrix([PEOPLE_SQUARE, JINGAN], "walk")
    assert "/table/v1/foot/" in _Osrm.seen[0]


@pytest.mark.parametrize("mode", ["error", "bad", "slow"])
def test_osrm_failure_falls_back_to_great_circle(osrm, mode):
    _Osrm.mode = mode
    places = [PEOPLE_SQUARE, JINGAN, BUND]
    began = time.monotonic()
    m = OsrmTravel(_url(osrm), timeout=0.3).matrix(places, "e_bike")
    assert time.monotonic() - began < 1.5
    np.testing.assert_array_equal(m, GeodesicTravel().matrix(places, "e_bike"))


def test_osrm_unreachable_server_falls_back():
    m = OsrmTravel("http://127.0.0.1:9", timeout=0.3).matrix([PEOPLE_SQUARE, JINGAN], "car")
    assert m[0, 1] == GeodesicTravel().seconds(PEOPLE_SQUARE, JINGAN, "car")
