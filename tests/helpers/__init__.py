"""What the tests share: running the CLI (``cli``), configs (``configs``), fake results folders
(``results``) and stand-in workers (``workers``). Import from the module: ``from helpers.cli
import invoke``."""
