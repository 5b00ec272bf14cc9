"""`manage.py seed_demo`: fictional organisations, staff and cases for demonstrations and load tests."""

import os
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models.deletion import ProtectedError

from casework import demo
from casework.models import Case


class Command(BaseCommand):
    help = (
        "Create demo data: organisations ngo-a and ngo-b, users admin, analyst, auditor and each "
        "organisation's orgadmin, supervisor and caseworkers, and N fictional cases with their referrals, "
        "notes, assessments and legal proceedings. Deterministic for a seed. Refuses to run with DEBUG "
        "off unless --force is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cases", type=int, default=200, help="How many cases to create (default 200).")
        parser.add_argument(
            "--seed", type=int, default=1, help="The same seed gives the same data (default 1)."
        )
        source = parser.add_mutually_exclusive_group()
        source.add_argument(
            "--password", help="Password of every demo user (default: a new random one, printed at the end)."
        )
        source.add_argument(
            "--password-file",
            metavar="PATH",
            help="Read the password from PATH; if there is no such file, generate one and write it there "
            "(readable by you only).",
        )
        parser.add_argument("--force", action="store_true", help="Run even though DEBUG is off.")
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing (but list the demo users) if the database already holds cases or demo data.",
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete the demo organisations with their cases, records, households and users first.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo refuses to run with DEBUG off: it creates users who all share one password. "
                "Set DJANGO_DEBUG=true for a development database, or pass --force if this database is "
                "really meant for demonstrations or load tests."
            )
        if options["cases"] < 0:
            raise CommandError("--cases must be 0 or more.")
        password_file = Path(options["password_file"]) if options["password_file"] else None

        if options["if_empty"] and (Case.objects.exists() or demo.demo_organisations_exist()):
            self.stdout.write(
                "The database already holds cases or the demo organisations; nothing was changed."
            )
            known = options["password"] or (self._read_password(password_file) if password_file else None)
            self._print_users(known, saved_in=password_file if known and not options["password"] else None)
            return
        if demo.demo_organisations_exist() and not options["reset"]:
            raise CommandError(
                f"The demo organisations ({', '.join(demo.ORGANISATION_SLUGS)}) already exist. Pass --reset "
                "to delete them with their cases and users and seed again, or --if-empty to keep them."
            )

        password = options["password"]
        write_file = False
        if password is None and password_file is not None and password_file.exists():
            password = self._read_password(password_file)
        elif password is None:
            password = secrets.token_urlsafe(18)
            write_file = password_file is not None
            if write_file and not password_file.parent.is_dir():
                raise CommandError(
                    f"Cannot write the password file: {password_file.parent} is not a directory."
                )

        call_command("seed_reference", stdout=self.stdout, stderr=self.stderr)
        try:
            with transaction.atomic():
                if options["reset"]:
                    demo.delete_demo_data()
                counts = demo.seed(options["cases"], options["seed"], make_password(password))
        except demo.MissingReferenceData as exc:
            raise CommandError(f"Reference data is missing ({exc}); check seed_reference.") from exc
        except ProtectedError as exc:
            raise CommandError(
                "The demo data cannot be reset in place: other records refer to it "
                f"({exc.args[0]}). The audit trail is append-only, so start from a fresh database."
            ) from exc
        # Written only once the users have this password, so the file never holds a stale one.
        if write_file:
            self._write_password(password_file, password)

        elapsed = time.monotonic() - started
        if options["verbosity"] >= 1:
            self.stdout.write(f"Demo data, seed {options['seed']}, created in {elapsed:.1f} s:")
            width = max(len(label) for label in counts)
            for label, count in counts.items():
                self.stdout.write(f"  {label:<{width}}  {count:>9,}")
        self._print_users(password, saved_in=password_file)

    def _read_password(self, path: Path) -> str | None:
        if not path.exists():
            return None
        password = path.read_text(encoding="utf-8").strip()
        if not password:
            raise CommandError(f"The password file {path} is empty; delete it to have a new password made.")
        return password

    def _write_password(self, path: Path, password: str) -> None:
        # O_EXCL: never overwrite a file that appeared meanwhile; 0600: the password is a secret.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(password + "\n")

    def _print_users(self, password: str | None, saved_in: Path | None = None) -> None:
        self.stdout.write("Demo users: " + "; ".join(demo.demo_usernames()))
        if password is None:
            self.stdout.write(
                "Their password was printed when the demo data was seeded (pass --password-file to keep it)."
            )
        else:
            where = f" (kept in {saved_in})" if saved_in else ""
            self.stdout.write(self.style.SUCCESS(f"Password for all demo users{where}: {password}"))
