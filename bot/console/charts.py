"""The dashboard's charts as SVG drawn on the server with pygal: no JavaScript, nothing from a CDN.

pygal always writes a small ``<script>`` with its tooltip settings; it is removed, so the SVG
is plain drawing plus its own ``<style>`` (an ``<img>`` shows it under the console's strict
Content-Security-Policy). Labels are text nodes, escaped by the XML writer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pygal
from pygal.etree import etree
from pygal.style import Style

#: The console's own colours (console.css), then a few more for extra series.
COLOURS = ("#0b6e4f", "#2f6fb0", "#c77c02", "#b42318", "#6941c6", "#5b6575", "#0e9384", "#c11574")
STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#1d2430", foreground_strong="#1d2430",
    foreground_subtle="#d5dae1", opacity=".9", opacity_hover="1", colors=COLOURS,
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=13, major_label_font_size=13, legend_font_size=14, title_font_size=17, value_font_size=13,
    no_data_font_size=20,
)


def _config(title: str, no_data: str, **extra: Any) -> dict[str, Any]:
    return {"title": title, "no_data_text": no_data, "style": STYLE, "js": [], "width": 800, "height": 420,
            "explicit_size": False, "legend_at_bottom": True, "legend_at_bottom_columns": 3,
            "truncate_legend": 30, "truncate_label": 40, "disable_xml_declaration": True, **extra}


def to_svg(chart: Any) -> bytes:
    """The chart as SVG bytes, without pygal's inline script."""
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return etree.tostring(tree, encoding="utf-8")


def _empty(series: Mapping[str, Sequence[int]]) -> bool:
    return not any(any(values) for values in series.values())


def per_day(title: str, no_data: str, days: Sequence[str], series: Mapping[str, Sequence[int]]) -> bytes:
    """Stacked bars: one bar per day, one colour per series (e.g. per channel)."""
    every = max(1, len(days) // 8)
    chart = pygal.StackedBar(**_config(title, no_data, x_label_rotation=30, show_minor_x_labels=False,
                                       x_labels_major_every=every))
    chart.x_labels = [day[5:] for day in days]  # "MM-DD"
    if not _empty(series):
        for name, values in series.items():
            chart.add(name, list(values))
    return to_svg(chart)


def shares(title: str, no_data: str, values: Mapping[str, int]) -> bytes:
    """A ring: each part's share of the whole."""
    chart = pygal.Pie(**_config(title, no_data, inner_radius=.45, print_values=True))
    if any(values.values()):
        total = sum(values.values())
        for name, count in values.items():
            chart.add(f"{name} ({round(100 * count / total)}%)", [{"value": count, "label": name}])
    return to_svg(chart)


def by_category(title: str, no_data: str, categories: Sequence[str], series: Mapping[str, Sequence[int]]) -> bytes:
    """Horizontal stacked bars: one bar per category (e.g. a province), one colour per series."""
    chart = pygal.HorizontalStackedBar(**_config(title, no_data, height=max(320, 90 + 34 * len(categories))))
    chart.x_labels = list(categories)
    if not _empty(series):
        for name, values in series.items():
            chart.add(name, list(values))
    return to_svg(chart)


def stages(title: str, no_data: str, steps: Sequence[tuple[str, int]]) -> bytes:
    """One bar per step of a funnel, largest first, with its number printed on it."""
    chart = pygal.Bar(**_config(title, no_data, print_values=True, show_legend=False))
    chart.x_labels = [name for name, _ in steps]
    if any(count for _, count in steps):
        chart.add(title, [count for _, count in steps])
    return to_svg(chart)
