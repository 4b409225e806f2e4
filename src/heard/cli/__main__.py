"""`python -m heard.cli`: the same as the `heard` command."""

from heard.cli import main

main()
