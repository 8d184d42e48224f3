"""Generate resources/icons/voxstudio.svg (+ PNGs): an isometric stack of voxels.

Run: QT_QPA_PLATFORM=offscreen python resources/icons/make_icon.py
"""
import math
from pathlib import Path

HERE = Path(__file__).resolve().parent
S = 50.0  # cube edge in px (256 canvas)
C = math.cos(math.radians(30)) * S
def iso(x, y, z, ox=128, oy=120):
    # x to the right-down, y to the left-down, z up
    return (ox + (x - y) * C, oy + (x + y) * S / 2 - z * S)
cubes = [(0,0,0),(1,0,0),(0,1,0),(1,1,0),(0,0,1),(1,0,1),(0,1,1)]  # 2x2x2 minus front top
cubes.sort(key=lambda c: (c[0]+c[1], c[2]))  # back to front, bottom to top
top, left, right = "#8fdcf0", "#3d8fd1", "#24507f"
polys = []
for (x,y,z) in cubes:
    X, Y, Z = x, y, z
    t = [iso(X,Y,Z+1), iso(X+1,Y,Z+1), iso(X+1,Y+1,Z+1), iso(X,Y+1,Z+1)]
    l = [iso(X,Y+1,Z+1), iso(X+1,Y+1,Z+1), iso(X+1,Y+1,Z), iso(X,Y+1,Z)]
    r = [iso(X+1,Y,Z+1), iso(X+1,Y+1,Z+1), iso(X+1,Y+1,Z), iso(X+1,Y,Z)]
    polys += [(t, top), (l, left), (r, right)]
ys = [p[1] for poly,_ in polys for p in poly]; xs=[p[0] for poly,_ in polys for p in poly]
dy = 128 - (min(ys)+max(ys))/2; dx = 128 - (min(xs)+max(xs))/2
parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">',
         '<rect x="8" y="8" width="240" height="240" rx="48" fill="#1b1f27"/>']
for poly, colour in polys:
    pts = " ".join(f"{x+dx:.1f},{y+dy:.1f}" for x,y in poly)
    parts.append(f'<polygon points="{pts}" fill="{colour}" stroke="#12151b" stroke-width="3" stroke-linejoin="round"/>')
parts.append("</svg>")
(HERE / "voxstudio.svg").open("w").write("\n".join(parts)+"\n")
from PySide6.QtGui import QGuiApplication, QImage, QPainter, Qt
from PySide6.QtSvg import QSvgRenderer

app = QGuiApplication([])
r = QSvgRenderer(str(HERE / "voxstudio.svg"))
for size in (256, 64):
    img = QImage(size, size, QImage.Format.Format_ARGB32); img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img); p.setRenderHint(QPainter.RenderHint.Antialiasing); r.render(p); p.end()
    img.save(str(HERE / f"voxstudio{'' if size == 256 else '-64'}.png"))
