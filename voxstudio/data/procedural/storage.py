"""Case furniture: night stands, dressers and wardrobes (closed solid carcasses).

They share one recipe (base, carcass, overhanging top, fronts) and differ in
proportions: a night stand is a ~0.5-0.6 m near-cube, a dresser is wider than
tall with a grid of drawers, a wardrobe is ~2 m tall with doors.
"""

from __future__ import annotations

from voxstudio.data.procedural.builder import Builder
from voxstudio.data.procedural.common import base_support, drawer_fronts, handle


def _top(b: Builder, hx: float, hy: float, z: float, thickness: float, overhang: float) -> None:
    b.box(-hx - overhang, hx + overhang, -hy - overhang, hy + 0.002, z, z + thickness,
          radius=b.choice((0.0, thickness * 0.3)))


def _bedside_table(b: Builder, hx: float, hy: float, height: float, console: bool = False) -> None:
    """Open bedside table: a top with a drawer box under it on four legs, maybe a low shelf.

    ``console``: a side table / small console (wider, shallow, one or two drawers side by
    side in a deeper band) -- small and shallow with its drawers right under the top, it is
    a night stand rather than a desk (desks are >= 1 m wide, >= 0.5 m deep, knee space).
    """
    top_t = b.u(0.02, 0.04)
    leg_t = b.u(0.03, 0.05)
    b.box(-hx, hx, -hy, hy, height - top_t, height)
    drawer_h = b.u(0.1, 0.18) if not console else height * b.u(0.22, 0.42)
    cols = 1 if not console else b.choice((1, 2), (0.4, 0.6))
    b.record(drawers=cols, base_height=height - top_t - drawer_h, open_table=1)
    b.box(-hx + 0.01, hx - 0.01, -hy + 0.01, hy - 0.01, height - top_t - drawer_h, height - top_t)
    kind = b.choice(("knob", "bar", "none"))
    if console:
        drawer_fronts(b, -hx + 0.015, hx - 0.015, -hy + 0.01, height - top_t - drawer_h + 0.01, height - top_t - 0.005,
                      1, cols, kind, proud=0.01)
    else:
        handle(b, 0.0, -hy + 0.01, height - top_t - drawer_h / 2, kind, 0.08)
    for sx in (-1, 1):
        for sy in (-1, 1):
            x, y = sx * (hx - leg_t / 2 - 0.01), sy * (hy - leg_t / 2 - 0.01)
            b.box(x - leg_t / 2, x + leg_t / 2, y - leg_t / 2, y + leg_t / 2, 0.0, height - top_t)
    if b.chance(0.65):  # an open shelf low down or half way up the legs
        shelf_z = b.u(0.06, 0.3) if not console else b.u(0.05, 0.2)
        b.box(-hx + 0.01, hx - 0.01, -hy + 0.01, hy - 0.01, shelf_z, shelf_z + 0.02)
    elif console and b.chance(0.6):  # or side stretchers
        for sx in (-1, 1):
            x = sx * (hx - leg_t / 2 - 0.01)
            b.box(x - leg_t / 3, x + leg_t / 3, -hy + 0.01, hy - 0.01, 0.08, 0.08 + leg_t * 0.6, droppable=True)


