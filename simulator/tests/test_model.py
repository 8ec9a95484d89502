"""The model against queueing theory and against today's figures (plain pytest, no Django)."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import numpy as np
import pytest

from simulator import analysis, engine, scenarios
from simulator.model import Arrivals, Dist, Hours, Scenario, Smart, Stage, Yard

DAY_S = 86_400.0
ALWAYS = Hours(0, 24)


def erlang_c_wait_h(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c (Erlang C), rates per hour."""
    a = lam / mu
    rho = a / c
    below = sum(a**k / math.factorial(k) for k in range(c))
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (below + top) / (c * mu - lam)


def single_stage(
    servers: int,
    service: Dist,
    per_day: float,
    *,
    hours: Hours = ALWAYS,
    profile: tuple[float, ...] = (1.0,) * 24,
    **stage: object,
) -> Scenario:
    return Scenario(
        name="test",
        hours=hours,
        other_side_hours=hours,
        warmup_days=5,
        arrivals=Arrivals(trucks_per_day=per_day, export_share=0.0, hourly_profile=profile),
        base_stages=(Stage(name="server", servers=servers, service=service, **stage),),  # type: ignore[arg-type]
    )


def mean_wait_h(r: engine.RunResult, warm_days: float) -> float:
    window = r.arrival_s >= warm_days * DAY_S
    return float((r.clear_s - r.arrival_s - r.service_s)[window].mean() / 3600)


def test_mmc_mean_wait_agrees_with_erlang_c_within_3_percent() -> None:
    # M/M/4 at 70 % load; 6,000 days is about 2.4 million trucks, so the estimate's own
    # noise (about 0.7 %) is well inside the 3 % the check allows.
    c, mean_min, rho = 4, 10.0, 0.7
    mu = 60 / mean_min
    lam = rho * c * mu
    sc = single_stage(c, Dist("exponential", mean_min), lam * 24)
    run = engine.simulate(sc, days=6000, seed=1)
    assert len(run.arrival_s) > 2_000_000
    expected = erlang_c_wait_h(lam, mu, c)
    assert mean_wait_h(run, 5) == pytest.approx(expected, rel=0.03)


def test_littles_law_holds_on_the_outputs() -> None:
    run = engine.simulate(scenarios.load("digital_2024"), days=30, seed=3)
    summary = analysis.summarise(run, step_minutes=10)
    little = summary["little"]
    lam_w = little["lambda_per_h"] * little["W_h"]
    assert little["L"] == pytest.approx(lam_w, rel=0.02)
    # The queue series the page draws tells the same story.
    step = summary["queue"]["step_minutes"] / 60
    series = np.array(summary["queue"]["in_system"])[int(summary["warmup_days"] * 24 / step) : -1]
    assert series.mean() == pytest.approx(lam_w, rel=0.03)


def test_more_lanes_never_lower_throughput_on_a_line() -> None:
    # Entry lanes then an inspection pool and exit lanes, no yard limit, far more traffic
    # than any configuration clears: throughput can only grow with lanes.
    lanes = Stage(name="entry", servers=1, service=Dist("lognormal", 6.0, 0.5))
    sc = Scenario(
        name="line",
        hours=Hours(7, 19),
        other_side_hours=Hours(7, 19),
        arrivals=Arrivals(trucks_per_day=3000, export_share=0.3),
        base_stages=(
            lanes,
            Stage(name="inspection", servers=12, share=0.5, service=Dist("exponential", 20.0)),
            replace(lanes, name="exit"),
        ),
        lane_stages=("entry", "exit"),
    )
    cleared = []
    for n in range(1, 13):
        run = engine.simulate(sc.with_stage_servers(("entry", "exit"), n), days=6, seed=5)
        cleared.append(int(((run.clear_s >= 2 * DAY_S) & (run.clear_s < 6 * DAY_S)).sum()))
    assert all(b >= a for a, b in zip(cleared, cleared[1:], strict=False)), cleared
    assert cleared[-1] > cleared[0] * 3


def test_more_lanes_never_lower_the_sustainable_rate() -> None:
    rows = analysis.capacity_vs_lanes(scenarios.load("digital_2024"), seed=1, lanes=[1, 3, 8, 12])
    rates = [row["sustainable_per_day"] for row in rows]
    assert all(b >= a for a, b in zip(rates, rates[1:], strict=False)), rates
    assert rates[0] < rates[-1]


def test_a_scenario_run_is_reproducible_for_a_seed() -> None:
    sc = scenarios.load("smart_2030")

    def figures(seed: int) -> str:
        summary = analysis.summarise(engine.simulate(sc, days=5, seed=seed))
        del summary["engine"]  # wall-clock time
        return json.dumps(summary, sort_keys=True)

    assert figures(7) == figures(7)
    assert figures(7) != figures(8)


