"""A deterministic, realistic demo district, as plain data (no database).

``generate_district(seed=..., today=...)`` lays out meal sites, residential
compounds, seniors, workers, enrollments, holds and today's service requests
around a centre (central Shanghai by default). The same seed and day always
give the same district: one ``random.Random(seed)`` drives every choice and
"today" is passed in, never read from the clock. ``services.seed`` persists it.

Enum-like fields hold the models' stored values as plain strings
(``"e_bike"``, ``"walking_assistance"``...), so this module imports no models.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace
from datetime import date, time, timedelta
from typing import Callable

DEFAULT_CENTER = (31.2304, 121.4737)
HALF_SIDE_KM = 2.0  # the district is a 4 km x 4 km square around the centre
COMPOUND_RADIUS_M = 150.0
KM_PER_DEG_LAT = 111.32

SERVICE_TYPES = (
    "bathing", "cleaning", "walking_assistance", "medical_assistance", "emergency_assistance", "companionship",
)
WEEKDAYS = tuple(range(7))  # 0 = Monday, as date.weekday()
MON_FRI = (0, 1, 2, 3, 4)


# ---------------------------------------------------------------- value types

@dataclass(frozen=True)
class Bounds:
    """The district's square, in degrees."""

    south: float
    west: float
    north: float
    east: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.south <= lat <= self.north and self.west <= lon <= self.east


@dataclass(frozen=True)
class DemoWindow:
    meal: str  # lunch | dinner
    start: time
    end: time

    def __post_init__(self):
        if self.end <= self.start:
            raise ValueError(f"{self.meal} window ends before it starts")


@dataclass(frozen=True)
class DemoSite:
    key: str
    name: str
    name_zh: str
    kind: str  # canteen | central_kitchen
    address: str
    address_zh: str
    neighbourhood: str
    lat: float
    lon: float
    phone: str
    daily_capacity: int
    windows: tuple[DemoWindow, ...]
    hold_limit_minutes: int = 45
    circle_minutes: int = 15
    circle_mode: str = "walk"


@dataclass(frozen=True)
class DemoCompound:
    key: str
    name: str
    name_zh: str
    road: str
    road_zh: str
    lane: int
    lat: float
    lon: float


@dataclass(frozen=True)
class DemoContact:
    name: str
    name_zh: str
    relation: str  # son, daughter, niece, neighbour...
    phone: str
    priority: int = 1


@dataclass(frozen=True)
class DemoSenior:
    key: str
    full_name: str
    full_name_zh: str
    gender: str  # female | male
    date_of_birth: date
    age: int
    phone: str
    address: str
    address_zh: str
    compound: str
    lat: float
    lon: float
    lives_alone: bool
    mobility: str  # independent | walker | wheelchair | bedridden
    diet: str
    allergies: str | None
    categories: tuple[str, ...]
    access_notes: str
    contacts: tuple[DemoContact, ...]
    home_site: str


@dataclass(frozen=True)
class DemoShift:
    weekday: int
    start: time
    end: time
    break_minutes: int = 0

    def __post_init__(self):
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if self.end <= self.start:
            raise ValueError("shift ends before it starts")


@dataclass(frozen=True)
class DemoWorker:
    key: str
    full_name: str
    full_name_zh: str
    phone: str
    kind: str  # driver | caregiver | nurse | volunteer
    skills: tuple[str, ...]
    travel_mode: str  # walk | e_bike | car
    capacity_meals: int
    home_site: str
    max_minutes_per_day: int
    shifts: tuple[DemoShift, ...]


@dataclass(frozen=True)
class DemoEnrollment:
    senior: str
    site: str
    meal: str
    weekdays: tuple[int, ...]
    mode: str  # delivery | dine_in
    start_date: date


@dataclass(frozen=True)
class DemoHold:
    senior: str
    start_date: date
    end_date: date
    reason: str

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True)
class DemoServiceRequest:
    key: str
    senior: str
    site: str
    service_type: str
    required_skill: str
    day: date
    window_start: time
    window_end: time
    duration_minutes: int
    priority: int  # 1 = most urgent (emergencies) ... 5 = whenever convenient
    status: str  # requested | approved | scheduled | declined | cancelled
    requested_by: str  # family | staff | senior | hotline
    notes: str
    status_reason: str = ""
    recurrence: str = "none"  # none | weekly


@dataclass(frozen=True)
class DemoSubsidyRule:
    """Per-meal price and subsidy (in cents) for a category or an age band; highest precedence wins."""

    name: str
    category: str | None
    min_age: int | None
    max_age: int | None
    meal_price_cents: int
    subsidy_cents: int
    delivery_subsidy_cents: int = 0
    precedence: int = 0


@dataclass(frozen=True)
class DemoDistrict:
    seed: int
    today: date
    center: tuple[float, float]
    bounds: Bounds
    sites: tuple[DemoSite, ...]
    compounds: tuple[DemoCompound, ...]
    seniors: tuple[DemoSenior, ...]
    workers: tuple[DemoWorker, ...]
    enrollments: tuple[DemoEnrollment, ...]
    holds: tuple[DemoHold, ...]
    service_requests: tuple[DemoServiceRequest, ...]
    subsidy_rules: tuple[DemoSubsidyRule, ...] = field(default=())
    timezone: str = "Asia/Shanghai"  # the sites' zone (where the demo runs on a street extract: the extract's)

    def summary(self) -> str:
        """One line per kind of record, for the command line."""
        alone = sum(s.lives_alone for s in self.seniors)
        kitchens = sum(s.kind == "central_kitchen" for s in self.sites)
        return "\n".join([
            f"{len(self.sites)} meal sites ({kitchens} central kitchens) around "
            f"{self.center[0]:.4f},{self.center[1]:.4f}",
            f"{len(self.seniors)} seniors in {len(self.compounds)} compounds ({alone} living alone)",
            f"{len(self.workers)} workers",
            f"{len(self.enrollments)} meal enrollments, {len(self.holds)} holds",
            f"{len(self.service_requests)} service requests for {self.today.isoformat()}",
            f"{len(self.subsidy_rules)} subsidy rules",
        ])


