"""PySide6 desktop application: the only package of VoxStudio that imports Qt.

``QT_API`` is pinned to PySide6 before anything imports qtpy (pyvistaqt uses it),
so an unrelated PyQt install on the user's machine can never be picked instead.
"""

from __future__ import annotations

import os

os.environ.setdefault("QT_API", "pyside6")
