"""``python -m tap_telegram`` runs the tap's CLI."""

from tap_telegram.cli.main import main

main()
