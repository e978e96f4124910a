"""One module per ``ehrlog`` subcommand, each exporting a click ``command``."""
