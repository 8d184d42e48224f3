"""PyInstaller run-time hook: use Qt's X11 (xcb) platform in the Linux bundle.

VTK's render window draws through X11/GLX, and the bundle leaves Qt's Wayland
plugins out; on a Wayland desktop the app runs through XWayland. Setting this
up front spares users Qt's "Could not find the Qt platform plugin wayland"
warning. A QT_QPA_PLATFORM the user sets (e.g. offscreen) wins.
"""

import os
import sys

if sys.platform.startswith("linux"):
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
