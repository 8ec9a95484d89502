"""Demo data: an account for every role and a few days of trucks at Hữu Nghị and Tân Thanh.

Everything goes through the real services (`declarations.services`, `crossings.services`) as the
user who would do it, so permissions, workflow guards, fees and the hash-chained audit trail are
exactly what production would produce. To show history, the services run on a *demo clock*:
every action is scheduled at a moment in the last few days, the actions of all trucks are
replayed in time order, and `django.utils.timezone.now` returns the scheduled moment while each
one runs. Nothing is scheduled after the real present.

`build_demo()` is idempotent: accounts are created or reset (password `demo12345`); trips are
added only when the demo enterprises have none yet, or when asked for another batch.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, Profile
from accounts.services import Actor, actor_for
from crossings import services as crossing_services
from crossings import workflow as wf
from crossings.models import Trip
from cuakhau.lib.containers import iso6346_check_digit
from cuakhau.lib.people import cn_resident_id_check_character
from declarations import services as declaration_services
from declarations.models import Registration
from declarations.schemas import RegistrationIn, RegistrationPatch
from enterprises.models import Enterprise
from gates.models import Gate
from gates.reference import load_reference_data
from gates.services import gate_is_open

PASSWORD = "demo12345"

# --- accounts ---------------------------------------------------------------------------------

OFFICER_PREFIXES = {
    "bql": "management_board",
    "customs": "customs",
    "border": "border_guard",
    "medical": "medical_quarantine",
    "plant": "plant_quarantine",
    "animal": "animal_quarantine",
}
DEMO_GATES = {"huunghi": "huu-nghi", "tanthanh": "tan-thanh"}
ROLE_LABELS = {
    "management_board": "Management board (BQL)",
    "customs": "Customs",
    "border_guard": "Border guard",
    "medical_quarantine": "Medical quarantine",
    "plant_quarantine": "Plant quarantine",
    "animal_quarantine": "Animal quarantine",
}


@dataclass(frozen=True)
class DemoEnterprise:
    tax_code: str
    country: str
    name: str
    name_zh: str
    address: str
    username: str = ""


ENTERPRISES = [
    DemoEnterprise("0101234565", "VN", "Công ty TNHH Xuất nhập khẩu Đồng Đăng", "同登进出口有限责任公司",
                   "Khối 4, thị trấn Đồng Đăng, huyện Cao Lộc, tỉnh Lạng Sơn", "firm1"),
    DemoEnterprise("0201234576", "VN", "Công ty CP Logistics Tân Thanh", "新清物流股份公司",
                   "Thôn Bản Vàng, xã Tân Thanh, huyện Văn Lãng, tỉnh Lạng Sơn", "firm2"),
    # A Chinese trading partner that pays the infrastructure fee on some imports (no user).
    DemoEnterprise("91350100M000100Y43", "CN", "Công ty TNHH Thương mại Nông sản Hải Hiệp Phúc Châu",
                   "福州海峡农产品贸易有限公司", "福建省福州市仓山区", ""),
]


@dataclass(frozen=True)
class DemoAccount:
    username: str
    role: str
    gate: str  # gate code, "" for all gates of Lạng Sơn or none
    enterprise: str = ""  # tax code
    agency: str = ""  # agency code
    superuser: bool = False


def demo_accounts() -> list[DemoAccount]:
    """Every demo account, in the order the README lists them."""
    accounts = [DemoAccount("admin", "Superuser (Django admin)", "", superuser=True)]
    for suffix, gate in DEMO_GATES.items():
        for prefix, kind in OFFICER_PREFIXES.items():
            accounts.append(DemoAccount(f"{prefix}.{suffix}", ROLE_LABELS[kind], gate, agency=f"{kind}.{gate}"))
    accounts.append(DemoAccount("province", "Province supervisor (management board, all Lạng Sơn gates)", "",
                                agency="management_board.lang-son"))
    for enterprise in ENTERPRISES:
        if enterprise.username:
            accounts.append(DemoAccount(enterprise.username, f"Enterprise: {enterprise.name}", "",
                                        enterprise=enterprise.tax_code))
    return accounts


def ensure_enterprises() -> dict[str, Enterprise]:
    found = {}
    for spec in ENTERPRISES:
        enterprise, _ = Enterprise.objects.update_or_create(
            tax_code=spec.tax_code,
            defaults={"country": spec.country, "name": spec.name, "name_zh": spec.name_zh, "address": spec.address})
        found[spec.tax_code] = enterprise
    return found


def ensure_accounts() -> dict[str, User]:
    """Create the demo users (or reset them to the documented password and membership)."""
    enterprises = ensure_enterprises()
    # One hash for all: hashing is deliberately slow, and these passwords are published anyway.
    password_hash = make_password(PASSWORD)
    users = {}
    for account in demo_accounts():
        user, _ = User.objects.get_or_create(username=account.username)
        user.is_superuser = user.is_staff = account.superuser
        user.is_active = True
        user.password = password_hash
        user.save()
        if account.enterprise or account.agency:
            Profile.objects.update_or_create(user=user, defaults={
                "enterprise": enterprises[account.enterprise] if account.enterprise else None,
                "agency": Agency.objects.get(code=account.agency) if account.agency else None,
            })
        users[account.username] = user
    return users


# --- the demo clock ---------------------------------------------------------------------------

class DemoClock:
    """`timezone.now()` answers `moment` while the clock is set, the real time otherwise."""

    def __init__(self) -> None:
        self.moment: dt.datetime | None = None
        self._real_now = timezone.now

    def now(self) -> dt.datetime:
        return self.moment if self.moment is not None else self._real_now()

    @contextmanager
    def installed(self) -> Iterator[DemoClock]:
        with mock.patch("django.utils.timezone.now", self.now):
            yield self


# --- what the trucks carry --------------------------------------------------------------------

@dataclass(frozen=True)
class Goods:
    direction: str
    declaration_type: str
    description: str
    # hs code, description, unit, kg per truck (min, max), USD per kg, pieces per kg (0: quantity is kg)
    items: tuple[tuple[str, str, str, tuple[int, int], float, float], ...]
    truck: str  # "vn", "cn", "cn_inland", "cn_transship"
    load_class: str
    container: bool = True


EXPORTS = [
    Goods("export", "B11", "Sầu riêng tươi xuất khẩu chính ngạch",
          (("08106000", "Sầu riêng tươi Ri6, Monthong (đóng thùng carton)", "kg", (17_000, 20_000), 3.1, 0),),
          "vn", "c40"),
    Goods("export", "B11", "Thanh long tươi",
          (("08109092", "Thanh long ruột trắng tươi", "kg", (14_000, 18_000), 0.9, 0),), "vn", "c40"),
    Goods("export", "B11", "Mít tươi",
          (("08109050", "Mít Thái tươi", "kg", (16_000, 22_000), 0.7, 0),), "vn", "ge18", container=False),
    Goods("export", "B11", "Dưa hấu tươi",
          (("08071100", "Dưa hấu tươi", "kg", (18_000, 25_000), 0.35, 0),), "vn", "ge18", container=False),
    Goods("export", "B11", "Tinh bột sắn",
          (("11081400", "Tinh bột sắn (bao 50 kg)", "bao", (25_000, 28_000), 0.5, 0.02),), "vn", "c40"),
    Goods("export", "B11", "Tôm đông lạnh",
          (("030617", "Tôm thẻ chân trắng đông lạnh", "kg", (12_000, 16_000), 8.5, 0),), "vn", "c40"),
    Goods("export", "B11", "Cao su tự nhiên",
          (("400122", "Cao su tự nhiên SVR 3L (bành 33,33 kg)", "bành", (19_000, 21_000), 1.6, 0.03),),
          "vn", "c40"),
]
IMPORTS = [
    Goods("import", "A11", "Táo tươi",
          (("08081000", "Táo Phú Sĩ tươi", "kg", (18_000, 22_000), 0.8, 0),), "cn_transship", "c40"),
    Goods("import", "A11", "Tỏi củ tươi",
          (("07032090", "Tỏi củ tươi", "kg", (20_000, 26_000), 0.6, 0),), "cn_transship", "ge18", container=False),
    Goods("import", "A11", "Quýt tươi",
          (("08052100", "Quýt đường tươi", "kg", (15_000, 18_000), 0.9, 0),), "cn_inland", "ge18",
          container=False),
    Goods("import", "A11", "Hàng đông lạnh",
          (("020714", "Đùi gà đông lạnh", "kg", (22_000, 26_000), 1.4, 0),), "cn_inland", "c40"),
    Goods("import", "A12", "Thiết bị mạng",
          (("85176249", "Thiết bị chuyển mạch mạng", "cái", (2_000, 4_000), 30.0, 0.2),
           ("85444294", "Cáp mạng có đầu nối", "cuộn", (500, 1_200), 6.0, 0.1)), "vn", "10to18"),
    Goods("import", "A12", "Tấm quang điện",
          (("85414300", "Tấm pin quang điện mặt trời 550 W", "tấm", (18_000, 21_000), 4.2, 0.035),),
          "cn_inland", "c40"),
    Goods("import", "A11", "Vải may mặc",
          (("54075200", "Vải dệt thoi polyester đã nhuộm", "m", (8_000, 12_000), 3.5, 3.0),), "cn_transship",
          "ge18"),
    Goods("import", "A12", "Phân bón",
          (("31052000", "Phân bón NPK 16-16-8 (bao 50 kg)", "bao", (28_000, 30_000), 0.42, 0.02),), "vn", "ge18",
          container=False),
    Goods("import", "A12", "Máy xây dựng",
          (("84295200", "Máy đào bánh xích mới 100%", "chiếc", (20_000, 22_000), 4.5, 0.00005),), "cn_inland",
          "ge18", container=False),
]

RETURN_REASONS = [
    "Số tờ khai hải quan chưa khớp với hệ thống VNACCS, đề nghị kiểm tra lại.",
    "Thiếu số niêm phong hải quan của container, đề nghị bổ sung.",
    "Trọng lượng khai báo vượt tải trọng cho phép của xe, đề nghị kiểm tra lại.",
]
REJECT_REASONS = [
    "Doanh nghiệp khai trùng: xe đã được khai trên tờ khai khác trong ngày.",
    "Lô hàng chưa có giấy chứng nhận kiểm dịch của nước xuất khẩu.",
]

VN_SURNAMES = ["Nguyễn", "Hoàng", "Lương", "Nông", "Vi", "Lâm", "Trần", "Phạm", "Đặng", "Lý", "Hà", "Triệu"]
VN_MIDDLE = ["Văn", "Đức", "Quốc", "Minh", "Thành"]
VN_GIVEN = ["Hùng", "Tuấn", "Thắng", "Dũng", "Phúc", "Minh", "Việt", "Long", "Bình", "Sơn", "Khánh", "Hải"]
CN_NAMES = ["黄志强", "李建华", "韦国庆", "农德明", "陆海波", "梁文杰", "覃永生", "蒙建新", "黄海军", "何振宇"]
# Vietnamese provinces trucks come from: Lạng Sơn, Hà Nội, Bắc Giang, Hải Phòng, Đắk Lắk, Tiền Giang.
VN_PLATE_PROVINCES = [("12", "020"), ("12", "020"), ("12", "020"), ("29", "001"), ("98", "024"), ("15", "031"),
                      ("47", "066"), ("63", "082")]
CN_PLATE_PREFIXES = ["桂F", "桂F", "桂F", "桂A", "桂A", "粤B"]  # Chongzuo (Pingxiang), Nanning, Shenzhen
CN_ID_REGIONS = ["451481", "450102", "451402"]  # Pingxiang, Nanning, Chongzuo
CONTAINER_OWNERS = ["CSQU", "TGHU", "MSKU", "OOLU", "CMAU", "TRLU", "SEGU"]


# --- one registration's story -----------------------------------------------------------------

# How far each truck gets. Stages after "registered" are reached at the gate.
TARGETS_PER_GATE = (
    ["completed"] * 6 + ["left_yard", "paid", "paid", "in_yard", "in_yard", "in_yard", "at_gate", "at_gate",
                         "gate_one", "registered", "registered", "registered", "declared", "declared", "declared",
                         "returned", "corrected", "rejected", "cancelled", "partly_cancelled"]
)
# Ordered officer steps and the stage reached after them.
AT_GATE_TARGETS = {"gate_one": 1, "at_gate": 2, "in_yard": 3}


@dataclass
class Story:
    key: int
    gate: Gate
    firm: str  # username
    goods: Goods
    target: str
    arrival: dt.datetime  # aware
    submitted_at: dt.datetime
    fee_payer_tax_code: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    registration_id: int | None = None


class DemoBuilder:
    """Plans the stories, then replays every action in time order on the demo clock."""

    def __init__(self, users: dict[str, User], *, seed: int = 2022, now: dt.datetime | None = None,
                 progress: Callable[[int, int], None] | None = None) -> None:
        self.users = users
        self.random = random.Random(seed)
        self.now = now or timezone.now()
        self.progress = progress
        self.gates = {code: Gate.objects.get(code=code) for code in DEMO_GATES.values()}
        self.stories: list[Story] = []
        self._queue: list[tuple[dt.datetime, int, Callable[[], None]]] = []
        self._sequence = itertools.count()
        self._busy_plates = set(Trip.objects.filter(is_open=True).values_list("vehicle__plate", flat=True))
        self._used_plates: set[str] = set()
        self._receipts = itertools.count(Registration.objects.count() * 3 + 1)
        self.counts: dict[str, int] = {}

    # --- planning ---

    def plan(self) -> None:
        key = itertools.count(1)
        for gate_code, gate in self.gates.items():
            targets = list(TARGETS_PER_GATE)
            if gate_code == "tan-thanh":
                targets = targets[3:]  # a slightly smaller gate
            for target in targets:
                self._plan_story(next(key), gate, target)

    def _actor(self, username: str) -> Actor:
        actor = actor_for(self.users[username])
        assert actor is not None, username
        return actor

    def _officer(self, prefix: str, story: Story) -> Actor:
        suffix = {v: k for k, v in DEMO_GATES.items()}[story.gate.code]
        return self._actor(f"{prefix}.{suffix}")

    def _local(self, day_offset: int, hour: float) -> dt.datetime:
        local_now = timezone.localtime(self.now)
        day = local_now.date() + dt.timedelta(days=day_offset)
        naive = dt.datetime.combine(day, dt.time(0, 0)) + dt.timedelta(hours=hour)
        return timezone.make_aware(naive, timezone.get_default_timezone())

    def _open_arrival(self, gate: Gate, candidates: list[tuple[int, float]]) -> dt.datetime | None:
        for day_offset, hour in candidates:
            moment = self._local(day_offset, hour)
            if gate_is_open(gate, moment):
                return moment
        return None

    def _choose_arrival(self, gate: Gate, target: str, duration_h: float) -> dt.datetime:
        """An arrival inside opening hours such that everything `target` needs happens before now."""
        rnd = self.random
        minute = rnd.choice([0, 15, 30, 45]) / 60
        if target in ("declared", "registered", "returned", "corrected", "rejected", "cancelled",
                      "partly_cancelled"):
            # Still to come: later today or in the next two days.
            candidates = [(day, hour + minute) for day in (0, 1, 1, 2) for hour in rnd.sample(range(7, 18), 4)]
            candidates = [(d, h) for d, h in candidates if self._local(d, h) > self.now + dt.timedelta(hours=1)]
            candidates += [(day, hour + minute) for day in range(1, 15) for hour in (8, 9, 10, 14)]
        elif target == "completed":
            days = [-3, -2, -1, -1, 0]
            # Morning arrivals, so that the whole journey fits in the gate's opening hours.
            candidates = [(rnd.choice(days), rnd.randint(7, 11) + minute) for _ in range(6)]
            candidates += [(day, hour) for day in range(-1, -20, -1) for hour in (8, 10, 13)]
        else:
            # On the way through: today if there was time, else yesterday afternoon (held overnight).
            candidates = [(0, rnd.randint(7, 16) + minute) for _ in range(6)]
            candidates += [(-1, rnd.randint(13, 18) + minute) for _ in range(3)]
            candidates += [(day, hour) for day in range(-2, -20, -1) for hour in (15, 17)]
        latest = self.now - dt.timedelta(hours=duration_h)
        if target not in ("declared", "registered", "returned", "corrected", "rejected", "cancelled",
                          "partly_cancelled"):
            candidates = [(d, h) for d, h in candidates if self._local(d, h) <= latest]
        arrival = self._open_arrival(gate, candidates)
        if arrival is None:
            raise RuntimeError(f"no opening hours found at {gate.code} for a demo truck ({target})")
        return arrival

    def _plan_story(self, key: int, gate: Gate, target: str) -> None:
        rnd = self.random
        goods = rnd.choice(EXPORTS if rnd.random() < 0.45 else IMPORTS)
        firm = "firm1" if gate.code == "huu-nghi" else "firm2"
        if rnd.random() < 0.25:
            firm = "firm2" if firm == "firm1" else "firm1"
        trucks = rnd.choice([1, 1, 1, 1, 1, 2, 2, 3])
        if target in ("partly_cancelled", "gate_one"):
            trucks = 2 if target == "partly_cancelled" else 1
        duration = {"completed": 7, "left_yard": 5, "paid": 3.5, "in_yard": 1.5, "at_gate": 0.7, "gate_one": 0.5
                    }.get(target, 0) + 0.3 * trucks
        arrival = self._choose_arrival(gate, target, duration)
        # Declared the evening before or that morning, never after the planned time.
        lead = dt.timedelta(hours=rnd.uniform(1.5, 14))
        submitted_at = min(arrival - lead, self.now - dt.timedelta(minutes=rnd.randint(20, 300)))
        story = Story(key, gate, firm, goods, target, arrival, submitted_at)
        if goods.direction == "import" and goods.truck != "vn" and rnd.random() < 0.3:
            story.fee_payer_tax_code = ENTERPRISES[2].tax_code
        story.payload = self._payload(story, trucks)
        self.stories.append(story)
        self._schedule_story(story, trucks)

    # --- payloads ---

    def _payload(self, story: Story, trucks: int) -> dict[str, Any]:
        rnd = self.random
        goods = story.goods
        yards = list(story.gate.yards.order_by("code").values_list("code", flat=True))
        yard = yards[0]
        if goods.truck == "cn_transship":
            yard = next((code for code in yards if "chuyen-tai" in code), rnd.choice(yards))
        elif len(yards) > 1:
            yard = rnd.choice(yards)
        items = []
        for hs_code, description, unit, (low, high), usd_per_kg, pieces_per_kg in goods.items:
            kg = rnd.randint(low, high) * trucks
            quantity = round(kg * pieces_per_kg) if pieces_per_kg else kg
            items.append({"hs_code": hs_code, "description": description, "quantity": str(max(quantity, 1)),
                          "unit": unit, "gross_weight_kg": str(kg), "value": str(Decimal(kg * usd_per_kg).quantize(
                              Decimal("1"))), "currency": "USD"})
        number_prefix = "30" if goods.direction == "export" else "10"
        consignment = {"declaration_number": f"{number_prefix}{rnd.randint(5, 7)}{rnd.randint(0, 10**9 - 1):09d}",
                       "declaration_type": goods.declaration_type, "description": goods.description,
                       "items": items}
        payload: dict[str, Any] = {
            "gate": story.gate.code, "direction": goods.direction, "planned_arrival": story.arrival.isoformat(),
            "yard": yard, "consignments": [consignment],
            "vehicles": [self._vehicle(goods) for _ in range(trucks)],
        }
        if story.fee_payer_tax_code:
            payload["fee_payer_tax_code"] = story.fee_payer_tax_code
        return payload

    def _plate(self, country: str, *, trailer: bool = False) -> str:
        rnd = self.random
        while True:
            if country == "VN":
                province, _ = rnd.choice(VN_PLATE_PROVINCES)
                plate = f"{province}{'R' if trailer else 'C'}-{rnd.randint(100, 999)}.{rnd.randint(0, 99):02d}"
            else:
                plate = f"{rnd.choice(CN_PLATE_PREFIXES)}·{rnd.randint(10000, 99999)}"
                if trailer:
                    plate = f"{plate[:-1]}挂"
            compact = plate.replace("-", "").replace(".", "").replace("·", "")
            if compact not in self._busy_plates and compact not in self._used_plates:
                self._used_plates.add(compact)
                return plate

    def _vn_driver(self) -> dict[str, str]:
        rnd = self.random
        _, cccd_province = rnd.choice(VN_PLATE_PROVINCES)
        return {"name": f"{rnd.choice(VN_SURNAMES)} {rnd.choice(VN_MIDDLE)} {rnd.choice(VN_GIVEN)}",
                "identity_document": f"{cccd_province}0{rnd.randint(70, 99)}{rnd.randint(0, 999999):06d}",
                "phone": f"09{rnd.randint(10, 89)} {rnd.randint(100, 999)} {rnd.randint(100, 999)}"}

    def _cn_driver(self) -> dict[str, str]:
        rnd = self.random
        birth = dt.date(rnd.randint(1970, 1998), rnd.randint(1, 12), rnd.randint(1, 28))
        first17 = f"{rnd.choice(CN_ID_REGIONS)}{birth:%Y%m%d}{rnd.randint(100, 999)}"
        return {"name": rnd.choice(CN_NAMES), "identity_document": first17 + cn_resident_id_check_character(first17),
                "phone": f"1{rnd.choice('3578')}{rnd.randint(0, 9)}{rnd.randint(0, 99_999_999):08d}"}

    def _container(self) -> str:
        first10 = f"{self.random.choice(CONTAINER_OWNERS)}{self.random.randint(0, 999_999):06d}"
        return f"{first10}{iso6346_check_digit(first10)}"

    def _vehicle(self, goods: Goods) -> dict[str, Any]:
        rnd = self.random
        chinese = goods.truck != "vn"
        vehicle: dict[str, Any] = {
            "plate": self._plate("CN" if chinese else "VN"),
            "load_class": goods.load_class,
            "driver": self._cn_driver() if chinese else self._vn_driver(),
        }
        if goods.container:
            vehicle["container_number"] = self._container()
            vehicle["seal_number"] = f"{'CN' if chinese else 'VN'}{rnd.randint(100000, 999999)}"
        if goods.load_class in ("c40", "ge18") and rnd.random() < 0.5:
            vehicle["trailer_plate"] = self._plate("CN" if chinese else "VN", trailer=True)
        if goods.truck == "cn_inland":
            vehicle["journey"] = "inland"
            vehicle["permit_number"] = f"GXVN-{rnd.randint(2024, 2026)}-{rnd.randint(1, 99999):05d}"
        elif goods.truck == "cn_transship":
            vehicle["journey"] = "transship"
        return vehicle

    # --- scheduling ---

    def _at(self, moment: dt.datetime, action: Callable[[], None]) -> None:
        # Never in the future: the demo replays the past only.
        moment = min(moment, self.now - dt.timedelta(seconds=1))
        heapq.heappush(self._queue, (moment, next(self._sequence), action))

    def _schedule_story(self, story: Story, trucks: int) -> None:
        rnd = self.random
        t = story.submitted_at
        self._at(t, lambda: self._submit(story))
        if story.target == "declared":
            return
        decided = t + dt.timedelta(minutes=rnd.randint(10, 70))
        decided = min(decided, story.arrival - dt.timedelta(minutes=10))
        if story.target in ("returned", "corrected"):
            self._at(decided, lambda: self._return(story))
            if story.target == "returned":
                return
            fixed = decided + dt.timedelta(minutes=rnd.randint(15, 40))
            self._at(fixed, lambda: self._amend(story))
            decided = fixed + dt.timedelta(minutes=rnd.randint(5, 20))
        if story.target == "rejected":
            self._at(decided, lambda: self._reject(story))
            return
        self._at(decided, lambda: self._confirm_registration(story))
        if story.target == "cancelled":
            self._at(decided + dt.timedelta(minutes=rnd.randint(20, 90)), lambda: self._cancel(story))
            return
        if story.target == "partly_cancelled":
            self._at(decided + dt.timedelta(minutes=rnd.randint(20, 90)), lambda: self._cancel_trip(story, 1))
            return
        if story.target in ("registered", "corrected"):
            return
        for position in range(1, trucks + 1):
            arrival = story.arrival + dt.timedelta(minutes=rnd.randint(0, 20) + 15 * (position - 1))
            self._schedule_gate_steps(story, position, arrival)

    def _steps_for(self, story: Story) -> list[str]:
        goods = story.goods
        vehicle = story.payload["vehicles"][0]
        facts = wf.TripFacts(direction=goods.direction, hs_codes=tuple(i[0] for i in goods.items),
                             journey=vehicle.get("journey", "standard"), gate_uses_slots=story.gate.uses_slots)
        states = wf.initial_states(facts)
        gate_entry = ["gate_entry_border_guard", "gate_entry_customs"]
        self.random.shuffle(gate_entry)
        checks = [s for s in ("medical_quarantine", "plant_quarantine", "animal_quarantine", "transshipment")
                  if states[s] == wf.State.PENDING]
        self.random.shuffle(checks)
        yard_exit = ["yard_exit_customs", "yard_exit_border_guard"]
        self.random.shuffle(yard_exit)
        return [*gate_entry, "yard_entry", *checks, "fee_paid", *yard_exit, "left_gate"]

    def _schedule_gate_steps(self, story: Story, position: int, arrival: dt.datetime) -> None:
        rnd = self.random
        steps = self._steps_for(story)
        target = story.target
        if target in AT_GATE_TARGETS:
            steps = steps[:AT_GATE_TARGETS[target]]
        elif target == "paid":
            steps = steps[:steps.index("fee_paid") + 1]
        elif target == "left_yard":
            steps = steps[:-1]
        t = arrival
        for step in steps:
            gap = {"gate_entry_border_guard": (1, 6), "gate_entry_customs": (1, 6), "yard_entry": (8, 25),
                   "transshipment": (40, 120), "fee_paid": (5, 30), "left_gate": (5, 20)}.get(step, (15, 60))
            previous, t = t, t + dt.timedelta(minutes=rnd.randint(*gap))
            if step == "transshipment":
                self._schedule_receiving(story, position, previous, t)
            self._at(t, partial(self._confirm, story, position, step))

    def _schedule_receiving(self, story: Story, position: int, started: dt.datetime, finished: dt.datetime) -> None:
        """Vietnamese trucks come in to take over the goods between the previous step and the transshipment."""
        rnd = self.random
        for index in range(rnd.choice([1, 2])):
            details = {"plate": self._plate("VN"), **self._vn_driver()}
            self._at(started + dt.timedelta(minutes=1 + index),
                     partial(self._add_receiving, story, position, details))
            self._at(started + dt.timedelta(minutes=5 + index),
                     partial(self._mark, story, position, details, "entered"))
            self._at(finished - dt.timedelta(minutes=3 - index),
                     partial(self._mark, story, position, details, "exited"))

    # --- actions (run on the demo clock) ---

    def _trip_id(self, story: Story, position: int) -> int:
        assert story.registration_id is not None, "the story's registration is submitted first"
        return Trip.objects.values_list("pk", flat=True).get(registration_id=story.registration_id,
                                                              position=position)

    def _submit(self, story: Story) -> None:
        data = RegistrationIn.model_validate(story.payload)
        registration = declaration_services.do_submit_registration(self._actor(story.firm), data)
        story.registration_id = registration.pk
        self._count("registrations")
        self.counts["trips"] = self.counts.get("trips", 0) + len(story.payload["vehicles"])

    def _return(self, story: Story) -> None:
        declaration_services.do_return_registration(self._officer("bql", story), story.registration_id or 0,
                                                    self.random.choice(RETURN_REASONS))

    def _amend(self, story: Story) -> None:
        actor = self._actor(story.firm)
        registration = declaration_services.get_registration(actor, story.registration_id or 0)
        consignments = story.payload["consignments"]
        consignments[0]["declaration_number"] = f"{consignments[0]['declaration_number'][:-1]}" \
                                                f"{(int(consignments[0]['declaration_number'][-1]) + 1) % 10}"
        patch = RegistrationPatch.model_validate({"version": registration.version, "consignments": consignments})
        declaration_services.do_amend_registration(actor, registration.pk, patch)

    def _reject(self, story: Story) -> None:
        declaration_services.do_reject_registration(self._officer("bql", story), story.registration_id or 0,
                                                    self.random.choice(REJECT_REASONS))

    def _confirm_registration(self, story: Story) -> None:
        declaration_services.do_confirm_registration(self._officer("bql", story), story.registration_id or 0)

    def _cancel(self, story: Story) -> None:
        declaration_services.do_cancel_registration(self._actor(story.firm), story.registration_id or 0)

    def _cancel_trip(self, story: Story, position: int) -> None:
        crossing_services.do_cancel_trip(self._actor(story.firm), self._trip_id(story, position))

    def _confirm(self, story: Story, position: int, step: str) -> None:
        prefix = {"gate_entry_border_guard": "border", "yard_exit_border_guard": "border",
                  "gate_entry_customs": "customs", "yard_exit_customs": "customs",
                  "medical_quarantine": "medical", "plant_quarantine": "plant",
                  "animal_quarantine": "animal"}.get(step, "bql")
        automatic = step in ("yard_entry", "left_gate") and self.random.random() < 0.4
        note = ""
        receipt = ""
        if automatic:
            note = "Camera nhận dạng biển số"
        elif step.endswith("_quarantine"):
            note = self.random.choice(["Đạt yêu cầu", "Đã lấy mẫu, đạt", "Kiểm tra cảm quan đạt"])
        if step == "fee_paid":
            receipt = f"BL-{timezone.localtime():%Y%m%d}-{next(self._receipts):06d}"
        crossing_services.do_confirm_checkpoint(self._officer(prefix, story), self._trip_id(story, position), step,
                                                note=note, automatic=automatic, receipt_number=receipt)
        self._count(f"checkpoint {step}")

    def _add_receiving(self, story: Story, position: int, details: dict[str, str]) -> None:
        vehicle = crossing_services.do_add_receiving_vehicle(
            self._officer("bql", story), self._trip_id(story, position), plate=details["plate"],
            driver_name=details["name"], driver_identity_document=details["identity_document"],
            driver_phone=details["phone"])
        details["id"] = str(vehicle.pk)

    def _mark(self, story: Story, position: int, details: dict[str, str], event: str) -> None:
        crossing_services.do_mark_receiving_vehicle(self._officer("bql", story), self._trip_id(story, position),
                                                    int(details["id"]), event)

    def _count(self, what: str) -> None:
        self.counts[what] = self.counts.get(what, 0) + 1

    # --- running ---

    def run(self) -> dict[str, int]:
        total = len(self._queue)
        done = 0
        clock = DemoClock()
        with clock.installed():
            while self._queue:
                moment, _, action = heapq.heappop(self._queue)
                clock.moment = moment
                action()
                done += 1
                if self.progress:
                    self.progress(done, total)
        return self.counts


def demo_trips_exist() -> bool:
    return Registration.objects.filter(declarant__tax_code__in=[e.tax_code for e in ENTERPRISES if e.username]
                                       ).exists()


def build_trips(users: dict[str, User], *, seed: int = 2022,
                progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    builder = DemoBuilder(users, seed=seed, progress=progress)
    with transaction.atomic():
        builder.plan()
    return builder.run()


def build_demo(*, add_trips: bool = False, seed: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Reference data, accounts and (once, or again with `add_trips`) a few days of trucks."""
    load_reference_data()
    users = ensure_accounts()
    summary: dict[str, Any] = {"accounts": len(users)}
    if demo_trips_exist() and not add_trips:
        summary["trips_skipped"] = True
        return summary
    if seed is None:
        seed = 2022 + Registration.objects.count()
    summary.update(build_trips(users, seed=seed, progress=progress))
    return summary
