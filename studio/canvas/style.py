"""The canvas's pens, brushes and fonts, made once per scene and shared by its items.

Creating QPen/QBrush/QFont objects in every paint call is measurable on graphs of
thousands of nodes, so items read them from one `Style`. A scene owns its style
(nothing global), which also lets a light and a dark theme live side by side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPen

from studio.severity import COLORS

#: The point size of a name zoomed out (see Style.far_name), and the smallest it is
#: shrunk to for a long name before the name is cut.
FAR_POINTS = 20
FAR_MIN_POINTS = 12


@dataclass(frozen=True)
class Style:
    """Everything the canvas items paint with."""

    background: QBrush
    node_brush: QBrush
    header_brush: QBrush
    error_brush: QBrush
    badge_brush: QBrush
    port_brush: QBrush
    label_brush: QBrush
    node_pen: QPen
    output_pen: QPen
    warning_pen: QPen
    error_pen: QPen
    selected_pen: QPen
    edge_pen: QPen
    edge_error_pen: QPen
    edge_selected_pen: QPen
    #: A connection being dragged, and one that would be refused where it hovers.
    draft_pen: QPen
    refused_pen: QPen
    #: The dashed link between call sites of a shared layer, shown on selection.
    link_pen: QPen
    #: Nodes marked by the ONNX export check: outline and badge.
    mark_pen: QPen
    mark_brush: QBrush
    #: A frozen (not trainable) node: its badge, and the hatch over its header.
    frozen_brush: QBrush
    frozen_hatch: QBrush
    text_pen: QPen
    dim_text_pen: QPen
    title_font: QFont
    text_font: QFont
    small_font: QFont
    #: The layer name, when zoomed out too far for the other texts (see `far_name`).
    far_font: QFont
    #: The type and the shape beside the name, zoomed out that far.
    far_detail_font: QFont
    title_metrics: QFontMetricsF
    text_metrics: QFontMetricsF
    small_metrics: QFontMetricsF
    far_metrics: QFontMetricsF
    far_detail_metrics: QFontMetricsF
    #: Fonts made smaller and their metrics, by (font key, point size) (see `shrunk`).
    _sizes: dict[tuple[str, float], tuple[QFont, QFontMetricsF]] = field(
        default_factory=dict, compare=False, repr=False
    )
    #: Widths of small texts measured so far: edge labels repeat ("(None, 64)").
    _small_widths: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def small_width(self, text: str) -> float:
        """The width of `text` in the small font (memoised)."""
        width = self._small_widths.get(text)
        if width is None:
            width = self._small_widths[text] = self.small_metrics.horizontalAdvance(text)
        return width

    def shrunk(
        self, font: QFont, text: str, width: float, min_points: float
    ) -> tuple[QFont, QFontMetricsF, str]:
        """The font (and its metrics) and text that show `text` in `width`: `font`,
        made smaller down to `min_points` before the text is cut, so that a long text
        stays whole while a smaller font still reads."""
        points = font.pointSizeF()
        full = self.sized(font, points)[1].horizontalAdvance(text)
        if full > width:
            # In half points, so that the fonts made stay few; text does not narrow
            # quite in proportion, so a step more where the estimate was short.
            points = max(min_points, math.floor(2 * points * width / full) / 2)
            while (
                points > min_points and self.sized(font, points)[1].horizontalAdvance(text) > width
            ):
                points -= 0.5
        font, font_metrics = self.sized(font, points)
        return font, font_metrics, font_metrics.elidedText(text, Qt.TextElideMode.ElideRight, width)

    def sized(self, font: QFont, points: float) -> tuple[QFont, QFontMetricsF]:
        """`font` at `points` and its metrics, made once per size."""
        key = (font.key(), points)
        if key not in self._sizes:
            made = QFont(font)
            made.setPointSizeF(points)
            self._sizes[key] = (made, QFontMetricsF(made))
        return self._sizes[key]

    def far_name(self, name: str, width: float) -> tuple[QFont, str]:
        """The font and text that show `name` in `width` zoomed out: far_font, made
        smaller (to FAR_MIN_POINTS) before the name is cut."""
        font, _, text = self.shrunk(self.far_font, name, width, FAR_MIN_POINTS)
        return font, text

    @classmethod
    def light(cls) -> Style:
        """The light theme (needs a QGuiApplication, for the font metrics)."""
        return cls.from_colors(
            background="#f4f5f7",
            node="#ffffff",
            header="#e4e9f2",
            error_fill="#fdeaea",
            badge="#d7e3fc",
            port="#4b5563",
            border="#9aa5b1",
            output="#2e7d32",
            **COLORS["light"],
            selected="#1e88e5",
            edge="#7b8794",
            text="#1f2933",
            dim_text="#52606d",
            link="#8e24aa",
            mark="#ef6c00",
            frozen="#c6e6f7",
            frozen_hatch="#6aaed6",
        )

    @classmethod
    def dark(cls) -> Style:
        """The dark theme (needs a QGuiApplication, for the font metrics)."""
        return cls.from_colors(
            background="#1e2127",
            node="#2b2f37",
            header="#373d48",
            error_fill="#4a2528",
            badge="#3d4f73",
            port="#aab4c3",
            border="#5c6573",
            output="#66bb6a",
            **COLORS["dark"],
            selected="#4fa3f7",
            edge="#8a94a3",
            text="#e6e9ef",
            dim_text="#a3acb9",
            link="#ce93d8",
            mark="#ffa726",
            frozen="#2c5f7a",
            frozen_hatch="#7cc4e8",
        )

    @classmethod
    def from_colors(cls, **c: str) -> Style:
        """A style from a palette of named colours (see `light` for the names)."""

        def pen(color: str, width: float, line: Qt.PenStyle = Qt.PenStyle.SolidLine) -> QPen:
            return QPen(QColor(color), width, line)

        def font(size: float, bold: bool = False) -> QFont:
            f = QFont()
            f.setPointSizeF(size)
            f.setBold(bold)
            return f

        title, text, small = font(9.0, bold=True), font(8.0), font(7.0)
        far, far_detail = font(FAR_POINTS, bold=True), font(13.0, bold=True)
        return cls(
            background=QBrush(QColor(c["background"])),
            node_brush=QBrush(QColor(c["node"])),
            header_brush=QBrush(QColor(c["header"])),
            error_brush=QBrush(QColor(c["error_fill"])),
            badge_brush=QBrush(QColor(c["badge"])),
            port_brush=QBrush(QColor(c["port"])),
            label_brush=QBrush(QColor(c["background"])),
            node_pen=pen(c["border"], 1.2),
            output_pen=pen(c["output"], 2.6),
            warning_pen=pen(c["warning"], 2.0),
            error_pen=pen(c["error"], 2.2),
            selected_pen=pen(c["selected"], 2.4),
            edge_pen=pen(c["edge"], 1.6),
            edge_error_pen=pen(c["error"], 2.2),
            edge_selected_pen=pen(c["selected"], 2.4),
            draft_pen=pen(c["selected"], 2.0, Qt.PenStyle.DashLine),
            refused_pen=pen(c["error"], 2.4, Qt.PenStyle.DashLine),
            link_pen=pen(c["link"], 2.0, Qt.PenStyle.DashLine),
            mark_pen=pen(c["mark"], 2.6, Qt.PenStyle.DashLine),
            mark_brush=QBrush(QColor(c["mark"])),
            frozen_brush=QBrush(QColor(c["frozen"])),
            frozen_hatch=QBrush(QColor(c["frozen_hatch"]), Qt.BrushStyle.BDiagPattern),
            text_pen=pen(c["text"], 1.0),
            dim_text_pen=pen(c["dim_text"], 1.0),
            title_font=title,
            text_font=text,
            small_font=small,
            far_font=far,
            far_detail_font=far_detail,
            title_metrics=QFontMetricsF(title),
            text_metrics=QFontMetricsF(text),
            small_metrics=QFontMetricsF(small),
            far_metrics=QFontMetricsF(far),
            far_detail_metrics=QFontMetricsF(far_detail),
        )
