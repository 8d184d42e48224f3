"""Monitors (thin screen on a stand, a few CRT monitors and tube televisions) and open laptops."""

from __future__ import annotations

import math

from voxstudio.data.procedural.builder import Builder
from voxstudio.data.procedural.primitives import Frustum


def _taper(b: Builder, bottom: tuple[float, float], top: tuple[float, float]) -> None:
    """Give the rod just added elliptic ends (a tube housing is wider than it is tall)."""
    frustum = b.parts[-1].primitive
    if not isinstance(frustum, Frustum):
        raise TypeError(f"the last part is a {type(frustum).__name__}, not the rod's Frustum")
    frustum.bottom = bottom
    frustum.top = top


def monitor(b: Builder) -> None:
    """Flat panel 0.45-0.75 m wide on a neck and foot, or a boxy CRT; front faces -y."""
    b.record(crt=1)
    if b.chance(0.15):
        _crt(b)
        return
    if b.chance(0.1):
        if b.chance(0.45):
            _boxed_television(b)
        else:
            _crt_television(b)
        return
    b.record(crt=0)
    width = b.u(0.45, 0.75)
    aspect = b.choice((16 / 9, 16 / 10, 4 / 3, 21 / 9), (0.5, 0.25, 0.15, 0.1))
    height = width / aspect + b.u(0.02, 0.05)  # glass plus bezel
    thick = b.u(0.02, 0.06)
    tilt = b.u(0, 12)
    foot = b.choice(("rect", "disc", "v", "bar"), (0.4, 0.25, 0.2, 0.15))
    foot_t = b.u(0.012, 0.025)
    lift = b.u(0.05, 0.16)
    b.record(screen_width=width, screen_height=height, screen_thickness=thick, tilt=tilt, stand_height=lift)
    neck_y = thick * 0.75 + 0.01  # neck touches the back of the electronics bulge
    fd = b.u(0.15, 0.25)
    if foot == "rect":
        fw = b.u(0.18, 0.32)
        b.box(-fw / 2, fw / 2, neck_y - fd * 0.7, neck_y + fd * 0.3, 0.0, foot_t, radius=0.005)
    elif foot == "disc":
        r = b.u(0.09, 0.14)
        b.cyl(0.0, neck_y - r * 0.4, 0.0, foot_t, r, r * b.u(0.75, 1.0))
    elif foot == "v":
        spread = b.u(25, 45)
        for s in (-1, 1):
            a = math.radians(-90 + s * spread)
            b.bar((0.0, neck_y, foot_t / 2), (0.2 * math.cos(a), neck_y + 0.2 * math.sin(a), foot_t / 2),
                  0.035, foot_t)
    else:
        fw = b.u(0.4, 0.6) * width
        b.box(-fw / 2, fw / 2, neck_y - 0.06, neck_y + 0.04, 0.0, foot_t)
    neck_w = b.u(0.03, 0.09)
    centre_z = lift + height / 2
    b.box(-neck_w / 2, neck_w / 2, neck_y - 0.015, neck_y + 0.015, foot_t, centre_z + 0.03)
    # screen slab, tilted back about its centre
    b.obox((0.0, 0.0, centre_z), (width, thick * 0.6, height), rx=-tilt, radius=0.004)
    # thicker electronics bulge on the back
    bulge = b.u(0.5, 0.85)
    b.obox((0.0, thick * 0.45, centre_z - height * 0.05), (width * bulge, thick * 0.6, height * bulge), rx=-tilt,
           radius=0.01)


def _crt(b: Builder) -> None:
    """Old cathode-ray monitor: deep box tapering backward on a small swivel foot."""
    width = b.u(0.36, 0.48)
    height = width * b.u(0.82, 0.95)
    depth = b.u(0.35, 0.45)
    lift = b.u(0.02, 0.06)
    b.box(-width * 0.3, width * 0.3, -depth * 0.1, depth * 0.4, 0.0, lift, radius=0.01)
    b.box(-width * 0.2, width * 0.2, -depth * 0.05, depth * 0.3, 0.0, lift + height * 0.2)  # swivel neck
    b.box(-width / 2, width / 2, -depth / 2, -depth / 2 + 0.08, lift, lift + height, radius=0.01)
    # tapered tube housing: frustum lying along +y
    b.rod((0.0, -depth / 2 + 0.07, lift + height / 2), (0.0, depth / 2, lift + height * 0.45),
          r0=width * 0.46, r1=width * 0.28)
    _taper(b, (width * 0.46, height * 0.46), (width * 0.3, height * 0.28))


