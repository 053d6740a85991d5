"""What a reader would notice in a drawn matplotlib figure: text cut off by the figure's edge,
or text on top of other text, measured with matplotlib's own extents (the renderer's
``get_window_extent``), not estimated from character counts."""

from __future__ import annotations

from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

TOLERANCE_PX = 1.0  # anti-aliasing: a pixel past the edge is not a cut a reader sees
GAP_PX = 2.0        # texts closer than this read as one ("momentumnesterov")


def _drawn_ticks(axis: Axis) -> list[Text]:
    """The tick labels matplotlib actually draws (not those of ticks outside the view)."""
    labels = []
    for tick in axis._update_ticks():  # the ticks within the view, as Axis.draw uses them
        labels += [label for label in (tick.label1, tick.label2)
                   if label.get_visible() and label.get_text().strip()]
    return labels


def visible_texts(fig: Figure) -> list[Text]:
    """Every text a reader sees: titles, axis labels, drawn tick labels, legend entries,
    colour bar labels and annotations."""
    texts: list[Text] = []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        for axis in (ax.xaxis, ax.yaxis):
            texts += _drawn_ticks(axis)
    axis_artists = {id(a) for ax in fig.axes for axis in (ax.xaxis, ax.yaxis)
                    for tick in axis.get_major_ticks() + axis.get_minor_ticks()
                    for a in (tick.label1, tick.label2)}
    for text in fig.findobj(Text):
        if id(text) in axis_artists or not text.get_visible() or not text.get_text().strip():
            continue
        if not all(parent.get_visible() for parent in _parents(text)):
            continue
        texts.append(text)
    return list({id(t): t for t in texts}.values())


def _parents(text: Text) -> list:
    axes = text.axes
    return [axes] if axes is not None else []


def text_problems(fig: Figure) -> list[str]:
    """Each text cut off by the figure's edge, and each pair of texts that overlap."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    page = fig.bbox
    boxes: list[tuple[str, Bbox]] = []
    problems = []
    for text in visible_texts(fig):
        box = text.get_window_extent(renderer)
        if box.width <= 0 or box.height <= 0:
            continue
        name = repr(text.get_text()[:60])
        if (box.x0 < page.x0 - TOLERANCE_PX or box.y0 < page.y0 - TOLERANCE_PX
                or box.x1 > page.x1 + TOLERANCE_PX or box.y1 > page.y1 + TOLERANCE_PX):
            problems.append(f"{name} is cut off by the figure's edge ({_where(box, page)})")
        boxes.append((name, box))
    for i, (name, box) in enumerate(boxes):
        for other_name, other in boxes[i + 1:]:
            overlap = Bbox.intersection(box.padded(GAP_PX / 2), other.padded(GAP_PX / 2))
            if overlap is not None and overlap.width > 0 and overlap.height > 0:
                problems.append(f"{name} overlaps or touches {other_name}")
    return problems


def _where(box: Bbox, page: Bbox) -> str:
    return (f"text x {box.x0:.0f}..{box.x1:.0f}, y {box.y0:.0f}..{box.y1:.0f}; figure "
            f"{page.width:.0f} x {page.height:.0f} px")
