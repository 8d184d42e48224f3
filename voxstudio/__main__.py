"""``python -m voxstudio`` runs the command line."""

import sys

from voxstudio.cli import main

sys.exit(main())
