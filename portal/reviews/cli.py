"""`flask reviews ...`: commands for the security review records."""

from flask.cli import AppGroup

reviews_cli = AppGroup("reviews", help="Security reviews and their surveys.")
