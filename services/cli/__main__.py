"""`python -m services.cli ...` runs the `pagewire` command (used where the console script is not on PATH)."""

from services.cli import main

main()
