"""``python -m rightsaware`` runs the command line."""

from .cli import main

main()