def test_digital_2024_reproduces_todays_figures() -> None:
    summary = analysis.summarise(engine.simulate(scenarios.load("digital_2024"), days=30, seed=1))
    per_day = summary["cleared_per_day"]
    assert 1200 <= per_day["all"] <= 1400
    assert 340 <= per_day["export"] <= 410
    assert 880 <= per_day["import"] <= 1010
    assert 3.0 <= summary["time_in_system_h"]["p50"] <= 4.0  # clearance 3–4 h


def test_paper_2021_collapses_exports_and_waits_for_days() -> None:
    sc = scenarios.load("paper_2021")
    normal = analysis.summarise(engine.simulate(sc, days=8, seed=1))
    assert 8.0 <= normal["time_in_system_h"]["p50"] <= 10.0  # clearance 8–10 h before the cut
    crisis = analysis.summarise(engine.simulate(sc, days=30, seed=1))
    exports = [d["cleared_export"] for d in crisis["daily"][10:30]]
    assert 60 <= np.mean(exports) <= 70  # Hữu Nghị: 60–70 export trucks a day
    assert crisis["by_direction"]["export"]["wait_h"]["p90"] > 72  # waits of days
    assert crisis["congestion_hours"]["red"] > 0


def test_smart_2030_ratio_of_sustainable_rates_is_measured() -> None:
    rates = {
        name: analysis.sustainable(scenarios.load(name), seed=1)
        for name in ("paper_2021", "digital_2024", "smart_2030")
    }
    ratio = rates["smart_2030"]["trucks_per_day"] / rates["digital_2024"]["trucks_per_day"]
    assert rates["paper_2021"]["trucks_per_day"] < rates["digital_2024"]["trucks_per_day"]
    assert 1.2 < ratio < 10
    assert rates["smart_2030"]["queue_forms_at"]


def test_trucks_arriving_at_night_wait_for_opening() -> None:
    profile = tuple(1.0 if h == 2 else 0.0 for h in range(24))
    sc = single_stage(4, Dist("deterministic", 5.0), 20, hours=Hours(7, 19), profile=profile)
    run = engine.simulate(sc, days=3, seed=1)
    start = run.clear_s - run.service_s
    assert np.all(start % DAY_S >= 7 * 3600)
    # The night is not counted as queueing, only as waiting.
    assert np.all(run.closed_s >= (7 - 3) * 3600)


def test_green_lane_lets_perishables_into_the_yard_first() -> None:
    sc = Scenario(
        name="green",
        hours=Hours(0, 24),
        other_side_hours=Hours(0, 24),
        arrivals=Arrivals(trucks_per_day=300, export_share=1.0, perishable_share_export=0.3),
        yard=Yard(export_places=2),
        base_stages=(Stage(name="check", servers=2, service=Dist("exponential", 9.0)),),
    )
    run = engine.simulate(sc, days=20, seed=2)
    outside = run.admit_s - run.arrival_s
    assert outside[run.perishable].mean() < outside[~run.perishable].mean() / 3


def test_one_stop_inspection_lasts_as_long_as_the_longest_check() -> None:
    checks = (
        Stage(name="customs", servers=1, service=Dist("deterministic", 30.0), inspection=True),
        Stage(name="plant", servers=1, when=("perishable",), service=Dist("deterministic", 10.0), inspection=True),
    )
    sc = Scenario(
        name="joint",
        hours=Hours(0, 24),
        other_side_hours=Hours(0, 24),
        arrivals=Arrivals(trucks_per_day=20, export_share=0.5),
        base_stages=checks,
        smart=Smart(one_stop_teams=5),
    )
    run = engine.simulate(sc, days=3, seed=1)
    assert [s.name for s in run.stages] == ["joint_inspection"]
    assert np.allclose(run.service_s, 30 * 60)  # one stop of 30 min, not 30 + 10


def test_other_sides_acceptance_rate_limits_exports() -> None:
    sc = Scenario(
        name="limit",
        hours=Hours(0, 24),
        other_side_hours=Hours(0, 24),
        arrivals=Arrivals(trucks_per_day=400, export_share=1.0),
        base_stages=(Stage(name="acceptance", per_hour=5.0, hours="other_side"),),
    )
    summary = analysis.summarise(engine.simulate(sc, days=6, seed=1))
    assert summary["cleared_per_day"]["export"] == pytest.approx(120, abs=1)


def test_scenario_files_are_read_strictly(tmp_path: object) -> None:
    assert scenarios.available() == ["digital_2024", "paper_2021", "smart_2030", "smart_2030_x5"]
    with pytest.raises(scenarios.ScenarioError, match="unknown scenario"):
        scenarios.load("nowhere_2040")
    with pytest.raises(scenarios.ScenarioError, match="unknown key"):
        scenarios.from_dict({"name": "x", "yard": {"import_place": 5}})
    with pytest.raises(scenarios.ScenarioError, match="unknown condition"):
        scenarios.from_dict({"name": "x", "stages": [{"name": "a", "per_hour": 1, "when": ["fruit"]}]})
