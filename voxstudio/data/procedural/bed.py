"""Beds: low frame with mattress, headboard at the back (+y), optional footboard (front, -y)."""

from __future__ import annotations

from voxstudio.data.procedural.builder import Builder
from voxstudio.data.procedural.common import leg


def bed(b: Builder) -> None:
    """Single to king beds and bunk beds, 1.95-2.2 m long, frame ~0.25-0.45 m, headboard ~0.8-1.3 m."""
    length = b.u(1.95, 2.25)
    width = b.choice((b.u(0.9, 1.05), b.u(1.35, 1.6), b.u(1.6, 2.0)), (0.25, 0.4, 0.35))
    hx, hy = width / 2, length / 2
    frame_top = b.u(0.22, 0.45)
    mattress_t = b.u(0.15, 0.3)
    platform = b.chance(0.45)  # solid box base to the floor vs a frame on legs
    board_t = b.u(0.04, 0.12)
    y_head = hy - board_t
    b.record(frame_height=frame_top, mattress_top=frame_top + mattress_t, legs=0 if platform else 4,
             footboard=0, bunk=0, canopy=0, pillows=0)

    # base / frame
    if platform:
        b.box(-hx, hx, -hy, y_head, b.choice((0.0, b.u(0.02, 0.08))), frame_top, radius=b.choice((0.0, 0.02)))
        if b.parts[-1].primitive.center[2] > frame_top / 2 - 0.01:  # recessed plinth under a floating base
            b.box(-hx + 0.1, hx - 0.1, -hy + 0.1, y_head - 0.1, 0.0, 0.08)
    else:
        rail_h = b.u(0.1, 0.2)
        leg_h = frame_top - rail_h
        b.box(-hx, hx, -hy, y_head, leg_h, frame_top)
        lt = b.u(0.04, 0.08)
        style = b.choice(("square", "round", "tapered"))
        for sx in (-1, 1):
            for y in (-hy + lt / 2, y_head - lt / 2):
                leg(b, sx * (hx - lt / 2), y, 0.0, leg_h, lt, style)
        if width > 1.3 and b.chance(0.5):
            leg(b, 0.0, -hy + lt / 2, 0.0, leg_h, lt, style, droppable=True)
    # mattress
    inset = b.u(0.0, 0.04)
    b.box(-hx + inset, hx - inset, -hy + inset, y_head, frame_top, frame_top + mattress_t,
          radius=b.u(0.03, 0.08))
    # headboard
    head_h = b.u(0.8, 1.35)
    b.record(headboard=head_h)
    head_style = b.choice(("solid", "padded", "posts", "slats"), (0.35, 0.3, 0.2, 0.15))
    wider = b.u(0.0, 0.06) if b.chance(0.5) else 0.0
    if head_style == "padded":
        b.box(-hx - wider, hx + wider, y_head, hy, 0.0, head_h, radius=b.u(0.03, board_t / 2))
    elif head_style == "solid":
        b.box(-hx - wider, hx + wider, y_head, hy, 0.0, head_h)
    else:
        pt = max(board_t, 0.05)
        for sx in (-1, 1):
            b.box(sx * (hx + wider) - pt / 2, sx * (hx + wider) + pt / 2, y_head, hy, 0.0, head_h)
        rail = b.u(0.06, 0.15)
        b.box(-hx - wider, hx + wider, y_head, hy, head_h - rail, head_h - 0.01)
        b.box(-hx - wider, hx + wider, y_head, hy, frame_top - 0.05, frame_top + mattress_t * 0.5)
        if head_style == "slats":
            n = b.i(4, 9)
            inner = 2 * (hx + wider) - pt
            for k in range(n):
                x = -inner / 2 + inner * (k + 0.5) / n
                b.box(x - 0.02, x + 0.02, y_head + 0.01, hy - 0.01, frame_top, head_h - rail, droppable=True)
        else:
            b.box(-hx - wider, hx + wider, y_head + 0.01, hy - 0.01, frame_top, head_h - rail)
    # footboard
    if b.chance(0.45):
        foot_h = min(head_h - 0.15, b.u(frame_top + 0.1, frame_top + mattress_t + 0.35))
        ft = b.u(0.03, 0.08)
        b.box(-hx, hx, -hy - ft, -hy, 0.0, foot_h, radius=b.choice((0.0, ft * 0.4)))
        b.record(footboard=1, footboard_height=foot_h)
    # pillows
    if b.chance(0.7):
        n = 1 if width < 1.2 else 2
        b.record(pillows=n)
        top = frame_top + mattress_t
        pw = (2 * hx - 0.1) / n
        for k in range(n):
            x = -hx + 0.05 + pw * (k + 0.5)
            b.ellipsoid((x, y_head - 0.22, top + 0.05), (pw * 0.42, 0.18, 0.08), droppable=True)
    # duvet draped over the foot end
    if b.chance(0.3):
        top = frame_top + mattress_t
        b.box(-hx - 0.02, hx + 0.02, -hy - 0.02, y_head - b.u(0.4, 0.7), top - 0.15, top + 0.04, radius=0.02)
    # bunk bed: a second frame and mattress above on tall corner posts, with a ladder
    if b.chance(0.08):
        upper = frame_top + mattress_t + b.u(0.75, 0.95)
        b.record(bunk=1)
        post_t = b.u(0.05, 0.08)
        for sx in (-1, 1):
            for y in (-hy, y_head):
                b.box(sx * hx - post_t / 2, sx * hx + post_t / 2, y - post_t / 2, y + post_t / 2, 0.0,
                      upper + mattress_t + 0.25)
        b.box(-hx, hx, -hy, y_head, upper - 0.12, upper)
        b.box(-hx + inset, hx - inset, -hy + inset, y_head - inset, upper, upper + mattress_t, radius=0.04)
        for sx in (-1, 1):  # guard rails along the upper bunk
            b.box(sx * hx - 0.02, sx * hx + 0.02, -hy, y_head, upper + mattress_t + 0.1, upper + mattress_t + 0.2,
                  droppable=True)
        lx = b.choice((-1, 1)) * (hx - 0.3)
        for dx in (-0.2, 0.2):
            b.box(lx + dx - 0.02, lx + dx + 0.02, -hy - 0.06, -hy - 0.02, 0.0, upper + 0.05)
    # canopy / four-poster
    if b.chance(0.05):
        post_h = b.u(1.8, 2.1)
        b.record(canopy=1)
        for sx in (-1, 1):
            for y in (-hy, hy - 0.03):
                b.box(sx * hx - 0.03, sx * hx + 0.03, y - 0.03, y + 0.03, 0.0, post_h)
        for sx in (-1, 1):
            b.box(sx * hx - 0.02, sx * hx + 0.02, -hy, hy, post_h - 0.05, post_h, droppable=True)
