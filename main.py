"""VoxStudio desktop application entry point (``python main.py [FILE]``).

``--version`` and ``--self-test`` run headless (see voxstudio.launcher).
"""

import sys

from voxstudio.launcher import main

if __name__ == "__main__":
    sys.exit(main())
