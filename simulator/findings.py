"""Regenerate the figures and charts of docs/simulator.md.

    python -m simulator.findings --out docs/img > /tmp/findings.md

Prints Markdown tables (pasted into the doc) and writes small SVG charts. Everything is
seeded, so a rerun gives the same numbers on any machine; only timings differ.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

from . import analysis, charts, engine, scenarios
from .model import Scenario

SEED = 1


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _waits(sc: Scenario, per_day: float, days: int = 30) -> list[str]:
    s = analysis.summarise(engine.simulate(sc.with_scale(per_day), days=days, seed=SEED))
    tis, wait = s["time_in_system_h"], s["wait_h"]
    hours = s["congestion_hours"]
    return [
        f"{s['cleared_per_day']['all']:.0f}",
        f"{tis['p50']:.1f} / {tis['p90']:.1f} / {tis['p99']:.1f}",
        f"{wait['p50']:.1f} / {wait['p90']:.1f} / {wait['p99']:.1f}",
        f"{hours['green']} / {hours['yellow']} / {hours['orange']} / {hours['red']}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    loaded = {name: scenarios.load(name) for name in ("paper_2021", "digital_2024", "smart_2030")}

    # 1. The measured answer: sustainable rates and their ratios.
    found = {name: analysis.sustainable(sc, seed=SEED, find_binding=True) for name, sc in loaded.items()}
    digital = found["digital_2024"]["trucks_per_day"]
    paper = found["paper_2021"]["trucks_per_day"]
    rows = [
        [
            name,
            f"{r['trucks_per_day']:.0f}",
            f"×{r['trucks_per_day'] / digital:.2f}",
            f"×{r['trucks_per_day'] / paper:.2f}",
            r["binding"] + (" (co-limited)" if r["co_limited"] else ""),
            r["queue_forms_at"],
        ]
        for name, r in found.items()
    ]
    print("## Sustainable rates\n")
    print(_table(["scenario", "trucks/day", "vs digital_2024", "vs paper_2021", "binding", "queue forms at"], rows))

    # 2. What each smart option buys: switch one off at a time.
    smart = loaded["smart_2030"]
    ablations = {
        "all options (smart_2030)": smart,
        "without ANPR lanes": replace(smart, smart=replace(smart.smart, lane_service=None)),
        "without the shuttle": replace(smart, smart=replace(smart.smart, shuttle_share=0.0)),
        "without 24-hour operation": replace(smart, smart=replace(smart.smart, hours_24=False)),
        "without one-stop inspection": replace(smart, smart=replace(smart.smart, one_stop_teams=0)),
        "without booked arrival hours": replace(smart, arrivals=replace(smart.arrivals, booked=False)),
    }
    rows = []
    for label, sc in ablations.items():
        r = analysis.sustainable(sc, seed=SEED, find_binding=True)
        rows.append([label, f"{r['trucks_per_day']:.0f}", f"×{r['trucks_per_day'] / digital:.2f}", r["binding"]])
    print("\n## Smart options, one switched off at a time\n")
    print(_table(["configuration", "trucks/day", "vs digital_2024", "binding"], rows))

    # 3. What it would take: relieve whatever binds until ×5.
    steps = analysis.what_it_takes(smart, digital, 5.0, seed=SEED)
    rows = [[s["change"], f"{s['trucks_per_day']:.0f}", f"×{s['ratio']:.2f}", s["binding"]] for s in steps]
    print("\n## What it would take (greedy: enlarge by half what binds)\n")
    print(_table(["change (cumulative)", "trucks/day", "vs digital_2024", "binds next"], rows))
    reached = steps[-1]["scenario"]
    four = next((s["scenario"] for s in steps if s["ratio"] >= 4.0), reached)

    # 4. The waits that follow at 4× and 5× today's traffic.
    today = loaded["digital_2024"].arrivals.trucks_per_day
    rows = [["digital_2024 at today's traffic", *_waits(loaded["digital_2024"], today)]]
    for mult in (2, 4, 5):
        rows.append([f"smart_2030 at ×{mult}", *_waits(smart, today * mult)])
    rows.append(["smart_2030 + what it takes for ×4, at ×4", *_waits(four, today * 4)])
    rows.append(["smart_2030 + what it takes for ×5, at ×5", *_waits(reached, today * 5)])
    print("\n## Waits that follow (30 days, seed 1)\n")
    print(
        _table(
            [
                "configuration",
                "cleared/day",
                "time in system p50/p90/p99 h",
                "wait p50/p90/p99 h",
                "hours green/yellow/orange/red",
            ],
            rows,
        )
    )

    # Charts.
    bars = charts.bar_chart(
        ["paper_2021", "digital_2024", "smart_2030", "+ what it takes"],
        [
            charts.Series(
                "sustainable trucks/day (p90 wait while open ≤ 4 h)",
                [paper, digital, found["smart_2030"]["trucks_per_day"], steps[-1]["trucks_per_day"]],
                "#1f4e9c",
            )
        ],
        title="Largest sustainable arrival rate",
        y_label="trucks per day",
        references=[(4 * digital, "×4 digital_2024"), (5 * digital, "×5")],
    )
    (args.out / "simulator-capacity.svg").write_text(bars, encoding="utf-8")
    for name in ("paper_2021", "digital_2024"):
        s = analysis.summarise(engine.simulate(loaded[name], seed=SEED))
        x = [i * s["queue"]["step_minutes"] / 60 / 24 for i in range(len(s["queue"]["in_system"]))]
        svg = charts.line_chart(
            x,
            [
                charts.Series("trucks at the gate", s["queue"]["in_system"], "#1f4e9c"),
                charts.Series("waiting outside the yard", s["queue"]["outside"], "#c01818", dashed=True),
            ],
            title=f"{name}: queue length over 30 days",
            x_label="day",
            y_label="trucks",
            bands=[
                charts.Band(500, 1000, "#e0b000", "yellow"),
                charts.Band(1000, 5000, "#e07000", "orange"),
                charts.Band(5000, 1e9, "#c01818", "red"),
            ],
        )
        (args.out / f"simulator-queue-{name}.svg").write_text(svg, encoding="utf-8")
    lanes = analysis.capacity_vs_lanes(loaded["digital_2024"], seed=SEED)
    svg = charts.line_chart(
        [r["lanes"] for r in lanes],
        [
            charts.Series("sustainable arrival rate", [r["sustainable_per_day"] for r in lanes], "#1f4e9c"),
            charts.Series("cleared under 3× overload", [r["overload_per_day"] for r in lanes], "#e07000", True),
        ],
        title="digital_2024: capacity against entry and exit lanes",
        x_label="lanes (entry and exit each)",
        y_label="trucks per day",
        markers=True,
    )
    (args.out / "simulator-lanes-digital_2024.svg").write_text(svg, encoding="utf-8")
    print(f"\n(findings computed in {time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
