"""``python -m mdreg``: the ``mdreg`` command."""

from mdreg.cli import main

if __name__ == "__main__":
    main()