# ---------------------------------------------------------------- name tables

SURNAMES = [
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("林", "Lin"),
    ("高", "Gao"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"), ("沈", "Shen"),
    ("陆", "Lu"), ("顾", "Gu"), ("蒋", "Jiang"), ("钱", "Qian"), ("施", "Shi"), ("姚", "Yao"),
]
# Common surnames are commoner: weight the first ten more heavily.
SURNAME_WEIGHTS = [6 if i < 10 else 2 for i in range(len(SURNAMES))]

ELDER_FEMALE = [
    ("秀英", "Xiuying"), ("桂英", "Guiying"), ("秀兰", "Xiulan"), ("玉兰", "Yulan"), ("桂兰", "Guilan"),
    ("淑珍", "Shuzhen"), ("凤英", "Fengying"), ("玉珍", "Yuzhen"), ("美华", "Meihua"), ("丽华", "Lihua"),
    ("惠芳", "Huifang"), ("兰英", "Lanying"), ("素珍", "Suzhen"), ("月英", "Yueying"), ("金凤", "Jinfeng"),
    ("阿娣", "Adi"), ("彩凤", "Caifeng"), ("雅琴", "Yaqin"), ("佩华", "Peihua"), ("宝珍", "Baozhen"),
]
ELDER_MALE = [
    ("建国", "Jianguo"), ("国强", "Guoqiang"), ("志明", "Zhiming"), ("德华", "Dehua"), ("永福", "Yongfu"),
    ("金山", "Jinshan"), ("长福", "Changfu"), ("保国", "Baoguo"), ("国华", "Guohua"), ("文彬", "Wenbin"),
    ("德明", "Deming"), ("福根", "Fugen"), ("根宝", "Genbao"), ("海生", "Haisheng"), ("振华", "Zhenhua"),
    ("仁杰", "Renjie"), ("志刚", "Zhigang"), ("学文", "Xuewen"), ("荣根", "Ronggen"), ("家骏", "Jiajun"),
]
YOUNG_GIVEN = [
    ("伟", "Wei"), ("敏", "Min"), ("静", "Jing"), ("磊", "Lei"), ("婷", "Ting"), ("洋", "Yang"),
    ("芳", "Fang"), ("军", "Jun"), ("杰", "Jie"), ("娜", "Na"), ("涛", "Tao"), ("丹", "Dan"),
    ("晨", "Chen"), ("浩", "Hao"), ("佳怡", "Jiayi"), ("志强", "Zhiqiang"), ("海燕", "Haiyan"),
    ("晓东", "Xiaodong"), ("丽萍", "Liping"), ("建华", "Jianhua"), ("春梅", "Chunmei"), ("文杰", "Wenjie"),
    ("雪梅", "Xuemei"), ("俊", "Jun"), ("燕", "Yan"), ("鹏", "Peng"), ("红", "Hong"), ("斌", "Bin"),
]

# (Chinese, English) road names of central Shanghai.
ROADS = [
    ("延安中路", "Yan'an Middle Rd"), ("南京西路", "Nanjing West Rd"), ("淮海中路", "Huaihai Middle Rd"),
    ("复兴中路", "Fuxing Middle Rd"), ("陕西北路", "Shaanxi North Rd"), ("成都北路", "Chengdu North Rd"),
    ("北京西路", "Beijing West Rd"), ("威海路", "Weihai Rd"), ("新闸路", "Xinzha Rd"), ("长乐路", "Changle Rd"),
    ("巨鹿路", "Julu Rd"), ("茂名北路", "Maoming North Rd"), ("石门一路", "Shimen No.1 Rd"),
    ("大沽路", "Dagu Rd"), ("江宁路", "Jiangning Rd"), ("西藏中路", "Xizang Middle Rd"),
    ("凤阳路", "Fengyang Rd"), ("泰兴路", "Taixing Rd"), ("武定路", "Wuding Rd"), ("康定路", "Kangding Rd"),
]

# (Chinese, pinyin stem, English kind) for residential compounds.
COMPOUND_STEMS = [
    ("康乐", "Kangle"), ("幸福", "Xingfu"), ("长寿", "Changshou"), ("福寿", "Fushou"), ("和平", "Heping"),
    ("东园", "Dongyuan"), ("金桥", "Jinqiao"), ("春晖", "Chunhui"), ("安居", "Anju"), ("祥和", "Xianghe"),
    ("永乐", "Yongle"), ("兴业", "Xingye"), ("梅园", "Meiyuan"), ("桃源", "Taoyuan"), ("新华", "Xinhua"),
    ("锦绣", "Jinxiu"), ("瑞金", "Ruijin"), ("延福", "Yanfu"), ("明德", "Mingde"), ("景华", "Jinghua"),
    ("宝庆", "Baoqing"), ("荣华", "Ronghua"), ("友谊", "Youyi"), ("光明", "Guangming"), ("太平", "Taiping"),
    ("吉祥", "Jixiang"), ("松柏", "Songbai"), ("百乐", "Baile"), ("德福", "Defu"), ("平安", "Ping'an"),
]
COMPOUND_KINDS = [
    ("小区", "Residential Compound"), ("新村", "New Village"), ("里", "Lane Houses"),
    ("苑", "Garden"), ("坊", "Lane Compound"), ("公寓", "Apartments"),
]

# Subdistricts that name the canteens.
SUBDISTRICTS = [
    ("石门二路", "Shimen Road No.2"), ("南京西路", "Nanjing West Road"), ("江宁路", "Jiangning Road"),
    ("曹家渡", "Caojiadu"), ("静安寺", "Jing'an Temple"), ("天目西路", "Tianmu West Road"),
    ("宝山路", "Baoshan Road"), ("芷江西路", "Zhijiang West Road"), ("共和新路", "Gonghe Xinlu"),
    ("大宁路", "Daning Road"), ("临汾路", "Linfen Road"), ("彭浦新村", "Pengpu Xincun"),
    ("北站", "North Station"), ("彭浦镇", "Pengpu Town"),
]

# Door notes as a Shanghai site's staff write them, in Chinese, with the English for the demo's visitors
# (one free-text field, shown as typed: the Chinese driver reads the first part, an English reader the second).
ACCESS_NOTES = [
    ("门禁密码 {code}#", "gate code {code}#"), ("院子里有狗", "dog in yard"),
    ("耳背，请用力敲门", "hard of hearing — knock loudly"), ("按两次门铃，开门慢", "ring twice, door opens slowly"),
    ("钥匙在 {room2} 室邻居家", "key with neighbour in room {room2}"), ("6 楼，无电梯", "6th floor, no lift"),
    ("用助行器，请在门口等候", "uses a walker; wait at the door"), ("只会讲上海话", "speaks Shanghainese only"),
    ("到达前先打电话：{phone}", "call before arriving: {phone}"), ("家里有猫，请随手关门", "cat at home, keep the door closed"),
    ("门铃坏了，请在楼下打电话", "buzzer broken — phone from the gate"),
]
ALLERGIES = ["peanuts", "shellfish", "shrimp", "eggs", "milk", "sesame", "penicillin (medication)"]
DIETS = [  # (diet, weight): regular the majority
    ("regular", 60), ("diabetic", 13), ("low_salt", 13), ("soft", 6), ("minced", 3), ("pureed", 1.5),
    ("vegetarian", 2), ("halal", 1.5),
]
MOBILITY = [("independent", 62), ("walker", 26), ("wheelchair", 9), ("bedridden", 3)]
PHONE_PREFIXES = ["139", "138", "137", "136", "135", "158", "159", "186", "189", "177", "133"]

SERVICE_PROFILES = {
    # type: (duration minutes, (earliest hour, latest hour) of the window start, window hours, notes in
    # Chinese and English, as the door notes)
    "bathing": (60, (9, 15), 2, [
        "需要协助洗澡；浴室有扶手 / needs help bathing; bathroom has grab bars", "家里有洗澡椅 / shower chair at home", "希望由女护理员上门 / prefers a female caregiver",
    ]),
    "cleaning": (90, (8, 14), 3, [
        "厨房和卫生间 / kitchen and bathroom", "每周整理，更换床单 / weekly tidy-up, bedding to change", "家人来访之后 / after a family visit",
    ]),
    "walking_assistance": (45, (9, 16), 2, [
        "陪同去公园散步再回家 / walk to the park and back", "陪同去菜场 / accompany to the market", "髋关节手术后练习上下楼梯 / stairs practice after hip surgery",
    ]),
    "medical_assistance": (30, (8, 15), 2, [
        "测血压和血糖 / blood pressure and blood sugar check", "腿部换药 / change dressing on the leg", "核对用药 / medication review",
    ]),
    "emergency_assistance": (30, (8, 17), 1, [
        "在家摔倒，邻居来电 / fell at home, neighbour called", "早上起头晕，独居 / dizzy since morning, lives alone", "按了呼叫按钮 / alarm button pressed",
    ]),
    "companionship": (60, (13, 16), 3, [
        "聊天、一起读报 / chat and read the newspaper together", "帮忙和家人视频通话 / help with a video call to family", "打牌 / play cards",
    ]),
}


# ---------------------------------------------------------------- geometry

def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (the geodesic travel provider's formula)."""
    r = 6371009.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def parse_center(value: str | tuple[float, float] | None) -> tuple[float, float]:
    """'lat,lon' (the DEMO_CENTER setting) as a pair of floats."""
    if value is None or value == "":
        return DEFAULT_CENTER
    if isinstance(value, tuple):
        lat, lon = value
    else:
        try:
            lat_s, lon_s = value.split(",")
            lat, lon = float(lat_s), float(lon_s)
        except ValueError:
            raise ValueError(f"DEMO_CENTER must be 'lat,lon', got {value!r}") from None
    if not (-85 <= lat <= 85 and -180 <= lon <= 180):
        raise ValueError(f"DEMO_CENTER out of range: {value!r}")
    return float(lat), float(lon)


# Moves a generated (lat, lon) to where a place can really be (a street node of an extract).
Placer = Callable[[float, float], tuple[float, float]]


class _Grid:
    """Converts kilometre offsets from the centre to degrees; ``place`` also puts the point where a
    place can be (unchanged unless a ``placer`` is given)."""

    def __init__(self, center: tuple[float, float], half_km: tuple[float, float] = (HALF_SIDE_KM, HALF_SIDE_KM),
                 placer: Placer | None = None):
        self.lat0, self.lon0 = center
        self.half_x, self.half_y = half_km
        self.km_per_deg_lon = KM_PER_DEG_LAT * math.cos(math.radians(self.lat0))
        self.placer = placer

    def point(self, dx_km: float, dy_km: float) -> tuple[float, float]:
        return (round(self.lat0 + dy_km / KM_PER_DEG_LAT, 6), round(self.lon0 + dx_km / self.km_per_deg_lon, 6))

    def place(self, dx_km: float, dy_km: float) -> tuple[float, float]:
        lat, lon = self.point(dx_km, dy_km)
        if self.placer is None:
            return lat, lon
        lat, lon = self.placer(lat, lon)
        return round(lat, 6), round(lon, 6)

    def bounds(self) -> Bounds:
        south, west = self.point(-self.half_x, -self.half_y)
        north, east = self.point(self.half_x, self.half_y)
        return Bounds(south, west, north, east)


# ---------------------------------------------------------------- generator

def generate_district(
    *,
    seed: int = 1,
    today: date,
    seniors: int = 600,
    sites: int = 8,
    workers: int | None = None,
    center: str | tuple[float, float] | None = None,
    half_km: tuple[float, float] = (HALF_SIDE_KM, HALF_SIDE_KM),
    placer: Placer | None = None,
    timezone: str = "Asia/Shanghai",
) -> DemoDistrict:
    """Build the whole district; identical arguments give identical data.

    ``half_km`` is the district's half width and half height (a 4 km square by default); ``placer``
    moves each generated site, compound and home to a real place (``demo.streets`` snaps them to the
    street nodes of an extract) before anything depends on where it is."""
    if seniors < 1:
        raise ValueError("need at least one senior")
    if sites < 1:
        raise ValueError("need at least one meal site")
    rng = random.Random(seed)
    centre = parse_center(center)
    grid = _Grid(centre, half_km, placer)
    n_workers = workers if workers is not None else max(8, round(seniors / 15))

    site_list = _sites(rng, grid, sites)
    compounds = _compounds(rng, grid, seniors, site_list)
    senior_list = _seniors(rng, grid, compounds, site_list, seniors, today)
    enrollments = _enrollments(rng, senior_list, site_list, today)
    site_list = _size_capacities(rng, site_list, enrollments)
    names = _WorkerNames()
    worker_list = _workers(rng, site_list, n_workers, names)
    worker_list += _meal_runners(rng, site_list, enrollments, worker_list, names)
    worker_list = _shared_every_day(worker_list, {site.key for site in site_list[:2]})
    holds = _holds(rng, senior_list, enrollments, today)
    requests = _service_requests(rng, senior_list, today)
    return DemoDistrict(
        seed=seed, today=today, center=centre, bounds=grid.bounds(),
        sites=tuple(site_list), compounds=tuple(compounds), seniors=tuple(senior_list),
        workers=tuple(worker_list), enrollments=tuple(enrollments), holds=tuple(holds),
        service_requests=tuple(requests), subsidy_rules=subsidy_rules(), timezone=timezone,
    )


def _phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + "".join(str(rng.randrange(10)) for _ in range(8))


def _landline(rng: random.Random) -> str:
    return f"021-{rng.randrange(5000, 6999)}{rng.randrange(10000):04d}"


def _weighted(rng: random.Random, table: list[tuple[str, float]]) -> str:
    values, weights = zip(*table)
    return rng.choices(values, weights=weights)[0]


def _sites(rng: random.Random, grid: _Grid, n: int) -> list[DemoSite]:
    """Sites on a jittered grid over the district; the central kitchens sit nearest the centre."""
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    cells = [(c, r) for r in range(rows) for c in range(cols)]
    rng.shuffle(cells)
    cells = cells[:n]
    side_x, side_y = 2 * grid.half_x * 0.9, 2 * grid.half_y * 0.9  # keep sites off the very edge
    positions = []
    for c, r in cells:
        dx = -side_x / 2 + (c + 0.5) * side_x / cols + rng.uniform(-0.2, 0.2) * side_x / cols
        dy = -side_y / 2 + (r + 0.5) * side_y / rows + rng.uniform(-0.2, 0.2) * side_y / rows
        positions.append((dx, dy))
    n_kitchens = 0 if n < 3 else (1 if n < 10 else 2)
    # The kitchens are the sites closest to the centre: they cook for the others.
    kitchen_idx = set(sorted(range(n), key=lambda i: math.hypot(*positions[i]))[:n_kitchens])
    subdistricts = list(SUBDISTRICTS)
    rng.shuffle(subdistricts)
    roads = list(ROADS)
    rng.shuffle(roads)
    out = []
    for i, (dx, dy) in enumerate(positions):
        lat, lon = grid.place(dx, dy)
        sub_zh, sub_en = subdistricts[i % len(subdistricts)]
        suffix = "" if i < len(subdistricts) else f" {i // len(subdistricts) + 1}"
        road_zh, road_en = roads[i % len(roads)]
        number = rng.randrange(10, 1200)
        kitchen = i in kitchen_idx
        if kitchen:
            name, name_zh = f"{sub_en} Central Kitchen{suffix}", f"{sub_zh}中央厨房{suffix}"
        else:
            name, name_zh = f"{sub_en} Community Canteen{suffix}", f"{sub_zh}社区长者食堂{suffix}"
        windows = [DemoWindow("lunch", time(11, 0), time(12, 30))]
        if kitchen or rng.random() < 0.6:
            windows.append(DemoWindow("dinner", time(17, 0), time(18, 30)))
        out.append(DemoSite(
            key=f"S{i + 1:02d}", name=name, name_zh=name_zh,
            kind="central_kitchen" if kitchen else "canteen",
            address=f"No. {number} {road_en}", address_zh=f"{road_zh}{number}号",
            neighbourhood=sub_en, lat=lat, lon=lon, phone=_landline(rng),
            daily_capacity=0, windows=tuple(windows), hold_limit_minutes=45, circle_minutes=15,
            circle_mode="e_bike" if kitchen else "walk",
        ))
    return out


def _compounds(rng: random.Random, grid: _Grid, n_seniors: int, sites: list[DemoSite]) -> list[DemoCompound]:
    """Enough compounds for 20-80 seniors each, spread apart across the district.

    Canteens are opened where people live, so the first compounds sit within
    a few hundred metres of a site; about a third of the rest are newer estates
    around the place farthest from every canteen (``_underserved_spot``), a
    walk from none of them and more than the central kitchen's e-bikes have
    room for: the district's real coverage gaps, which "Suggest sites" is for.
    The others fall anywhere.
    """
    count = max(1, round(n_seniors / 35))
    margin = COMPOUND_RADIUS_M / 1000 + 0.05
    # a small district (a street extract's) keeps its compounds in its middle half at least
    lim_x, lim_y = max(grid.half_x / 2, grid.half_x - margin), max(grid.half_y / 2, grid.half_y - margin)
    stems = list(COMPOUND_STEMS)
    rng.shuffle(stems)
    used_names: set[str] = set()
    placed: list[tuple[float, float]] = []
    site_km = [((s.lon - grid.lon0) * grid.km_per_deg_lon, (s.lat - grid.lat0) * KM_PER_DEG_LAT) for s in sites]
    canteen_km = [xy for xy, s in zip(site_km, sites) if s.kind == "canteen"] or site_km
    spot = _underserved_spot(canteen_km, lim_x, lim_y)
    estates = round((count - len(site_km)) * ESTATE_SHARE) if count > len(site_km) else 0
    out = []
    for i in range(count):
        # Rejection sampling keeps compounds at least ~300 m apart when there is room.
        for attempt in range(60):
            if i < len(site_km):
                r, theta = rng.uniform(0.2, 0.6), rng.uniform(0, 2 * math.pi)
                dx, dy = site_km[i][0] + r * math.cos(theta), site_km[i][1] + r * math.sin(theta)
                dx, dy = max(-lim_x, min(lim_x, dx)), max(-lim_y, min(lim_y, dy))
            elif i < len(site_km) + estates:
                r, theta = ESTATE_RADIUS_KM * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
                dx, dy = spot[0] + r * math.cos(theta), spot[1] + r * math.sin(theta)
                dx, dy = max(-lim_x, min(lim_x, dx)), max(-lim_y, min(lim_y, dy))
            else:
                dx, dy = rng.uniform(-lim_x, lim_x), rng.uniform(-lim_y, lim_y)
            if all(math.hypot(dx - x, dy - y) > 0.3 for x, y in placed) or attempt == 59:
                break
        placed.append((dx, dy))
        lat, lon = grid.place(dx, dy)
        stem_zh, stem_en = stems[i % len(stems)]
        kind_zh, kind_en = rng.choice(COMPOUND_KINDS)
        name_zh, name = stem_zh + kind_zh, f"{stem_en} {kind_en}"
        if name in used_names:
            name_zh, name = f"{name_zh}{i // len(stems) + 1}期", f"{name} Phase {i // len(stems) + 1}"
        used_names.add(name)
        road_zh, road_en = rng.choice(ROADS)
        out.append(DemoCompound(
            key=f"C{i + 1:02d}", name=name, name_zh=name_zh, road=road_en, road_zh=road_zh,
            lane=rng.randrange(20, 1500), lat=lat, lon=lon,
        ))
    return out


ESTATE_SHARE = 0.35  # of the compounds not placed beside a site
ESTATE_RADIUS_KM = 0.45


def _underserved_spot(canteens: list[tuple[float, float]], lim_x: float, lim_y: float) -> tuple[float, float]:
    """The point of the district (on a 100 m grid) farthest from its nearest canteen, in km from the centre."""
    best, best_d = (lim_x, 0.0), -1.0
    for a in range(int(2 * lim_x / 0.1) + 1):
        for b in range(int(2 * lim_y / 0.1) + 1):
            x, y = -lim_x + a * 0.1, -lim_y + b * 0.1
            d = min(math.hypot(x - cx, y - cy) for cx, cy in canteens)
            if d > best_d + 1e-9:
                best, best_d = (x, y), d
    return best


def _compound_sizes(rng: random.Random, n_seniors: int, n_compounds: int) -> list[int]:
    """Split seniors among compounds, 20-80 each when the numbers allow it."""
    floor = 20 if n_seniors >= 20 * n_compounds else n_seniors // n_compounds
    sizes = [floor] * n_compounds
    weights = [rng.uniform(0.2, 1.8) for _ in range(n_compounds)]
    spare = n_seniors - floor * n_compounds
    total = sum(weights)
    for k in range(n_compounds):
        sizes[k] += int(spare * weights[k] / total)
    k = 0
    while sum(sizes) < n_seniors:
        sizes[k % n_compounds] += 1
        k += 1
    return sizes


def _age(rng: random.Random) -> int:
    """60-100, most between 70 and 85."""
    if rng.random() < 0.7:
        return rng.randint(70, 85)
    return rng.choice([rng.randint(60, 69), rng.randint(60, 69), rng.randint(86, 100)])


def _birthday(rng: random.Random, age: int, today: date) -> date:
    """A date of birth that makes the senior exactly ``age`` today."""
    born_before = date(today.year - age, today.month, min(today.day, 28))
    return born_before - timedelta(days=rng.randrange(0, 364))


def _seniors(rng, grid, compounds, sites, n, today) -> list[DemoSenior]:
    sizes = _compound_sizes(rng, n, len(compounds))
    out = []
    idx = 0
    for compound, size in zip(compounds, sizes):
        for _ in range(size):
            idx += 1
            out.append(_senior(rng, grid, compound, sites, idx, today))
    return out


def _senior(rng, grid, compound: DemoCompound, sites, idx: int, today: date) -> DemoSenior:
    gender = "female" if rng.random() < 0.58 else "male"  # women outlive men
    sur_zh, sur_en = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
    given_zh, given_en = rng.choice(ELDER_FEMALE if gender == "female" else ELDER_MALE)
    age = _age(rng)
    # Within ~150 m of the compound's centre (uniform over the disc).
    r = COMPOUND_RADIUS_M * math.sqrt(rng.random()) / 1000
    theta = rng.uniform(0, 2 * math.pi)
    c_dx = (compound.lon - grid.lon0) * grid.km_per_deg_lon
    c_dy = (compound.lat - grid.lat0) * KM_PER_DEG_LAT
    lat, lon = grid.place(c_dx + r * math.cos(theta), c_dy + r * math.sin(theta))
    building, floor, unit = rng.randint(1, 40), rng.randint(1, 7), rng.randint(1, 4)
    room = floor * 100 + unit
    lives_alone = rng.random() < 0.30
    mobility = _weighted(rng, MOBILITY)
    if age >= 90 and mobility == "independent" and rng.random() < 0.5:
        mobility = "walker"
    diet = _weighted(rng, DIETS)
    allergies = rng.choice(ALLERGIES) if rng.random() < 0.08 else None
    categories = []
    if rng.random() < 0.15:
        categories.append("low_income")
    elif rng.random() < 0.05:
        categories.append("extreme_poverty")
    if rng.random() < 0.10 or mobility in ("wheelchair", "bedridden"):
        categories.append("disabled")
    if age >= 80:
        categories.append("aged_80_plus")
        if lives_alone:
            categories.append("living_alone_priority")
    notes = []
    for _ in range(rng.choices([0, 1, 2], weights=[55, 35, 10])[0]):
        pair = rng.choice(ACCESS_NOTES)  # drawn first, as before: the district stays the same
        values = dict(code=rng.randrange(1000, 9999), room2=room + rng.choice([-1, 1]), phone=_phone(rng))
        note = " / ".join(part.format(**values) for part in pair)
        if note not in notes:
            notes.append(note)
    contacts = []
    for priority in range(1, rng.choice([1, 1, 2]) + 1):
        relation = rng.choices(["son", "daughter", "niece", "nephew", "neighbour"], weights=[40, 40, 6, 4, 10])[0]
        if relation in ("son", "daughter") and gender == "male":
            c_zh, c_en = sur_zh, sur_en  # children carry the father's surname
        else:
            c_zh, c_en = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        g_zh, g_en = rng.choice(YOUNG_GIVEN)
        contacts.append(DemoContact(
            name=f"{c_en} {g_en}", name_zh=c_zh + g_zh, relation=relation, phone=_phone(rng), priority=priority))
    home = min(sites, key=lambda s: haversine_m(lat, lon, s.lat, s.lon))
    return DemoSenior(
        key=f"P{idx:04d}", full_name=f"{sur_en} {given_en}", full_name_zh=sur_zh + given_zh, gender=gender,
        date_of_birth=_birthday(rng, age, today), age=age,
        phone=_landline(rng) if rng.random() < 0.6 else _phone(rng),
        address=f"Room {room}, No. {building}, Lane {compound.lane} {compound.road} ({compound.name})",
        address_zh=f"{compound.road_zh}{compound.lane}弄{building}号{room}室（{compound.name_zh}）",
        compound=compound.key, lat=lat, lon=lon, lives_alone=lives_alone, mobility=mobility, diet=diet,
        allergies=allergies, categories=tuple(categories), access_notes="; ".join(notes),
        contacts=tuple(contacts), home_site=home.key,
    )


def _weekday_pattern(rng: random.Random) -> tuple[int, ...]:
    return rng.choices(
        [MON_FRI, WEEKDAYS, (0, 2, 4), (1, 3), (0, 1, 2, 3, 4, 5)],
        weights=[50, 28, 12, 5, 5],
    )[0]


def _enrollments(rng, seniors, sites, today) -> list[DemoEnrollment]:
    by_key = {s.key: s for s in sites}
    out = []
    for s in seniors:
        if rng.random() > 0.88:
            continue  # not everyone takes meals (some only get visits)
        site = by_key[s.home_site]
        near = haversine_m(s.lat, s.lon, site.lat, site.lon) < 600
        can_walk = s.mobility == "independent"
        dine_in = near and can_walk and not s.lives_alone and rng.random() < 0.45
        mode = "dine_in" if dine_in else "delivery"
        start = today - timedelta(days=rng.randrange(7, 400))
        days = _weekday_pattern(rng)
        out.append(DemoEnrollment(s.key, site.key, "lunch", days, mode, start))
        has_dinner = any(w.meal == "dinner" for w in site.windows)
        if has_dinner and rng.random() < (0.35 if s.lives_alone else 0.2):
            out.append(DemoEnrollment(s.key, site.key, "dinner", _weekday_pattern(rng), "delivery", start))
    return out


KITCHEN_DOOR_CAPACITY = 100  # a central kitchen cooks for the canteens; its own door-to-door round is small


def _size_capacities(rng, sites, enrollments) -> list[DemoSite]:
    """Capacity 60-200 a day, roughly what the site's enrollments ask on a busy day.

    A central kitchen's e-bike circle reaches the whole district, but the
    seniors it serves itself are capped at ``KITCHEN_DOOR_CAPACITY``: it cannot
    fill every gap the canteens' walking circles leave, so coverage has gaps.
    """
    demand = {s.key: 0 for s in sites}
    for e in enrollments:
        demand[e.site] += 1
    out = []
    for s in sites:
        want = max(60, math.ceil(demand[s.key] * rng.uniform(1.05, 1.3) / 10) * 10)
        top = KITCHEN_DOOR_CAPACITY if s.kind == "central_kitchen" else 200
        out.append(replace(s, daily_capacity=min(top, want)))
    return out


WORKER_MIX = [("driver", 30), ("caregiver", 30), ("nurse", 15), ("volunteer", 25)]
SKILLS_BY_KIND = {
    "driver": ("meal_delivery",),
    "volunteer": ("meal_delivery",),
    "caregiver": ("bathing", "cleaning", "walking_assistance", "companionship"),
    "nurse": ("medical_assistance", "emergency_assistance"),
}
MODES_BY_KIND = {
    "driver": [("e_bike", 60), ("car", 40)],
    "volunteer": [("walk", 45), ("e_bike", 55)],
    "caregiver": [("walk", 35), ("e_bike", 65)],
    "nurse": [("e_bike", 60), ("car", 40)],
}
CAPACITY_BY_MODE = {"walk": (8, 12), "e_bike": (12, 20), "car": (20, 30)}


def _worker_kinds(rng: random.Random, n: int) -> list[str]:
    """At least one of each kind (when n allows), the rest in the usual mix."""
    kinds = ["driver", "caregiver", "nurse", "volunteer"][:n]
    kinds += [_weighted(rng, WORKER_MIX) for _ in range(n - len(kinds))]
    return kinds


class _WorkerNames:
    """Draws worker names no other worker of the district has, in English or in Chinese.

    A clash is drawn again; after a few clashes (a district with more workers than
    common names) the given name gets a second character, which never runs out.
    """

    def __init__(self):
        self.used: set[str] = set()

    def draw(self, rng: random.Random) -> tuple[str, str]:
        for attempt in range(40):
            sur_zh, sur_en = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
            g_zh, g_en = rng.choice(YOUNG_GIVEN)
            if attempt >= 20:
                more_zh, more_en = rng.choice(YOUNG_GIVEN)
                g_zh, g_en = g_zh + more_zh, g_en + more_en.lower()
            name, name_zh = f"{sur_en} {g_en}", sur_zh + g_zh
            if name not in self.used and name_zh not in self.used:
                self.used.update((name, name_zh))
                return name, name_zh
        n = len(self.used) // 2 + 1  # 40 clashes in a row: only for absurd sizes
        name, name_zh = f"{sur_en} {g_en} {n}", f"{sur_zh}{g_zh}{n}"
        self.used.update((name, name_zh))
        return name, name_zh


def _workers(rng, sites, n, names: _WorkerNames) -> list[DemoWorker]:
    out = []
    kinds = _worker_kinds(rng, n)
    for i, kind in enumerate(kinds):
        site = sites[i % len(sites)]
        full_name, full_name_zh = names.draw(rng)
        mode = _weighted(rng, MODES_BY_KIND[kind])
        lo, hi = CAPACITY_BY_MODE[mode]
        skills = list(SKILLS_BY_KIND[kind])
        if kind == "caregiver" and rng.random() < 0.3:
            skills.append("meal_delivery")  # caregivers often bring lunch on the way
        if kind == "volunteer" and rng.random() < 0.4:
            skills.append("companionship")
        shifts, max_minutes = _shifts(rng, kind)
        out.append(DemoWorker(
            key=f"W{i + 1:03d}", full_name=full_name, full_name_zh=full_name_zh, phone=_phone(rng),
            kind=kind, skills=tuple(skills), travel_mode=mode, capacity_meals=rng.randint(lo, hi),
            home_site=site.key, max_minutes_per_day=max_minutes, shifts=tuple(shifts),
        ))
    return out


def _shared_every_day(workers: list[DemoWorker], site_keys: set[str]) -> list[DemoWorker]:
    """The demo staff's sites roster their caregivers who also deliver meals every day, at their usual hours,
    so *Plan the whole day* has someone who can take lunch and a bath in one route whatever day the demo
    shows (weekends included). No random draw: the rest of the district stays as generated."""
    out = []
    for w in workers:
        if w.home_site in site_keys and w.kind in ("caregiver", "nurse") and "meal_delivery" in w.skills and w.shifts:
            first = w.shifts[0]
            w = replace(w, shifts=tuple(replace(first, weekday=d) for d in WEEKDAYS))
        out.append(w)
    return out


# A hot-meal run is about this many doors: the hold limit (45 min) and a 90-minute window allow no more.
STOPS_PER_RUN = 10
MEAL_BLOCKS = {"lunch": (time(10, 0), time(14, 0)), "dinner": (time(16, 0), time(19, 30))}


def meal_carriers(workers, site_key: str, meal: str, weekday: int) -> list:
    """The site's workers who can take a ``meal`` run on ``weekday`` (skill, and a shift covering the run)."""
    start, end = MEAL_BLOCKS[meal]
    return [w for w in workers if w.home_site == site_key and "meal_delivery" in w.skills and any(
        s.weekday == weekday and s.start <= start and s.end >= end for s in w.shifts)]


def delivered_meals(enrollments, site_key: str, meal: str, weekday: int) -> int:
    return sum(1 for e in enrollments
               if e.site == site_key and e.meal == meal and e.mode == "delivery" and weekday in e.weekdays)


def _meal_runners(rng, sites, enrollments, workers, names: _WorkerNames) -> list[DemoWorker]:
    """Drivers a coordinator would roster so that each site's busiest day's deliveries fit in its runs.

    The general pool spreads workers evenly over sites whatever their orders,
    which left a busy canteen with half its lunches unrouted; here each site
    gets delivery drivers (every day, on its meal's block) until every day's
    deliveries fit ``STOPS_PER_RUN`` doors a run.
    """
    extra: list[DemoWorker] = []
    for site in sites:
        for meal, (start, end) in MEAL_BLOCKS.items():
            for weekday in range(7):
                need = -(-delivered_meals(enrollments, site.key, meal, weekday) // STOPS_PER_RUN)
                while len(meal_carriers([*workers, *extra], site.key, meal, weekday)) < need:
                    full_name, full_name_zh = names.draw(rng)
                    mode = _weighted(rng, MODES_BY_KIND["driver"])
                    lo, hi = CAPACITY_BY_MODE[mode]
                    extra.append(DemoWorker(
                        key=f"W{len(workers) + len(extra) + 1:03d}", full_name=full_name,
                        full_name_zh=full_name_zh, phone=_phone(rng), kind="driver", skills=("meal_delivery",),
                        travel_mode=mode, capacity_meals=max(rng.randint(lo, hi), STOPS_PER_RUN),
                        home_site=site.key, max_minutes_per_day=240,
                        shifts=tuple(DemoShift(d, start, end) for d in range(7)),
                    ))
    return extra


def _shifts(rng, kind) -> tuple[list[DemoShift], int]:
    """Weekday shifts; about half of the workers also cover the weekend."""
    days = list(MON_FRI) + ([5, 6] if rng.random() < 0.5 else [])
    if kind == "volunteer" and rng.random() < 0.5:
        days = sorted(rng.sample(days, k=rng.randint(2, 4)))
    if kind in ("caregiver", "nurse"):
        start, end = rng.choice([(time(8, 0), time(17, 0)), (time(9, 0), time(18, 0))])
        return [DemoShift(d, start, end, break_minutes=60) for d in days], 480
    blocks = rng.choices(
        [[(time(10, 0), time(14, 0))], [(time(16, 0), time(19, 30))],
         [(time(10, 0), time(14, 0)), (time(16, 0), time(19, 30))]],
        weights=[45, 15, 40] if kind == "driver" else [60, 25, 15],
    )[0]
    return [DemoShift(d, s, e) for d in days for s, e in blocks], (450 if len(blocks) == 2 else 240)


def _holds(rng, seniors, enrollments, today) -> list[DemoHold]:
    """A few enrolled seniors are away today (hospital stay, family visit)."""
    enrolled = sorted({e.senior for e in enrollments})
    if not enrolled:
        return []
    count = min(len(enrolled), max(2, round(len(enrolled) * 0.02)))
    out = []
    for key in rng.sample(enrolled, k=count):
        reason = rng.choices(
            ["hospital stay", "family visit", "travelling with family", "rehabilitation centre"],
            weights=[45, 35, 10, 10],
        )[0]
        start = today - timedelta(days=rng.randrange(0, 6))
        end = today + timedelta(days=rng.randrange(1, 14))
        out.append(DemoHold(key, start, end, reason))
    out.sort(key=lambda h: h.senior)
    return out


def _service_requests(rng, seniors, today) -> list[DemoServiceRequest]:
    """Today's requests: every type at least once, mostly requested/approved, two urgent emergencies."""
    n = max(len(SERVICE_TYPES) + 2, min(40, round(len(seniors) / 20)))
    n = min(n, max(len(seniors), len(SERVICE_TYPES)))
    types = list(SERVICE_TYPES) + ["emergency_assistance"]  # a couple of urgent emergencies
    weights = [18, 16, 16, 16, 4, 20]
    types += rng.choices(SERVICE_TYPES, weights=weights, k=max(0, n - len(types)))
    # Frail and lone seniors ask for help more often.
    pool = sorted(seniors, key=lambda s: (not (s.lives_alone or s.mobility != "independent"), s.key))
    pool = pool[: max(len(types), len(pool) // 2)]
    chosen = rng.sample(pool, k=min(len(types), len(pool)))
    chosen += [rng.choice(pool) for _ in range(len(types) - len(chosen))]
    out = []
    for i, (kind, senior) in enumerate(zip(types, chosen)):
        duration, (lo, hi), span, notes = SERVICE_PROFILES[kind]
        start = time(rng.randint(lo, hi), rng.choice([0, 30]))
        end = time(min(20, start.hour + span), start.minute)
        if kind == "emergency_assistance":
            priority = 1
            status = "approved"
            requested_by = rng.choice(["hotline", "family", "staff"])
        else:
            priority = rng.choices([2, 3, 4], weights=[15, 70, 15])[0]
            status = rng.choices(
                ["requested", "approved", "scheduled", "declined", "cancelled"], weights=[42, 40, 8, 5, 5])[0]
            requested_by = rng.choices(["family", "staff", "senior"], weights=[50, 30, 20])[0]
        reason = {"declined": "no caregiver with the skill this week",
                  "cancelled": "family will come instead"}.get(status, "")
        recurrence = "none"
        if kind in ("companionship", "cleaning", "bathing") and rng.random() < 0.3:
            recurrence = "weekly"
        out.append(DemoServiceRequest(
            key=f"R{i + 1:03d}", senior=senior.key, site=senior.home_site, service_type=kind, required_skill=kind,
            day=today, window_start=start, window_end=end, duration_minutes=duration, priority=priority,
            status=status, requested_by=requested_by, notes=rng.choice(notes), status_reason=reason,
            recurrence=recurrence,
        ))
    return out


def subsidy_rules() -> tuple[DemoSubsidyRule, ...]:
    """Jurong's bands (¥1/¥5/¥8/¥9 off a ¥15 lunch by age, low income, extreme poverty), in cents,
    with a ¥2 subsidy per home delivery for the oldest and the poorest; the larger subsidy wins a tie."""
    price = 1500
    return (
        DemoSubsidyRule("Aged 60-74", None, 60, 74, price, 100),
        DemoSubsidyRule("Aged 75-84", None, 75, 84, price, 500),
        DemoSubsidyRule("Aged 85-94", None, 85, 94, price, 800, delivery_subsidy_cents=200),
        DemoSubsidyRule("Low income", "low_income", 60, None, price, 800, delivery_subsidy_cents=200),
        DemoSubsidyRule("Aged 95+", None, 95, None, price, 900, delivery_subsidy_cents=200),
        DemoSubsidyRule("Extreme poverty", "extreme_poverty", 60, None, price, 900, delivery_subsidy_cents=200),
    )
