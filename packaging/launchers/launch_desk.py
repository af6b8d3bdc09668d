"""The bundle's ``meterai-desk``: the GUI's entry point, as the installed script calls it."""

import sys

from meterai_desk.app import main

if __name__ == "__main__":
    sys.exit(main())