def _crt_television(b: Builder) -> None:
    """Tube television: a wide cabinet standing on its base or short feet, a deep rounded back."""
    width = b.u(0.5, 0.85)
    height = width * b.u(0.68, 0.85)
    depth = width * b.u(0.6, 0.85)
    lift = b.choice((0.0, b.u(0.02, 0.06)), (0.6, 0.4))
    if lift > 0:
        for sx in (-1, 1):
            b.box(sx * width * 0.35 - 0.03, sx * width * 0.35 + 0.03, -depth * 0.3, depth * 0.1, 0.0, lift)
    front = b.u(0.12, 0.22)  # the boxy front cabinet around the screen
    b.box(-width / 2, width / 2, -depth / 2, -depth / 2 + front, lift, lift + height, radius=0.02)
    b.rod((0.0, -depth / 2 + front - 0.01, lift + height / 2), (0.0, depth / 2, lift + height * 0.48),
          r0=width * 0.45, r1=width * 0.25)
    _taper(b, (width * 0.47, height * 0.47), (width * 0.28, height * 0.3))
    if b.chance(0.5):  # the screen sits a little recessed in the cabinet front
        b.box(-width * 0.38, width * 0.32, -depth / 2 - 0.01, -depth / 2 + 0.015, lift + height * 0.15,
              lift + height * 0.85, subtract=True)


def _boxed_television(b: Builder) -> None:
    """Vintage television in a box cabinet: ~1.3-1.7x as wide as tall, about as deep as tall,
    the screen recessed in the front, maybe a speaker panel beside it and a short bump behind."""
    width = b.u(0.55, 0.9)
    height = width / b.u(1.3, 1.7)
    depth = height * b.u(0.75, 1.05)
    lift = b.choice((0.0, b.u(0.02, 0.06)), (0.6, 0.4))
    if lift > 0:
        for sx in (-1, 1):
            b.box(sx * width * 0.38 - 0.03, sx * width * 0.38 + 0.03, -depth * 0.35, depth * 0.2, 0.0, lift)
    body = depth * b.u(0.7, 0.9)
    b.box(-width / 2, width / 2, -depth / 2, -depth / 2 + body, lift, lift + height, radius=b.u(0.0, 0.03))
    # the tube's neck housing: a smaller box behind the cabinet
    b.box(-width * 0.3, width * 0.3, -depth / 2 + body - 0.01, depth / 2, lift + height * 0.15, lift + height * 0.8,
          radius=0.02)
    speaker = b.chance(0.5)
    sx1 = width * (0.18 if speaker else 0.4)
    inset = b.u(0.04, 0.08)
    # the carve starts well in front of the face so no skin of the face is left
    b.box(-width * 0.42, sx1, -depth / 2 - 0.15, -depth / 2 + inset, lift + height * 0.14, lift + height * 0.86,
          subtract=True)
    if speaker:  # knobs in the panel beside the screen
        for k in range(2):
            b.cyl(width * 0.32, -depth / 2 - 0.01, lift + height * (0.6 - 0.25 * k) - 0.02,
                  lift + height * (0.6 - 0.25 * k) + 0.02, 0.025, droppable=True)


def laptop(b: Builder) -> None:
    """Open laptop: base slab and thin lid hinged at the back, opened 95-130 degrees."""
    width = b.u(0.29, 0.41)
    depth = width * b.u(0.64, 0.74)
    base_t = b.u(0.014, 0.028)
    lid_t = b.u(0.005, 0.012)
    angle = b.u(95, 130)  # between the base plane and the lid
    b.record(lid_angle=angle, base_thickness=base_t, lid_thickness=lid_t)
    hx, hy = width / 2, depth / 2
    b.box(-hx, hx, -hy, hy, 0.0, base_t, radius=0.004)
    if b.chance(0.3):  # rubber feet
        for sx in (-1, 1):
            for sy in (-1, 1):
                b.box(sx * (hx - 0.03) - 0.01, sx * (hx - 0.03) + 0.01, sy * (hy - 0.03) - 0.01,
                      sy * (hy - 0.03) + 0.01, -0.004, 0.0, droppable=True)
    lid_h = depth * b.u(0.92, 1.0)
    tilt = angle - 90.0
    b.panel(-hx, hx, hy - lid_t / 2, base_t * 0.6, lid_h, lid_t, tilt, radius=0.002)
    if b.chance(0.2):  # hinge barrel
        b.rod((-hx * 0.8, hy - 0.005, base_t), (hx * 0.8, hy - 0.005, base_t), 0.008, droppable=True)
