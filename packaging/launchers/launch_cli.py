"""The bundle's ``meterai``: the CLI's entry point, as the installed script calls it."""

from meterai.cli.main import main

if __name__ == "__main__":
    main()