def night_stand(b: Builder) -> None:
    """Bedside cabinet ~0.4-0.6 m wide, ~0.45-0.65 m tall; drawers, a niche or a door."""
    width = b.u(0.4, 0.6)
    depth = b.u(0.33, 0.48)
    height = b.u(0.45, 0.66)
    hx, hy = width / 2, depth / 2
    b.record(drawers=0, doors=0, niche=0, open_table=0)
    form = b.choice(("cabinet", "bedside", "console"), (0.75, 0.14, 0.11))
    if form == "bedside":
        _bedside_table(b, hx, hy, b.u(0.5, 0.72))  # often on tall legs
        return
    if form == "console":
        _bedside_table(b, b.u(0.6, 0.95) / 2, b.u(0.3, 0.42) / 2, b.u(0.55, 0.75), console=True)
        return
    base_kind = b.choice(("legs", "plinth", "none", "feet"), (0.45, 0.25, 0.2, 0.1))
    base_h = {"legs": b.u(0.06, 0.2), "plinth": b.u(0.03, 0.08), "none": 0.0, "feet": b.u(0.03, 0.06)}[base_kind]
    z0 = base_support(b, hx, hy, base_kind, base_h, leg_t=b.u(0.025, 0.04))
    b.record(base_height=z0)
    top_t = b.u(0.015, 0.04)
    body_top = height - top_t
    b.box(-hx, hx, -hy, hy, z0, body_top)
    _top(b, hx, hy, body_top, top_t, b.u(0.0, 0.03))
    front = b.choice(("drawers", "drawer_niche", "drawer_door", "niche_only"), (0.5, 0.28, 0.14, 0.08))
    handle_kind = b.choice(("knob", "bar", "none"), (0.45, 0.4, 0.15))
    zb, zt = z0 + 0.015, body_top - 0.01
    if front == "drawers":
        drawer_fronts(b, -hx + 0.015, hx - 0.015, -hy, zb, zt, b.i(1, 3), 1, handle_kind)
    else:
        split = zt - b.u(0.12, 0.2)
        if front == "niche_only":
            split = zt - b.u(0.02, 0.05)
        else:
            drawer_fronts(b, -hx + 0.015, hx - 0.015, -hy, split, zt, 1, 1, handle_kind)
        if front == "drawer_door":
            b.record(doors=1)
            b.box(-hx + 0.015, hx - 0.015, -hy - 0.015, -hy, zb, split - 0.01)
            handle(b, hx * 0.6, -hy - 0.015, (zb + split) / 2 + 0.05, "knob" if handle_kind == "none" else handle_kind, 0.08)
        else:  # open shelf niche carved out of the carcass
            wall = b.u(0.015, 0.03)
            b.record(niche=1)
            # the carve runs well past the front face so no skin of the face is left
            b.box(-hx + wall, hx - wall, -hy - 0.15, hy - wall, zb + wall * 0.3, split - 0.015, subtract=True)
            if b.chance(0.3):  # a mid shelf in a tall niche
                mid = (zb + split) / 2
                b.box(-hx + wall, hx - wall, -hy + 0.02, hy - wall, mid - 0.01, mid + 0.01, droppable=True)


def dresser(b: Builder) -> None:
    """Chest of drawers: wider than tall (0.9-1.7 m x 0.75-1.25 m), low and wide with 2-3 columns, or tall and narrow."""
    form = b.choice(("chest", "low", "tall"), (0.62, 0.23, 0.15))
    if form == "low":  # low wide chest / lowboy: two or three columns of drawers
        width = b.u(1.2, 1.9)
        height = b.u(0.6, 0.88)
    elif form == "tall":  # tall narrow chest (highboy): one column, many rows
        width = b.u(0.6, 1.0)
        height = b.u(1.05, 1.5)
    else:
        width = b.u(0.9, 1.7)
        height = min(b.u(0.72, 1.25), width * b.u(0.6, 0.95))
    depth = b.u(0.42, 0.56)
    hx, hy = width / 2, depth / 2
    base_kind = b.choice(("plinth", "legs", "feet", "none"), (0.35, 0.35, 0.15, 0.15))
    base_h = {"legs": b.u(0.05, 0.16), "plinth": b.u(0.04, 0.1), "none": 0.0, "feet": b.u(0.04, 0.08)}[base_kind]
    z0 = base_support(b, hx, hy, base_kind, base_h, leg_t=b.u(0.03, 0.05))
    b.record(base_height=z0, mirror=0)
    top_t = b.u(0.02, 0.04)
    body_top = height - top_t
    b.box(-hx, hx, -hy, hy, z0, body_top)
    _top(b, hx, hy, body_top, top_t, b.u(0.0, 0.03))
    rows = max(2, min(7, int(round((body_top - z0) / b.u(0.16, 0.26)))))
    if form == "low":
        cols = b.choice((2, 3), (0.6, 0.4))
    else:
        cols = 1 if width < 1.05 else b.choice((1, 2, 3), (0.35, 0.5, 0.15))
    b.record(drawer_rows=rows, drawer_columns=cols)
    handle_kind = b.choice(("bar", "knob", "none"), (0.5, 0.35, 0.15))
    if cols == 1 and b.chance(0.4):
        # top row split into two or three small drawers above full-width drawers
        small = b.u(0.12, 0.2)
        split = body_top - 0.01 - small
        drawer_fronts(b, -hx + 0.015, hx - 0.015, -hy, split, body_top - 0.01, 1, b.i(2, 3), handle_kind)
        drawer_fronts(b, -hx + 0.015, hx - 0.015, -hy, z0 + 0.015, split, rows - 1, 1, handle_kind)
    else:
        weights = None if b.chance(0.6) else [1.0 + 0.15 * r for r in range(rows)]
        drawer_fronts(b, -hx + 0.015, hx - 0.015, -hy, z0 + 0.015, body_top - 0.01, rows, cols, handle_kind,
                      row_weights=weights)
    if b.chance(0.1):  # attached mirror
        mw = width * b.u(0.5, 0.85)
        mh = b.u(0.5, 0.8)
        b.box(-mw / 2, mw / 2, hy - 0.04, hy - 0.01, height, height + mh, droppable=True)
        b.record(mirror=1)


