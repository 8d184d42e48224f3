"""VoxStudio desktop application entry point (``python main.py [FILE]``)."""

import sys

from voxstudio.gui.app import run

if __name__ == "__main__":
    sys.exit(run(sys.argv))
