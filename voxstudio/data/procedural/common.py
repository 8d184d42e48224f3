"""Furniture building blocks shared by several class families (legs, drawers, plinths)."""

from __future__ import annotations

from voxstudio.data.procedural.builder import Builder

LEG_STYLES = ("square", "round", "tapered", "splayed")


def leg(b: Builder, x: float, y: float, z0: float, z1: float, thickness: float, style: str,
        splay: tuple[float, float] = (0.0, 0.0), droppable: bool = False) -> None:
    """One leg from the floor (z0) up to z1 at (x, y); ``splay`` moves its foot outward."""
    if style == "round":
        b.cyl(x, y, z0, z1, thickness / 2, droppable=droppable)
    elif style == "tapered":
        r = thickness / 2
        b.cyl(x, y, z0, z1, r * 0.55, top=(r, r), droppable=droppable)
    elif style == "splayed":
        b.bar((x + splay[0], y + splay[1], z0), (x, y, z1), thickness, droppable=droppable)
    else:
        b.box(x - thickness / 2, x + thickness / 2, y - thickness / 2, y + thickness / 2, z0, z1,
              droppable=droppable)


def four_legs(b: Builder, hx: float, hy: float, z1: float, thickness: float, style: str,
              z0: float = 0.0, jitter: float = 0.004) -> list[tuple[float, float]]:
    """Legs at (+-hx, +-hy); returns their (x, y) top positions."""
    spread = b.u(0.03, 0.08) if style == "splayed" else 0.0
    spots = []
    for sx in (-1, 1):
        for sy in (-1, 1):
            x = sx * hx + b.jit(jitter)
            y = sy * hy + b.jit(jitter)
            leg(b, x, y, z0, z1, thickness, style, splay=(sx * spread, sy * spread))
            spots.append((x, y))
    return spots


def stretchers(b: Builder, hx: float, hy: float, z: float, thickness: float, kind: str) -> None:
    """Rails between legs: 'box' (all four sides), 'h' (sides + middle), 'side' (left/right only)."""
    t = thickness
    if kind in ("box", "side", "h"):
        for sx in (-1, 1):
            b.box(sx * hx - t / 2, sx * hx + t / 2, -hy, hy, z - t / 2, z + t / 2, droppable=True)
    if kind == "box":
        for sy in (-1, 1):
            b.box(-hx, hx, sy * hy - t / 2, sy * hy + t / 2, z - t / 2, z + t / 2, droppable=True)
    if kind == "h":
        b.box(-hx, hx, -t / 2, t / 2, z - t / 2, z + t / 2, droppable=True)


def handle(b: Builder, x: float, y_front: float, z: float, kind: str, width: float = 0.1) -> None:
    """Drawer/door pull on the front face at y_front (protrudes toward -y)."""
    if kind == "none":
        return
    if kind == "knob":
        b.cyl(x, y_front - 0.012, z - 0.012, z + 0.012, 0.014, droppable=True)
        return
    if kind == "vbar":
        b.box(x - 0.01, x + 0.01, y_front - 0.025, y_front, z - width / 2, z + width / 2, droppable=True)
        return
    b.box(x - width / 2, x + width / 2, y_front - 0.022, y_front, z - 0.01, z + 0.01, droppable=True)


def drawer_fronts(b: Builder, x0: float, x1: float, y_front: float, z0: float, z1: float,
                  rows: int, cols: int = 1, handle_kind: str = "bar", gap: float = 0.012,
                  proud: float = 0.015, row_weights: list[float] | None = None) -> None:
    """A bank of drawer fronts standing proud of a cabinet face at y_front, with pulls."""
    weights = row_weights or [1.0] * rows
    b.add("drawers", rows * cols)
    total = sum(weights)
    height = z1 - z0
    z = z1
    for r in range(rows):
        h = height * weights[r] / total
        zt, zb = z - gap / 2, z - h + gap / 2
        w = (x1 - x0) / cols
        for c in range(cols):
            xa = x0 + c * w + gap / 2
            xb = x0 + (c + 1) * w - gap / 2
            b.box(xa, xb, y_front - proud, y_front, zb, zt)
            hw = min(0.16, 0.35 * (xb - xa))
            handle(b, (xa + xb) / 2, y_front - proud, (zb + zt) / 2 + 0.15 * (zt - zb), handle_kind, hw)
        z -= h


def base_support(b: Builder, hx: float, hy: float, kind: str, height: float, leg_t: float = 0.04,
                 inset: float = 0.02) -> float:
    """Cabinet base: 'legs', 'plinth' (recessed kick-board), 'feet' (bun feet) or 'none'.

    Returns the z at which the cabinet body starts.
    """
    if kind == "none" or height <= 0:
        return 0.0
    if kind == "plinth":
        b.box(-hx + inset, hx - inset, -hy + inset, hy - inset, 0.0, height)
    elif kind == "feet":
        for sx in (-1, 1):
            for sy in (-1, 1):
                b.cyl(sx * (hx - leg_t), sy * (hy - leg_t), 0.0, height, leg_t, top=(leg_t * 0.8, leg_t * 0.8))
    else:
        style = b.choice(("square", "tapered", "round", "splayed"))
        four_legs(b, hx - leg_t / 2 - inset / 2, hy - leg_t / 2 - inset / 2, height, leg_t, style)
    return height
