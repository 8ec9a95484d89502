"""Scenario description: what a gate configuration is made of.

Everything here is plain data (frozen dataclasses) so a scenario can be read from a TOML
file, changed with ``dataclasses.replace`` for what-if runs, and compared field by field.
Durations in scenario files are in minutes because that is how the board states them;
the engine converts them to milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

DistKind = Literal["exponential", "lognormal", "triangular", "deterministic"]

#: Truck attributes a stage can require; "not_x" requires the attribute to be false.
ATTRIBUTES = ("import", "export", "perishable", "foreign", "shuttle")
CONGESTION_LEVELS = (("green", 0), ("yellow", 500), ("orange", 1000), ("red", 5000))


@dataclass(frozen=True)
class Dist:
    """A service-time distribution, parameters in minutes."""

    kind: DistKind = "exponential"
    mean_min: float = 1.0
    cv: float = 1.0  # lognormal only: coefficient of variation
    low_min: float = 0.0  # triangular only
    mode_min: float = 0.0
    high_min: float = 0.0

    def mean(self) -> float:
        """Mean in minutes (triangular: (a + b + c) / 3)."""
        if self.kind == "triangular":
            return (self.low_min + self.mode_min + self.high_min) / 3
        return self.mean_min

    def sample_ms(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` draws in whole milliseconds (int64); rounding keeps the mean unbiased."""
        if self.kind == "exponential":
            minutes = rng.exponential(self.mean_min, n)
        elif self.kind == "lognormal":
            sigma2 = math.log1p(self.cv * self.cv)
            mu = math.log(self.mean_min) - sigma2 / 2
            minutes = rng.lognormal(mu, math.sqrt(sigma2), n)
        elif self.kind == "triangular":
            minutes = rng.triangular(self.low_min, self.mode_min, self.high_min, n)
        elif self.kind == "deterministic":
            minutes = np.full(n, self.mean_min)
        else:  # pragma: no cover - rejected when the scenario is read
            raise ValueError(f"unknown distribution {self.kind!r}")
        return np.rint(minutes * 60_000.0).astype(np.int64)


@dataclass(frozen=True)
class Hours:
    """Daily opening window in hours since midnight; ``open == 0 and close == 24`` is 24 h."""

    open: float = 7.0
    close: float = 19.0

    @property
    def always(self) -> bool:
        return self.open <= 0 and self.close >= 24

    @property
    def length(self) -> float:
        return self.close - self.open


@dataclass(frozen=True)
class RateWindow:
    """A period (days, end excluded) when a rate-limited stage runs at another rate."""

    from_day: int
    to_day: int
    per_hour: float


@dataclass(frozen=True)
class Stage:
    """One station a truck may pass: a pool of servers (lanes, teams, bays) or a rate limit.

    ``servers == 0`` means unlimited (a pure delay, e.g. an online payment);
    ``per_hour`` makes the stage a single deterministic server taking that many trucks an
    hour (the other side's acceptance, a shuttle); ``zone`` says whether the truck holds a
    yard place while at the stage.
    """

    name: str
    label: str = ""
    servers: int = 1
    service: Dist | None = None
    per_hour: float = 0.0
    rate_windows: tuple[RateWindow, ...] = ()
    when: tuple[str, ...] = ()
    share: float = 1.0
    green_servers: int = 0
    hours: Literal["gate", "other_side", "24h"] = "gate"
    zone: Literal["before_yard", "yard", "after_yard"] = "yard"
    inspection: bool = False
    merged: tuple[Stage, ...] = ()  # one-stop inspection: visited if any of these would be

    def applies(self, attrs: dict[str, np.ndarray]) -> np.ndarray:
        """Which trucks qualify for this stage (before the ``share`` draw)."""
        n = len(next(iter(attrs.values())))
        mask = np.ones(n, dtype=bool)
        for cond in self.when:
            if cond.startswith("not_"):
                mask &= ~attrs[cond[4:]]
            else:
                mask &= attrs[cond]
        return mask


