"""`manage.py issue_api_token USERNAME [--days D]`: a new API token, printed on the last line."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from casework.tokens import token_issue


class Command(BaseCommand):
    help = (
        "Issue a new API token for an active user and print it on the last line. The token is stored "
        "hashed: it cannot be shown again. It expires after --days days (default: the "
        "CASEWORK_API_TOKEN_DAYS setting)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"Days until the token expires (default {settings.CASEWORK_API_TOKEN_DAYS}).",
        )
        parser.add_argument("--name", default="issued with manage.py", help="What the token is for.")

    def handle(self, *args, username: str, days: int | None, name: str, **options) -> None:
        days = settings.CASEWORK_API_TOKEN_DAYS if days is None else days
        if days < 1:
            raise CommandError("--days must be at least 1.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive; tokens are issued only to active users.")
        try:
            token, plain = token_issue(user=user, name=name, days=days)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        self.stderr.write(
            f"Token {token.prefix}… for {username}, expires {token.expires_at:%Y-%m-%d %H:%M} UTC. "
            "It is shown only now; store it safely."
        )
        self.stdout.write(plain)
