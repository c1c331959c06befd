"""One module per ``imrkb`` subcommand; see :mod:`imrkb.cli`."""
