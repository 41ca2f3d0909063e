"""A chart's legend leaves room for each label: Chinese labels are drawn about twice as wide as Latin ones."""
from __future__ import annotations

import re

from dispatch.web.charts import Chart, Series


def _legend_xs(chart: Chart) -> list[float]:
    return [float(x) for x in re.findall(r'<text x="([0-9.]+)" y="[0-9.]+" class="legend">', str(chart.svg()))]


def test_the_next_legend_entry_starts_after_a_chinese_label_ends():
    names = ("本月已联系的老人", "目标 100%")
    chart = Chart(id="rate", title="月探访率", kind="bars", categories=["一级", "二级"],
                  series=[Series(names[0], [1, 2]), Series("其他", [1, 1])], reference=(1, names[1]))
    first, second, _reference = _legend_xs(chart)
    # Eight CJK characters at the legend's 12 px need about 96 px; the old 8 px a character gave 64.
    assert second - first >= 8 * 12
