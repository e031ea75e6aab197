"""The report's charts, drawn from the report JSON only (so a stored report re-renders).

Each function returns a PNG data URI, or None when there is nothing to draw; a chart must
never break the report, so callers treat None as "leave the chart out".
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from typing import Any

PALETTE = {"reel": "#d1495b", "carousel": "#00798c", "image": "#edae49", "story": "#66a182"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_INK = "#1f2a44"


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    _plt().close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _tidy(ax: Any, title: str) -> None:
    ax.set_title(title, loc="left", fontsize=11, color=_INK)
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=9)


def followers_chart(days: list[Mapping[str, Any]]) -> str | None:
    """Followers gained (up) and lost (down) per day, with the net as a label."""
    if not any(d.get("gained") is not None for d in days):
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 2.8))
    xs = [d["day"][5:] for d in days]
    gained = [d.get("gained") or 0 for d in days]
    lost = [-(d.get("lost") or 0) for d in days]
    ax.bar(xs, gained, color="#15803d", label="gained")
    ax.bar(xs, lost, color="#b91c1c", label="lost")
    ax.axhline(0, color="#9ca3af", lw=0.8)
    for x, d in zip(xs, days, strict=True):
        if d.get("net") is not None:
            ax.annotate(f"{d['net']:+.0f}", (x, max(gained) * 1.05 if gained else 0),
                        ha="center", fontsize=8, color=_INK)
    top = max(gained) if gained else 1
    bottom = min(lost) if lost else 0
    ax.set_ylim(bottom * 1.15 - 1, top * 1.3 + 1)
    ax.legend(fontsize=8, frameon=False, loc="upper right", ncol=2)
    _tidy(ax, "Followers gained and lost per day (net on top)")
    return _png(fig)


def reach_views_chart(by_format: list[Mapping[str, Any]]) -> str | None:
    """Total reach and views per format (grouped bars)."""
    rows = [r for r in by_format if r.get("reach")]
    if not rows:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 2.8))
    xs = range(len(rows))
    w = 0.38
    ax.bar([x - w / 2 for x in xs], [r["reach"] for r in rows], w, label="reach",
           color=[PALETTE.get(r["format"], "#888") for r in rows])
    ax.bar([x + w / 2 for x in xs], [r.get("views") or 0 for r in rows], w, label="views",
           color=[PALETTE.get(r["format"], "#888") for r in rows], alpha=0.45, hatch="//")
    ax.set_xticks(list(xs), [f"{r['format']}\n({r['posts']} posts)" for r in rows])
    ax.yaxis.set_major_formatter(_thousands())
    ax.legend(fontsize=8, frameon=False)
    _tidy(ax, "Reach (solid) and views (hatched) by format")
    return _png(fig)


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _p: f"{v / 1000:.0f}k" if abs(v) >= 1000 else f"{v:.0f}")


def er_distribution_chart(posts: list[Mapping[str, Any]]) -> str | None:
    """Engagement rate by reach of every post, per format: box plus the posts as dots."""
    groups: dict[str, list[float]] = {}
    for p in posts:
        if p.get("engagement_rate") is not None:
            groups.setdefault(p["format"], []).append(100 * p["engagement_rate"])
    if not groups:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 2.8))
    names = sorted(groups)
    ax.boxplot([groups[n] for n in names], tick_labels=names, widths=0.5, showfliers=False,
               medianprops={"color": _INK})
    for i, n in enumerate(names, start=1):
        k = len(groups[n])
        xs = [i + 0.18 * ((j / max(k - 1, 1)) - 0.5) for j in range(k)]
        ax.scatter(xs, groups[n], s=18, color=PALETTE.get(n, "#888"), zorder=3)
    ax.set_ylabel("ER by reach, %", fontsize=9)
    _tidy(ax, "Engagement rate per post, by format")
    return _png(fig)


def heatmap_chart(heat: Mapping[str, Any]) -> str | None:
    """Day x local hour: followers online (shade) and the week's posts (circles by value)."""
    online = heat.get("online")
    posts = heat.get("posts") or []
    if online is None and not posts:
        return None
    import numpy as np

    plt = _plt()
    fig, ax = plt.subplots(figsize=(10.5, 3.0))
    if online is not None:
        grid = np.array([[v if v is not None else np.nan for v in row] for row in online],
                        dtype=float)
        im = ax.imshow(grid, aspect="auto", cmap="Blues", origin="upper",
                       extent=(-0.5, 23.5, 6.5, -0.5))
        cbar = fig.colorbar(im, ax=ax, pad=0.01)
        cbar.set_label("followers online", fontsize=8)
        cbar.ax.tick_params(labelsize=8)
    values = [p["value"] for p in posts if p.get("value") is not None]
    top = max(values) if values else 1.0
    for p in posts:
        v = p.get("value") or 0.0
        size = 40 + 360 * math.sqrt(v / top) if top > 0 else 60
        ax.scatter(p["hour"], p["weekday"], s=size, facecolor=PALETTE.get(p["format"], "#888"),
                   edgecolor="white", linewidth=1.2, zorder=3)
    ax.set_yticks(range(7), WEEKDAYS)
    ax.set_xticks(range(0, 24, 2), [f"{h:02d}" for h in range(0, 24, 2)])
    ax.set_xlim(-0.5, 23.5)
    ax.set_ylim(6.5, -0.5)
    ax.set_xlabel("local hour", fontsize=9)
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=f)
               for f, c in PALETTE.items() if any(p["format"] == f for p in posts)]
    if handles:
        ax.legend(handles=handles, fontsize=8, frameon=False, loc="upper left",
                  bbox_to_anchor=(0, -0.18), ncol=len(handles))
    title = "When followers are online (shade) and when we posted (circle size = value)"
    if online is None:
        title = "When we posted (circle size = value); online_followers unavailable"
    _tidy(ax, title)
    return _png(fig)


def funnel_chart(money: Mapping[str, Any]) -> str | None:
    """Reach -> profile visits -> link clicks, log-scaled bars with step conversion rates."""
    raw = [("Reach", money.get("reach")), ("Profile visits", money.get("profile_visits")),
           ("Link clicks", money.get("link_clicks"))]
    stages = [(n, float(v)) for n, v in raw if v is not None]
    if not stages or not stages[0][1]:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 2.8))
    names = [n for n, _ in stages][::-1]
    vals = [max(v, 0.0) for _, v in stages][::-1]
    widths = [math.log10(v + 1) for v in vals]
    ax.barh(names, widths, color=["#30638e", "#00798c", "#edae49"][: len(vals)][::-1])
    for i, v in enumerate(vals):
        ax.text(widths[i] + 0.05, i, f"{v:,.0f}", va="center", fontsize=9, color=_INK)
    for i in range(len(stages) - 1):
        prev, cur = stages[i][1], stages[i + 1][1]
        rate = f"{cur / prev:.1%}" if prev else "—"
        y = len(stages) - 1.5 - i
        ax.text(0.05, y, f"↓ {rate}", va="center", fontsize=8, color="#6b7280")
    revenue = money.get("revenue")
    ax.set_xlim(0, max(widths) * 1.35 + 0.1)
    ax.set_xticks([])
    sub = f"revenue {revenue:,.2f}" if revenue else "no revenue recorded"
    _tidy(ax, f"Money funnel (log scale) · {sub}")
    return _png(fig)
