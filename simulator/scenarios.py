"""Reading scenarios from TOML files (stdlib ``tomllib``), strictly: an unknown key is an
error, because a misspelt capacity silently falling back to a default would make the
board trust a figure nobody configured."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path
from typing import Any

from .model import ATTRIBUTES, Arrivals, Dist, Hours, RateWindow, Scenario, Smart, Stage, Yard

SCENARIO_DIR = Path(__file__).with_name("scenarios")


class ScenarioError(ValueError):
    """A scenario file or name that cannot be used; the message says where and why."""


def available() -> list[str]:
    """Names of the scenarios shipped with the package."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def load(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name (``digital_2024``) or any TOML file by path."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = SCENARIO_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        raise ScenarioError(f"unknown scenario {str(name_or_path)!r}; shipped: {', '.join(available())}")
    with path.open("rb") as fh:
        try:
            data = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ScenarioError(f"{path.name}: {exc}") from exc
    return from_dict(data, where=path.name)


def _check_keys(cls: type, data: dict[str, Any], where: str) -> None:
    known = {f.name for f in fields(cls)}
    unknown = set(data) - known
    if unknown:
        raise ScenarioError(f"{where}: unknown key(s) {sorted(unknown)}")


def _dist(data: dict[str, Any] | None, where: str) -> Dist | None:
    if data is None:
        return None
    _check_keys(Dist, data, where)
    dist = Dist(**data)
    if dist.kind not in ("exponential", "lognormal", "triangular", "deterministic"):
        raise ScenarioError(f"{where}: unknown distribution kind {dist.kind!r}")
    if dist.mean() <= 0:
        raise ScenarioError(f"{where}: mean service time must be positive")
    return dist


def _stage(data: dict[str, Any], where: str) -> Stage:
    data = dict(data)
    _check_keys(Stage, data, where)
    where = f"{where} stage {data.get('name', '?')!r}"
    data["service"] = _dist(data.get("service"), f"{where} service")
    data["when"] = tuple(data.get("when", ()))
    for cond in data["when"]:
        if cond.removeprefix("not_") not in ATTRIBUTES:
            raise ScenarioError(f"{where}: unknown condition {cond!r}")
    windows = []
    for w in data.get("rate_windows", ()):
        _check_keys(RateWindow, w, where)
        windows.append(RateWindow(**w))
    data["rate_windows"] = tuple(windows)
    st = Stage(**data)
    if st.hours not in ("gate", "other_side", "24h"):
        raise ScenarioError(f"{where}: hours must be gate, other_side or 24h")
    if st.zone not in ("before_yard", "yard", "after_yard"):
        raise ScenarioError(f"{where}: zone must be before_yard, yard or after_yard")
    if not st.per_hour and st.service is None:
        raise ScenarioError(f"{where}: needs service or per_hour")
    if not 0 <= st.share <= 1:
        raise ScenarioError(f"{where}: share must be between 0 and 1")
    return st


def _section(cls: type, data: dict[str, Any] | None, where: str) -> Any:
    data = dict(data or {})
    _check_keys(cls, data, where)
    for key in ("lane_service",):
        if key in data:
            data[key] = _dist(data[key], f"{where}.{key}")
    for key in ("hourly_profile", "automated_lanes"):
        if key in data:
            data[key] = tuple(data[key])
    return cls(**data)


def from_dict(data: dict[str, Any], where: str = "scenario") -> Scenario:
    data = dict(data)
    _check_keys(Scenario, {k: v for k, v in data.items() if k != "stages"}, where)
    if "name" not in data:
        raise ScenarioError(f"{where}: missing name")
    stages = tuple(_stage(s, where) for s in data.pop("stages", ()))
    names = [s.name for s in stages]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{where}: stage names must be unique")
    sections = {
        "hours": Hours,
        "other_side_hours": Hours,
        "arrivals": Arrivals,
        "yard": Yard,
        "smart": Smart,
    }
    for key, cls in sections.items():
        data[key] = _section(cls, data.get(key), f"{where} [{key}]")
    data["lane_stages"] = tuple(data.get("lane_stages", ()))
    sc = Scenario(base_stages=stages, **data)
    if len(sc.arrivals.hourly_profile) != 24:
        raise ScenarioError(f"{where}: hourly_profile needs 24 values")
    for lane in sc.lane_stages + sc.smart.automated_lanes:
        if lane not in names:
            raise ScenarioError(f"{where}: {lane!r} is not a stage")
    return sc