def wardrobe(b: Builder) -> None:
    """Wardrobe / armoire ~1.8-2.2 m tall with 1-4 doors, optional drawers and cornice."""
    height = b.u(1.75, 2.25)
    width = min(b.u(0.75, 2.0), height * 0.92)  # always taller than wide
    depth = b.u(0.5, 0.65)
    hx, hy = width / 2, depth / 2
    base_kind = b.choice(("plinth", "legs", "feet", "none"), (0.45, 0.2, 0.15, 0.2))
    base_h = {"legs": b.u(0.06, 0.15), "plinth": b.u(0.05, 0.12), "none": 0.0, "feet": b.u(0.04, 0.08)}[base_kind]
    z0 = base_support(b, hx, hy, base_kind, base_h, leg_t=b.u(0.035, 0.06))
    cornice = b.chance(0.5)
    b.record(base_height=z0, cornice=cornice, drawers=0)
    body_top = height - (b.u(0.04, 0.1) if cornice else 0.0)
    b.box(-hx, hx, -hy, hy, z0, body_top)
    if cornice:
        over = b.u(0.015, 0.05)
        b.box(-hx - over, hx + over, -hy - over, hy + 0.001, body_top, height, radius=0.01)
    handle_kind = b.choice(("vbar", "knob", "none"), (0.55, 0.3, 0.15))
    doors = max(1, min(4, int(round(width / b.u(0.42, 0.6)))))
    door_z0 = z0 + 0.01
    b.record(doors=doors)
    if b.chance(0.3):  # drawers below the doors
        dh = b.u(0.15, 0.35)
        drawer_fronts(b, -hx + 0.01, hx - 0.01, -hy, door_z0, door_z0 + dh, b.i(1, 2), min(doors, 2),
                      "bar" if handle_kind != "none" else "none")
        door_z0 += dh + 0.01
    sliding = doors >= 2 and b.chance(0.2)
    b.record(sliding=sliding)
    dw = (2 * hx - 0.02) / doors
    for k in range(doors):
        xa = -hx + 0.01 + k * dw + 0.004
        xb = xa + dw - 0.008
        proud = 0.02 if not sliding or k % 2 == 0 else 0.045
        if sliding:
            xa, xb = xa - 0.02, xb + 0.02
        b.box(xa, xb, -hy - proud, -hy - proud + 0.02, door_z0, body_top - 0.01)
        if not sliding:
            # pulls next to the meeting edges of door pairs
            hx_pos = xb - 0.05 if k % 2 == 0 else xa + 0.05
            handle(b, hx_pos, -hy - proud, door_z0 + (body_top - door_z0) * 0.5, handle_kind, 0.25)
