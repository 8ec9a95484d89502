"""Reference data of the Vietnam–China border: gate pairs, lanes, yards, hours, protocols, agencies, tariff.

Loaded (and refreshed, without touching what a supervisor added) by `cuakhau load_reference`;
everything here is editable afterwards in the Django admin. Sources: shared/BRIEF.md and
public reports; figures marked "sample" are plausible stand-ins, not official values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Agency, AgencyKind
from fees.models import GoodsType, JourneyFactor, Tariff
from gates.models import Closure, Gate, GoodsProtocol, Lane, ProtocolGate, Province, WorkingHours, Yard

PROVINCES = [
    ("lang-son", "Lạng Sơn", "谅山省", "Lang Son"),
    ("cao-bang", "Cao Bằng", "高平省", "Cao Bang"),
    ("quang-ninh", "Quảng Ninh", "广宁省", "Quang Ninh"),
    ("ha-giang", "Hà Giang", "河江省", "Ha Giang"),
]

DAY = (dt.time(7, 0), dt.time(19, 0))
ALL_DAY = (dt.time(0, 0), dt.time(0, 0))

# code, province, vi, zh, en, counterpart vi, counterpart zh, kind, mode, markers, routes, goods, hours;
# lanes (code, kind, direction, automated, trucks per hour); yards (code, vi, zh, en, operator, places).
# Chinese names of yards run by a company (Xuân Cương, Bảo Nguyên) are Sino-Vietnamese readings (sample).
GATES: list[dict[str, Any]] = [
    dict(code="huu-nghi", province="lang-son", vi="Hữu Nghị", zh="友谊", en="Huu Nghi",
         cp_vi="Hữu Nghị Quan", cp_zh="友谊关", kind="international", markers="1116–1117",
         routes="1119–1120 (đường chuyên dụng), 1088/2–1089", hours=DAY,
         lanes=[("in-1", "entry", "import", False, 30), ("in-2", "entry", "import", False, 30),
                ("in-3", "entry", "export", False, 30), ("out-1", "exit", "import", False, 40),
                ("out-2", "exit", "export", False, 40)],
         yards=[("huu-nghi-kiem-hoa", "Bãi kiểm hóa Hữu Nghị", "友谊口岸查验货场", "Huu Nghi inspection yard",
                 "BQL KKT cửa khẩu Đồng Đăng – Lạng Sơn", 300),
                ("huu-nghi-chuyen-tai", "Bãi chuyển tải Hữu Nghị", "友谊口岸换装货场", "Huu Nghi transshipment yard",
                 "BQL KKT cửa khẩu Đồng Đăng – Lạng Sơn", 250)]),
    dict(code="tan-thanh", province="lang-son", vi="Tân Thanh", zh="新清", en="Tan Thanh",
         cp_vi="Pò Chài", cp_zh="浦寨", kind="clearance_route", markers="1090–1091", routes="1088/2–1089",
         hours=DAY,
         lanes=[("in-1", "entry", "import", False, 25), ("in-2", "entry", "export", False, 25),
                ("out-1", "exit", "import", False, 35), ("out-2", "exit", "export", False, 35)],
         yards=[("xuan-cuong", "Bãi Xuân Cương", "春刚货场", "Xuan Cuong yard", "Công ty Xuân Cương", 350),
                ("bao-nguyen", "Bãi Bảo Nguyên", "宝源货场", "Bao Nguyen yard", "Công ty Bảo Nguyên", 300)]),
    dict(code="chi-ma", province="lang-son", vi="Chi Ma", zh="支马", en="Chi Ma", cp_vi="Ái Điểm", cp_zh="爱店",
         kind="main", markers="", routes="", hours=DAY,
         lanes=[("in-1", "entry", "import", False, 20), ("out-1", "exit", "export", False, 20)],
         yards=[("chi-ma", "Bãi Chi Ma", "支马口岸货场", "Chi Ma yard", "", 150)]),
    dict(code="coc-nam", province="lang-son", vi="Cốc Nam", zh="谷南", en="Coc Nam", cp_vi="Lũng Nghịu", cp_zh="弄尧",
         kind="clearance_route", markers="1104–1105", routes="1104–1105", hours=DAY,
         lanes=[("in-1", "entry", "import", False, 20), ("out-1", "exit", "export", False, 20)],
         yards=[("coc-nam", "Bãi Cốc Nam", "谷南口岸货场", "Coc Nam yard", "", 120)]),
    dict(code="dong-dang-rail", province="lang-son", vi="Ga đường sắt Đồng Đăng", zh="同登火车站",
         en="Dong Dang railway station", cp_vi="Bằng Tường", cp_zh="凭祥", kind="international", mode="rail",
         markers="", routes="", hours=ALL_DAY, lanes=[],
         yards=[("dong-dang-ga", "Bãi ga Đồng Đăng", "同登火车站货场", "Dong Dang station yard", "", 100)]),
    dict(code="binh-nghi", province="lang-son", vi="Bình Nghi", zh="平宜", en="Binh Nghi", cp_vi="Bình Nhi Quan",
         cp_zh="平而关", kind="auxiliary", markers="1035", routes="", hours=DAY,
         lanes=[("in-1", "entry", "import", False, 10)],
         yards=[("binh-nghi", "Bãi Bình Nghi", "平宜口岸货场", "Binh Nghi yard", "", 40)]),
    # Na Hình faces Pingxiang's 叫隘 border-trade point (sample pairing, to be confirmed with the province).
    dict(code="na-hinh", province="lang-son", vi="Na Hình", zh="那形", en="Na Hinh", cp_vi="Khiếu Ải", cp_zh="叫隘",
         kind="auxiliary", markers="", routes="", hours=DAY, lanes=[],
         yards=[("na-hinh", "Bãi Na Hình", "那形口岸货场", "Na Hinh yard", "", 40)]),
    dict(code="na-nua", province="lang-son", vi="Nà Nưa", zh="那糯", en="Na Nua", cp_vi="Nà Hoa", cp_zh="那花",
         kind="auxiliary", markers="", routes="", hours=DAY, lanes=[],
         yards=[("na-nua", "Bãi Nà Nưa", "那糯口岸货场", "Na Nua yard", "", 40)]),
    dict(code="ta-lung", province="cao-bang", vi="Tà Lùng", zh="塔隆", en="Ta Lung", cp_vi="Thủy Khẩu", cp_zh="水口",
         kind="international", markers="", routes="", hours=DAY,
         lanes=[("in-1", "entry", "import", False, 20)],
         yards=[("ta-lung", "Bãi Tà Lùng", "塔隆口岸货场", "Ta Lung yard", "", 120)]),
    dict(code="tra-linh", province="cao-bang", vi="Trà Lĩnh", zh="茶岭", en="Tra Linh", cp_vi="Long Bang",
         cp_zh="龙邦", kind="international", markers="", routes="", hours=DAY,
         lanes=[("in-1", "entry", "import", False, 20)],
         yards=[("tra-linh", "Bãi Trà Lĩnh", "茶岭口岸货场", "Tra Linh yard", "", 100)]),
    dict(code="po-peo", province="cao-bang", vi="Pò Peo", zh="坡标", en="Po Peo", cp_vi="Nhạc Vu", cp_zh="岳圩",
         kind="main", markers="", routes="Đình Phong – Tân Hưng", hours=DAY, goods=False, lanes=[], yards=[]),
    dict(code="ha-lang", province="cao-bang", vi="Hạ Lang", zh="下琅", en="Ha Lang", cp_vi="Khoa Giáp", cp_zh="科甲",
         kind="auxiliary", markers="", routes="", hours=DAY, lanes=[],
         yards=[("ha-lang", "Bãi Hạ Lang", "下琅口岸货场", "Ha Lang yard", "", 40)]),
    dict(code="ly-van", province="cao-bang", vi="Lý Vạn", zh="里万", en="Ly Van", cp_vi="Thạc Long", cp_zh="硕龙",
         kind="main", markers="", routes="", hours=DAY, lanes=[],
         yards=[("ly-van", "Bãi Lý Vạn", "里万口岸货场", "Ly Van yard", "", 40)]),
    dict(code="mong-cai", province="quang-ninh", vi="Móng Cái", zh="芒街", en="Mong Cai", cp_vi="Đông Hưng",
         cp_zh="东兴", kind="international", markers="", routes="", hours=DAY,
         lanes=[("in-1", "entry", "import", False, 30), ("out-1", "exit", "export", False, 30)],
         yards=[("mong-cai", "Bãi Móng Cái", "芒街口岸货场", "Mong Cai yard", "", 200)]),
    dict(code="thanh-thuy", province="ha-giang", vi="Thanh Thủy", zh="清水", en="Thanh Thuy", cp_vi="Thiên Bảo",
         cp_zh="天保", kind="international", markers="", routes="", hours=DAY,
         lanes=[("in-1", "entry", "import", False, 20)],
         yards=[("thanh-thuy", "Bãi Thanh Thủy", "清水口岸货场", "Thanh Thuy yard", "", 100)]),
]

# HS prefix, vi, zh, en, directions, permitted gates
PROTOCOLS = [
    ("081060", "Sầu riêng tươi", "鲜榴莲", "Fresh durian", ["export"],
     ["huu-nghi", "tan-thanh", "chi-ma", "coc-nam", "mong-cai", "ta-lung", "thanh-thuy"]),
    ("03", "Thủy sản", "水产品", "Fish and seafood", ["export", "import"],
     ["huu-nghi", "tan-thanh", "coc-nam", "mong-cai"]),
    ("01", "Động vật sống", "活动物", "Live animals", ["export", "import"], ["mong-cai", "chi-ma"]),
    ("0410", "Tổ yến", "燕窝", "Edible bird's nests", ["export"], ["huu-nghi", "mong-cai"]),
]

AGENCY_NAMES = {
    AgencyKind.MANAGEMENT_BOARD: ("Ban Quản lý cửa khẩu {vi}", "{zh}口岸管理委员会",
                                  "{en} border gate management board"),
    AgencyKind.CUSTOMS: ("Chi cục Hải quan cửa khẩu {vi}", "{zh}口岸海关", "{en} customs"),
    AgencyKind.BORDER_GUARD: ("Đồn Biên phòng cửa khẩu {vi}", "{zh}口岸边防站", "{en} border guard post"),
    AgencyKind.MEDICAL_QUARANTINE: ("Kiểm dịch y tế cửa khẩu {vi}", "{zh}口岸卫生检疫", "{en} medical quarantine"),
    AgencyKind.PLANT_QUARANTINE: ("Kiểm dịch thực vật cửa khẩu {vi}", "{zh}口岸植物检疫", "{en} plant quarantine"),
    AgencyKind.ANIMAL_QUARANTINE: ("Kiểm dịch động vật cửa khẩu {vi}", "{zh}口岸动物检疫", "{en} animal quarantine"),
}

# Sample tariff in VND per trip, modelled on Lạng Sơn's infrastructure-use fee (resolution 09/2025).
TARIFF = {
    GoodsType.GENERAL: {"lt4": 150_000, "4to10": 300_000, "10to18": 500_000, "ge18": 800_000, "c40": 1_000_000},
    GoodsType.AGRICULTURAL: {"lt4": 100_000, "4to10": 200_000, "10to18": 350_000, "ge18": 500_000, "c40": 700_000},
    GoodsType.REEXPORT_TRANSIT: {"lt4": 500_000, "4to10": 1_000_000, "10to18": 1_500_000, "ge18": 2_000_000,
                                 "c40": 2_500_000},
}
JOURNEY_PERCENT = {"standard": 100, "inland": 130, "transship": 30}

# Tết Nguyên Đán 2027 (6 February): Lạng Sơn's gates stop goods clearance for the holiday (sample dates).
TET_2027 = (dt.datetime(2027, 2, 4, 19, 0), dt.datetime(2027, 2, 10, 7, 0), "Nghỉ Tết Nguyên Đán 2027")


@transaction.atomic
def load_reference_data() -> dict[str, int]:
    """Create or refresh the reference rows; safe to run any number of times."""
    provinces = {}
    for code, vi, zh, en in PROVINCES:
        provinces[code], _ = Province.objects.update_or_create(code=code, defaults={"name_vi": vi, "name_zh": zh,
                                                                                  "name_en": en})
    gates = {}
    for spec in GATES:
        gate, created = Gate.objects.update_or_create(code=spec["code"], defaults={
            "province": provinces[spec["province"]], "name_vi": spec["vi"], "name_zh": spec["zh"],
            "name_en": spec["en"], "counterpart_name_vi": spec["cp_vi"], "counterpart_name_zh": spec["cp_zh"],
            "kind": spec["kind"], "transport_mode": spec.get("mode", "road"), "markers": spec["markers"],
            "clearance_routes": spec["routes"], "handles_goods": spec.get("goods", True)})
        gates[gate.code] = gate
        for code, kind, direction, automated, rate in spec["lanes"]:
            Lane.objects.get_or_create(gate=gate, code=code, defaults={"kind": kind, "direction": direction,
                                                                      "automated": automated, "trucks_per_hour": rate})
        for code, name_vi, name_zh, name_en, operator, places in spec["yards"]:
            # The names are refreshed; the places stay as the supervisor set them.
            Yard.objects.update_or_create(code=code, defaults={"name_vi": name_vi, "name_zh": name_zh,
                                                               "name_en": name_en},
                                          create_defaults={"gate": gate, "name_vi": name_vi, "name_zh": name_zh,
                                                           "name_en": name_en, "operator": operator,
                                                           "places": places})
        if created or not gate.working_hours.exists():
            opens, closes = spec["hours"]
            WorkingHours.objects.bulk_create(WorkingHours(gate=gate, weekday=day, opens=opens, closes=closes)
                                             for day in range(7))
        if spec["province"] == "lang-son" and spec.get("goods", True):
            starts, ends, reason = TET_2027
            tz = timezone.get_default_timezone()
            Closure.objects.get_or_create(gate=gate, reason=reason, defaults={
                "starts_at": timezone.make_aware(starts, tz), "ends_at": timezone.make_aware(ends, tz)})
            for kind, (vi, zh, en) in AGENCY_NAMES.items():
                Agency.objects.update_or_create(code=f"{kind}.{gate.code}", defaults={
                    "kind": kind, "province": gate.province, "gate": gate, "name_vi": vi.format(vi=spec["vi"]),
                    "name_zh": zh.format(zh=spec["zh"]), "name_en": en.format(en=spec["en"])})
    Agency.objects.update_or_create(code="management_board.lang-son", defaults={
        "kind": AgencyKind.MANAGEMENT_BOARD, "province": provinces["lang-son"], "gate": None,
        "name_vi": "Ban Quản lý Khu kinh tế cửa khẩu Đồng Đăng – Lạng Sơn",
        "name_zh": "同登—谅山口岸经济区管理委员会",
        "name_en": "Dong Dang – Lang Son border economic zone management board"})
    for hs_prefix, vi, zh, en, directions, gate_codes in PROTOCOLS:
        protocol, _ = GoodsProtocol.objects.update_or_create(hs_prefix=hs_prefix, defaults={
            "name_vi": vi, "name_zh": zh, "name_en": en, "directions": directions})
        for code in gate_codes:
            ProtocolGate.objects.get_or_create(protocol=protocol, gate=gates[code])
    for goods_type, amounts in TARIFF.items():
        for load_class, amount in amounts.items():
            Tariff.objects.get_or_create(load_class=load_class, goods_type=goods_type,
                                         defaults={"amount_vnd": amount})
    for journey, percent in JOURNEY_PERCENT.items():
        JourneyFactor.objects.get_or_create(journey=journey, defaults={"percent": percent})
    return {"provinces": len(provinces), "gates": len(gates), "protocols": len(PROTOCOLS)}

