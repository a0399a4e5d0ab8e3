"""The `entrec` command line: one module per command, discovered at start-up."""
