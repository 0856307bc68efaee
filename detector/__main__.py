"""``python -m detector``."""

from detector.cli import main

main()
