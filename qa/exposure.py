"""Who can reach the chat: the interface it binds, the login it asks for.

The app binds 127.0.0.1 unless told otherwise. Binding any other interface
without a login prints a warning. `--auth USER:PASS` (or `QA_AUTH`) turns on
Gradio's login; the routes Gradio does not guard (the source viewer, MCP)
accept its session or the same credentials as HTTP Basic authentication.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress

from qa.errors import ConfigError

Credentials = tuple[str, str]


def parse_auth(value: str) -> Credentials:
    """`USER:PASS` as (user, password).

    Raises:
        ConfigError: the value is not USER:PASS with both parts non-empty.
    """
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise ConfigError("--auth must be USER:PASS with a user name and a password "
                          "(or set QA_AUTH=USER:PASS)")
    return user.strip(), password


def login(setting: str) -> Credentials | None:
    """The credentials the `auth` setting asks for; None when it is empty (no login).

    Raises:
        ConfigError: the setting is malformed.
    """
    return parse_auth(setting) if setting else None


def is_loopback(host: str) -> bool:
    """True when `host` is only reachable from this machine (127.0.0.0/8, ::1, localhost)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def exposure_warning(host: str, auth: Credentials | None) -> str | None:
    """The one-line warning to print before serving on `host`, or None when there is none."""
    if auth is not None or is_loopback(host):
        return None
    return (f"warning: serving on {host} without a login: anyone who can reach this "
            "machine can read the indexed documents; add --auth USER:PASS (or QA_AUTH)")


def basic_auth_ok(header: str | None, auth: Credentials) -> bool:
    """True when an `Authorization: Basic ...` header carries exactly `auth`."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        user, sep, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return bool(sep) and hmac.compare_digest(user.encode(), auth[0].encode()) \
        and hmac.compare_digest(password.encode(), auth[1].encode())
