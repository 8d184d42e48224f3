"""VoxStudio desktop application entry point (``python main.py [FILE]``)."""

import multiprocessing
import sys

from voxstudio.gui.app import run

if __name__ == "__main__":
    multiprocessing.freeze_support()  # the file-reader child process in frozen (PyInstaller) builds
    sys.exit(run(sys.argv))
