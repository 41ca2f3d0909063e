"""A local stand-in for Nominatim's /search and Baidu's /geocoding/v3/, on 127.0.0.1, for tests and benchmarks.

    with GeocodeStub({"12 plum lane": (31.2304, 121.4737)}) as stub:
        config["GEOCODER_DOMAIN"] = stub.host

Answers are looked up by the normalised query; an address not listed gets
"no result". ``stub.down = True`` answers 503 to everything (an outage).
``stub.hits`` records (monotonic time, path, query) for every request, so a
benchmark can check the pace several processes kept between them.
"""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


def _key(text: str) -> str:
    return " ".join(text.casefold().replace(",", " ").split())


class GeocodeStub:
    def __init__(self, places: dict[str, tuple] | None = None, *, port: int = 0) -> None:
        """``places``: normalised address -> (lat, lon) or (lat, lon, bbox_metres) or, for Baidu,
        (bd_lat, bd_lon, precise, confidence)."""
        self.places = {_key(k): v for k, v in (places or {}).items()}
        self.down = False
        self.hits: list[tuple[float, str, str]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                parts = urlsplit(self.path)
                args = {k: v[0] for k, v in parse_qs(parts.query).items()}
                query = args.get("q") or args.get("address") or ""
                stub.hits.append((time.monotonic(), parts.path, query))
                if stub.down:
                    self.send_response(503)
                    self.end_headers()
                    return
                place = stub.places.get(_key(query))
                if parts.path.rstrip("/") == "/search":
                    body = [] if place is None else [stub.nominatim(query, place)]
                elif parts.path.rstrip("/") == "/geocoding/v3":
                    body = ({"status": 0, "result": []} if place is None else
                            {"status": 0, "result": {"location": {"lat": place[0], "lng": place[1]},
                                                     "precise": place[2], "confidence": place[3],
                                                     "comprehension": 100, "level": "门址"}})
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.host = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def nominatim(query: str, place: tuple) -> dict:
        lat, lon = place[0], place[1]
        half = (place[2] if len(place) > 2 else 40) / 2 / 111_195
        return {"place_id": 1, "lat": str(lat), "lon": str(lon), "display_name": query, "importance": 0.3,
                "class": "building", "type": "house",
                "boundingbox": [str(lat - half), str(lat + half), str(lon - half), str(lon + half)]}

    def __enter__(self) -> GeocodeStub:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def stub_config(stub: GeocodeStub, **extra) -> dict:
    """Settings that point Doorstep's geocoders at ``stub`` over plain HTTP."""
    config = {"GEOCODER": "nominatim", "GEOCODER_DOMAIN": stub.host, "GEOCODER_SCHEME": "http",
              "BAIDU_DOMAIN": stub.host, "GEOCODER_TIMEOUT": 3, "GEOCODER_MIN_INTERVAL": 0.0}
    config.update(extra)
    return config
