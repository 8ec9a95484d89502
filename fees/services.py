"""Which tariff applies to a trip and what it pays."""

from __future__ import annotations

from collections.abc import Iterable

from crossings.models import Trip
from fees.models import GoodsType, JourneyFactor, Tariff, TripFee

# HS chapters 01–14 (live animals, meat, fish, vegetables, fruit, cereals…) are the
# agricultural, forestry and fishery goods the resolution charges at the lower rate.
AGRICULTURAL_CHAPTERS = frozenset(f"{chapter:02d}" for chapter in range(1, 15))
REEXPORT_DIRECTIONS = frozenset({"temp_import", "transit", "transshipment"})


def goods_type_for(direction: str, hs_codes: Iterable[str]) -> str:
    if direction in REEXPORT_DIRECTIONS:
        return GoodsType.REEXPORT_TRANSIT
    codes = list(hs_codes)
    if codes and all(code[:2] in AGRICULTURAL_CHAPTERS for code in codes):
        return GoodsType.AGRICULTURAL
    return GoodsType.GENERAL


def assess_fee(trip: Trip, hs_codes: Iterable[str]) -> TripFee:
    """Compute (or recompute, before payment) the trip's fee from the tariff table."""
    goods_type = goods_type_for(trip.registration.direction, hs_codes)
    tariff = Tariff.objects.get(load_class=trip.load_class, goods_type=goods_type)
    percent = JourneyFactor.objects.filter(journey=trip.journey).values_list("percent", flat=True).first() or 100
    # Round to whole đồng, half up, as receipts show no fractions.
    amount = (tariff.amount_vnd * percent + 50) // 100
    fee, _ = TripFee.objects.update_or_create(
        trip=trip, defaults={"goods_type": goods_type, "tariff_vnd": tariff.amount_vnd, "percent": percent,
                             "amount_vnd": amount})
    return fee