@dataclass(frozen=True)
class Arrivals:
    trucks_per_day: float = 1300.0
    export_share: float = 0.29
    perishable_share_import: float = 0.2
    perishable_share_export: float = 0.6
    foreign_share_import: float = 0.8  # imports brought by Chinese trucks (to transship)
    hourly_profile: tuple[float, ...] = (1.0,) * 24
    day_cv: float = 0.0  # day-to-day variation of volume (lognormal factor)
    booked: bool = False  # booked arrival hours: flat over the opening window


@dataclass(frozen=True)
class Yard:
    """Yard places per direction; trucks wait outside (in arrival order, perishables first)."""

    import_places: int = 10**9
    export_places: int = 10**9


@dataclass(frozen=True)
class Smart:
    """Smart-gate options applied on top of the base stages (see ``Scenario.stages``)."""

    automated_lanes: tuple[str, ...] = ()  # stages whose service becomes ``lane_service``
    lane_service: Dist | None = None
    shuttle_per_hour: float = 0.0  # driverless shuttle across the zero line
    shuttle_share: float = 0.0  # share of trucks (containers) carried by it
    hours_24: bool = False
    one_stop_teams: int = 0  # >0: inspections merge into one joint inspection


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str = ""
    description: str = ""
    days: int = 30
    warmup_days: int = 2
    hours: Hours = field(default_factory=Hours)
    other_side_hours: Hours = field(default_factory=Hours)
    arrivals: Arrivals = field(default_factory=Arrivals)
    yard: Yard = field(default_factory=Yard)
    base_stages: tuple[Stage, ...] = ()
    smart: Smart = field(default_factory=Smart)
    target_p90_wait_h: float = 4.0
    lane_stages: tuple[str, ...] = ()  # varied together for the "capacity vs lanes" chart

    def gate_hours(self) -> Hours:
        return Hours(0, 24) if self.smart.hours_24 else self.hours

    def side_hours(self) -> Hours:
        return Hours(0, 24) if self.smart.hours_24 else self.other_side_hours

    def stages(self) -> tuple[Stage, ...]:
        """The stage list with the smart-gate options applied, in route order."""
        sm = self.smart
        out: list[Stage] = []
        merged = False
        inspections = tuple(s for s in self.base_stages if s.inspection)
        for st in self.base_stages:
            if sm.lane_service is not None and st.name in sm.automated_lanes:
                st = replace(st, service=sm.lane_service, label=st.label + " (ANPR)")
            if sm.one_stop_teams and st.inspection:
                if merged:
                    continue
                merged = True
                # One joint team checks for every agency at once: a truck stops once if
                # any agency would have inspected it, for as long as the longest check
                # (the engine draws both per truck).
                st = Stage(
                    name="joint_inspection",
                    label="one-stop joint inspection",
                    servers=sm.one_stop_teams,
                    merged=inspections,
                    hours=st.hours,
                    zone=st.zone,
                    inspection=True,
                )
            out.append(st)
        if sm.shuttle_per_hour and sm.shuttle_share:
            # Imports ride it in before the yard; exports leave on it after the yard.
            for direction, zone in (("import", "before_yard"), ("export", "after_yard")):
                out.append(
                    Stage(
                        name=f"shuttle_{direction}",
                        label=f"driverless shuttle ({direction})",
                        per_hour=sm.shuttle_per_hour,
                        when=(direction, "shuttle"),
                        hours="24h" if sm.hours_24 else "other_side",
                        zone=zone,  # type: ignore[arg-type]
                    )
                )
        return tuple(out)

    def with_scale(self, trucks_per_day: float) -> Scenario:
        return replace(self, arrivals=replace(self.arrivals, trucks_per_day=trucks_per_day))

    def with_stage_servers(self, names: tuple[str, ...], servers: int) -> Scenario:
        stages = tuple(replace(s, servers=servers) if s.name in names else s for s in self.base_stages)
        return replace(self, base_stages=stages)
