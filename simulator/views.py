"""Pages for stored simulation results: a list, and one page per result with SVG charts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from . import charts, storage
from .model import CONGESTION_LEVELS

MAX_POINTS = 1500
LEVEL_COLOURS = {"green": "#2a9d3a", "yellow": "#e0b000", "orange": "#e07000", "red": "#c01818"}


def _downsample(values: list[float], step_h: float) -> tuple[list[float], list[float]]:
    """At most MAX_POINTS points, keeping each bucket's peak: a chart must not hide a jam."""
    bucket = max(1, -(-len(values) // MAX_POINTS))
    peaks = [max(values[i : i + bucket]) for i in range(0, len(values), bucket)]
    days = [i * bucket * step_h / 24 for i in range(len(peaks))]
    return days, peaks


def _binding_label(result: dict[str, Any]) -> str:
    """The binding resource's label as the scenario file words it (its name if unknown)."""
    sus = result.get("sustainable") or {}
    name = sus.get("binding") or result.get("binding") or ""
    labels = {row["name"]: row["label"] for row in result.get("resources", [])}
    return labels.get(name, name)


def _level_names() -> dict[str, str]:
    return {"green": _("green"), "yellow": _("yellow"), "orange": _("orange"), "red": _("red")}


# The scenario files are data in English; what a board member reads is translated here.
SCENARIO_TEXT = {
    "paper_2021": (_("Paper forms, December 2021"),
                   _("Five paper forms at five agency counters; gate open 7:00–19:00; the other side's intake of "
                     "exports cut to 5.5 trucks/hour from day 8.")),
    "digital_2024": (_("Digital platform, 2024"),
                     _("Online pre-arrival declaration; officers confirm at entry, inspection and exit; gate open "
                       "7:00–23:00 (extended hours).")),
    "smart_2030": (_("Smart border gate, 2030"),
                   _("Today's staff, yard and bays, plus plate-reading lanes, a driverless shuttle "
                     "(60 percent of trucks), 24-hour clearance, one-stop joint inspection and booked arrival hours.")),
    "smart_2030_x5": (_("Smart border gate, 2030, sized for ×5"),
                      _("smart_2030 with 102 joint inspection teams, a 202/h shuttle each way and 195 transshipment "
                        "bays: the configuration that sustains five times today's rate.")),
}


def scenario_text(result: dict[str, Any]) -> tuple[str, str]:
    """Title and description of a stored result in the reader's language."""
    known = SCENARIO_TEXT.get(result["scenario"])
    if known:
        return str(known[0]), str(known[1])
    return result.get("title") or result["scenario"], result.get("description", "")


@login_required
def result_list(request: HttpRequest) -> HttpResponse:
    results = storage.stored()
    # The "×" column answers the board's question: sustainable rate against digital_2024's.
    baseline = {
        r["seed"]: r["sustainable"]["trucks_per_day"]
        for r in results
        if r["scenario"] == "digital_2024" and r.get("sustainable")
    }
    rows = []
    for r in results:
        sus = r.get("sustainable") or {}
        base = baseline.get(r["seed"])
        rows.append(
            {
                "stem": r["stem"],
                "title": scenario_text(r)[0],
                "scenario": r["scenario"],
                "days": r["days"],
                "seed": r["seed"],
                "cleared": r["cleared_per_day"]["all"],
                "tis_p50": r["time_in_system_h"]["p50"],
                "wait_p90": r["wait_h"]["p90"],
                "sustainable": sus.get("trucks_per_day"),
                "ratio": sus["trucks_per_day"] / base if sus and base else None,
                "binding": _binding_label(r),
            }
        )
    return render(request, "simulator/list.html", {"rows": rows})


@login_required
def result_detail(request: HttpRequest, stem: str) -> HttpResponse:
    s = storage.load(stem)
    if s is None:
        raise Http404(_("No stored simulation result with that name."))
    s["title"], s["description"] = scenario_text(s)
    queue = s["queue"]
    step_h = queue["step_minutes"] / 60
    x, in_system = _downsample(queue["in_system"], step_h)
    _x, outside = _downsample(queue["outside"], step_h)
    names = _level_names()
    bounds = [floor for _name, floor in CONGESTION_LEVELS[1:]] + [float("inf")]
    bands = [
        charts.Band(floor, high, LEVEL_COLOURS[name], names[name])
        for (name, floor), high in zip(CONGESTION_LEVELS, bounds, strict=True)
    ]
    svgs: dict[str, Any] = {
        "queue": charts.line_chart(
            x,
            [
                charts.Series(_("trucks at the gate"), in_system, "#1f4e9c"),
                charts.Series(_("of which waiting outside the yard"), outside, "#c01818", dashed=True),
            ],
            title=_("Queue length over time"),
            x_label=_("day"),
            y_label=_("trucks"),
            bands=bands,
        ),
        "daily": charts.line_chart(
            [d["day"] for d in s["daily"]],
            [
                charts.Series(_("cleared, import"), [d["cleared_import"] for d in s["daily"]], "#1f4e9c"),
                charts.Series(_("cleared, export"), [d["cleared_export"] for d in s["daily"]], "#2a9d3a"),
                charts.Series(_("arrived"), [d["arrived"] for d in s["daily"]], "#888", dashed=True),
            ],
            title=_("Trucks per day"),
            x_label=_("day"),
            y_label=_("trucks per day"),
            markers=True,
        ),
    }
    lanes = s.get("capacity_vs_lanes") or []
    if lanes:
        svgs["lanes"] = charts.line_chart(
            [row["lanes"] for row in lanes],
            [
                charts.Series(_("sustainable arrival rate"), [row["sustainable_per_day"] for row in lanes], "#1f4e9c"),
                charts.Series(
                    _("cleared under 3× overload"), [row["overload_per_day"] for row in lanes], "#e07000", dashed=True
                ),
            ],
            title=_("Capacity against entry and exit lanes"),
            x_label=_("lanes (entry and exit each)"),
            y_label=_("trucks per day"),
            markers=True,
        )
    congestion = [
        {"name": names[name], "colour": LEVEL_COLOURS[name], "hours": s["congestion_hours"].get(name, 0)}
        for name, _floor in CONGESTION_LEVELS
    ]
    percentiles = [
        {"label": _("time in system"), **s["time_in_system_h"]},
        {"label": _("wait (all)"), **s["wait_h"]},
        {"label": _("wait while the next step was open"), **s["queue_wait_h"]},
    ]
    return render(
        request,
        "simulator/detail.html",
        {
            "s": s,
            "charts": {k: mark_safe(v) for k, v in svgs.items()},  # noqa: S308 - charts.py escapes every text
            "congestion": congestion,
            "percentiles": percentiles,
            "binding": _binding_label(s),
        },
    )
