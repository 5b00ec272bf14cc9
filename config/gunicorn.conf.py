"""Gunicorn settings for Returnee Casework (`make serve`; docs/DEPLOY.md).

Gunicorn reads this file with `gunicorn -c config/gunicorn.conf.py` (it names the application itself).
Every knob comes from the environment, parsed strictly like config/settings.py: a value that cannot be
parsed stops start-up with a message naming the variable.

    GUNICORN_BIND                 127.0.0.1:8000 (the proxy on this host), or unix:/run/returnee/gunicorn.sock
    GUNICORN_WORKERS              WEB_CONCURRENCY, else 2 x CPUs + 1
    GUNICORN_THREADS              1 (more than 1 switches to the threaded worker)
    GUNICORN_TIMEOUT              60 seconds (a large PDF export is the slowest request)
    GUNICORN_MAX_REQUESTS         1000, plus up to GUNICORN_MAX_REQUESTS_JITTER (100): then a fresh worker
    GUNICORN_FORWARDED_ALLOW_IPS  FORWARDED_ALLOW_IPS, else 127.0.0.1,::1: proxies trusted for X-Forwarded-*
    GUNICORN_ACCESS_LOG           - (stdout); empty turns the access log off
    GUNICORN_LOG_LEVEL            info
"""

import ipaddress
import multiprocessing
import os


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _envint(name: str, default: int, minimum: int = 0) -> int:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise SystemExit(f"{name} must be an integer, got {value!r}") from None
    if number < minimum:
        raise SystemExit(f"{name} must be at least {minimum}, got {number}")
    return number


bind = [_env("GUNICORN_BIND", "127.0.0.1:8000")]
workers = _envint("GUNICORN_WORKERS", _envint("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1), 1)
threads = _envint("GUNICORN_THREADS", 1, 1)
timeout = _envint("GUNICORN_TIMEOUT", 60, 1)
graceful_timeout = 30
keepalive = 5  # behind a proxy that keeps connections open

# Replace each worker after a while, at staggered times, so a slow leak never grows and the workers are
# never all restarting at once.
max_requests = _envint("GUNICORN_MAX_REQUESTS", 1000)
max_requests_jitter = _envint("GUNICORN_MAX_REQUESTS_JITTER", 100)

# The proxies whose X-Forwarded-Proto (https) and X-Forwarded-For gunicorn believes. Anyone else's are
# ignored: a client that talks to gunicorn directly cannot claim to be on HTTPS or somewhere else.
forwarded_allow_ips = _env("GUNICORN_FORWARDED_ALLOW_IPS", _env("FORWARDED_ALLOW_IPS", "127.0.0.1,::1"))

# Request limits: nothing this application receives needs longer lines or more headers.
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190

# Logs: the access log names the path, never the query string (filters may describe people), the
# referrer (it carries the previous page's query string) or any body. Errors go to stderr.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms'
errorlog = "-"
loglevel = _env("GUNICORN_LOG_LEVEL", "info")

# No runtime control socket: the service manager starts, reloads (HUP) and stops gunicorn.
control_socket_disable = True
proc_name = "returnee-casework"
wsgi_app = "config.wsgi:application"


def _trusted_networks(value: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network] | None:
    """The networks of `forwarded_allow_ips`; None when it is `*` (every peer is trusted)."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if "*" in items:
        return None
    try:
        return [ipaddress.ip_network(item, strict=False) for item in items]
    except ValueError as error:
        raise SystemExit(f"GUNICORN_FORWARDED_ALLOW_IPS: {error}") from None


class ClientAddressFromProxy:
    """Sets REMOTE_ADDR to the client's address that a trusted proxy passed in X-Forwarded-For.

    The audit trail records, and the sign-in lockout counts per, REMOTE_ADDR. Behind a proxy that is the
    proxy's own address for everyone, so every event would name the proxy and five failed sign-ins by
    anyone would lock everybody out. Only a peer listed in `forwarded_allow_ips` (or a Unix socket, which
    only the proxy can reach) is believed, and only the last address of the header: the one that proxy
    added. The proxy's address stays in `gunicorn.peer_addr`.
    """

    def __init__(self, application, trusted: str):
        self.application = application
        self.networks = _trusted_networks(trusted)

    def _trusts(self, peer: str) -> bool:
        if not peer:  # a Unix socket
            return True
        if self.networks is None:
            return True
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.networks)

    def __call__(self, environ, start_response):
        peer = environ.get("REMOTE_ADDR", "")
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded and self._trusts(peer):
            candidate = forwarded.rsplit(",", 1)[-1].strip()
            try:
                client = str(ipaddress.ip_address(candidate))
            except ValueError:
                client = None
            if client:
                environ["gunicorn.peer_addr"] = peer
                environ["REMOTE_ADDR"] = client
        return self.application(environ, start_response)


_trusted_networks(forwarded_allow_ips)  # a bad value stops start-up here, not in every worker


def post_worker_init(worker):
    """Gunicorn's hook after a worker loaded the application: wrap it before the first request."""
    worker.wsgi = ClientAddressFromProxy(worker.wsgi, forwarded_allow_ips)
