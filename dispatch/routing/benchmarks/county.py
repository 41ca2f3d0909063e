"""A generated rural county for the demo and the benchmarks: one township kitchen, village points, 300 seniors.

Shaped on the mountain township in /work/shared/rural-meals.md: villages scattered over about
40 km, each with a meal point where some seniors dine and from which volunteers walk the rest
of the meals to the door; vans bring every point's lunch batch in insulated boxes. Seeded, plain
data only (the demo can store it as is), names in English and Chinese.

Travel is the core's geodesic model with a county-road car speed: 40 km/h rather than the
town default of 25 (a 20 km village would otherwise be an hour away, which no insulated box
route in the reports takes), walking at the default 4.5 km/h.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ..location import Location
from ..network import NetworkProblem, VillagePoint
from ..problem import Depot, Stop, TimeWindow, Worker
from ..travel import DEFAULT_CIRCUITY, DEFAULT_SPEEDS_KMH, GeodesicTravel

CENTRE = (40.46, 115.98)  # a mountain township north-west of Beijing
KM_PER_DEG_LAT = 111.2
COUNTY_SPEEDS_KMH = {**DEFAULT_SPEEDS_KMH, "car": 40.0}
INSULATED_HOLD = 120 * 60
H = 3600

VILLAGES = (
    ("Dongshan", "东山"), ("Xishan", "西山"), ("Nangou", "南沟"), ("Beiyu", "北峪"), ("Shangzhuang", "上庄"),
    ("Xiazhuang", "下庄"), ("Liujiagou", "刘家沟"), ("Wangjiayu", "王家峪"), ("Shihe", "石河"),
    ("Baiquan", "白泉"), ("Huangtuliang", "黄土梁"), ("Qianjiazhuang", "钱家庄"), ("Yangjiatai", "杨家台"),
    ("Lijiabao", "李家堡"), ("Songshuwa", "松树洼"),
)
KINDS = (("Village Happiness Home", "村幸福院"), ("Village Committee Meal Point", "村委会助餐点"),
         ("Village Shop Meal Point", "村小卖部助餐点"))


@dataclass(frozen=True)
class Senior:
    """A senior of the county: where they live, their village point, and whether they dine there."""

    id: str
    location: Location
    point_id: str
    dines_in: bool


@dataclass(frozen=True, eq=False)
class County:
    network: NetworkProblem
    seniors: tuple[Senior, ...]


def _offset(lat: float, lon: float, dx_km: float, dy_km: float) -> Location:
    return Location(round(lat + dy_km / KM_PER_DEG_LAT, 6),
                    round(lon + dx_km / (KM_PER_DEG_LAT * math.cos(math.radians(lat))), 6))


def generate_county(seed: int = 0, *, seniors: int = 300, points: int | None = None, vans: int | None = None,
                    area_km: float = 40.0) -> County:
    """The county for `seed`: 10-15 points, a van per four points (2-4) and a volunteer per five door meals (1-3)
    unless given."""
    rng = random.Random(seed)
    n_points = points or rng.randint(10, 15)
    # A van can drop about four batches within the lunch hour, so the fleet follows the villages.
    n_vans = vans or min(4, max(2, math.ceil(n_points / 4)))
    kitchen = Depot("kitchen", Location(*CENTRE))
    half = area_km / 2
    # Villages sit along mountain roads out of the township, one road per van, at least 3 km apart.
    roads = [rng.uniform(0, 2 * math.pi) / n_vans + 2 * math.pi * k / n_vans for k in range(n_vans)]
    spots: list[tuple[float, float]] = []
    while len(spots) < n_points:
        road = roads[len(spots) % n_vans]
        r = rng.uniform(4, half)
        a = road + rng.uniform(-0.25, 0.25)
        x, y = r * math.cos(a), r * math.sin(a)
        if all(math.hypot(x - u, y - v) >= 3 for u, v in spots):
            spots.append((x, y))
    weights = [rng.uniform(0.5, 1.5) for _ in spots]
    people = rng.choices(range(n_points), weights=weights, k=seniors)
    names = rng.sample(VILLAGES, n_points)

    point_list, door, volunteers, folks = [], [], [], []
    for j, ((x, y), (en, zh)) in enumerate(zip(spots, names)):
        pid = f"p{j + 1:02d}"
        where = _offset(*CENTRE, x, y)
        kind_en, kind_zh = KINDS[j % len(KINDS)]
        mine = [k for k, p in enumerate(people) if p == j]
        dine, walk = [], []
        for k in mine:
            # Most live in the village (within ~1 km), some in hamlets up to 2 km out.
            r = abs(rng.gauss(0, 0.4)) if rng.random() < 0.9 else rng.uniform(1.0, 2.0)
            a = rng.uniform(0, 2 * math.pi)
            home = _offset(where.lat, where.lon, r * math.cos(a), r * math.sin(a))
            dines = r < 0.6 and rng.random() < 0.55
            folks.append(Senior(f"s{k + 1:03d}", home, pid, dines))
            (dine if dines else walk).append((k, home))
        # Lunch batches arrive 10:45-11:45; a shop that opens late takes its batch from 11:00.
        window = TimeWindow(10 * H + rng.choice((45, 45, 60)) * 60, 11 * H + 45 * 60)
        point_list.append(VillagePoint(pid, where, kitchen.id, window, dine_in=len(dine),
                                       seats=max(20, len(dine) + rng.randint(0, 10)), unload=5 * 60,
                                       names={"en": f"{en} {kind_en}", "zh": f"{zh}{kind_zh}"}))
        for k, home in walk:
            door.append(Stop(f"m{k + 1:03d}", home, demand=(1,), service=120, hot_meal=True, depot=pid,
                             senior_id=f"s{k + 1:03d}"))
        # A volunteer carries about ten meals; a big village's three carry more rather than leave any behind.
        helpers = min(3, max(1, math.ceil(len(walk) / 5)))
        bag = max(10, math.ceil(len(walk) / helpers))
        for v in range(helpers):
            volunteers.append(Worker(f"{pid}-v{v + 1}", TimeWindow(10 * H + 30 * 60, 13 * H + 30 * 60), depot=pid,
                                     capacity=(bag,), mode="walk"))
    vans_list = [Worker(f"van{v + 1}", TimeWindow(9 * H + 30 * 60, 14 * H), depot=kitchen.id, capacity=(160,))
                 for v in range(n_vans)]
    travel = GeodesicTravel(speeds_kmh=dict(COUNTY_SPEEDS_KMH), circuity=DEFAULT_CIRCUITY)
    network = NetworkProblem((kitchen,), tuple(point_list), tuple(sorted(door, key=lambda s: s.id)),
                             tuple(vans_list), tuple(volunteers), INSULATED_HOLD, travel,
                             name=f"generated rural county (seed {seed})")
    return County(network, tuple(sorted(folks, key=lambda s: s.id)))


def rural_county(seed: int = 0, **kw) -> NetworkProblem:
    """The generated county's network alone, for planning."""
    return generate_county(seed, **kw).network
