"""Entry script of the PyInstaller bundle (see packaging/voxstudio.spec).

Kept apart from ``main.py`` so the bundle does not depend on how the GUI entry
point evolves: both end up in :func:`voxstudio.launcher.main`.
"""

import multiprocessing
import sys

from voxstudio.launcher import main

if __name__ == "__main__":
    # Frozen executables re-run themselves for multiprocessing children
    # (dataset building, DataLoader workers); this makes those children work.
    multiprocessing.freeze_support()
    sys.exit(main())
