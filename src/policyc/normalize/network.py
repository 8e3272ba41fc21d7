"""URLs and network use → facts: scheme, host, registrable domain, port, path, IP literals, and
whether a request or command sends data out (upload-like)."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any
from urllib.parse import urlsplit

_DEFAULT_PORTS = {"http": 80, "https": 443, "ftp": 21, "ssh": 22, "ws": 80, "wss": 443}
UPLOAD_METHODS = {"POST", "PUT", "PATCH"}

Facts = dict[str, list[tuple[Any, ...]]]


@cache
def _psl() -> Any:
    from publicsuffixlist import PublicSuffixList  # the list ships with the package: no download

    return PublicSuffixList()


def _add(facts: Facts, pred: str, *args: Any) -> None:
    rows = facts.setdefault(pred, [])
    if args not in rows:
        rows.append(args)


def canonical_host(host: str) -> str | None:
    """Lower-case, IDNA (punycode) ASCII form without a trailing dot; IP literals normalised."""
    host = host.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return None


def registrable_domain(host: str) -> str:
    """``api.github.com`` → ``github.com``; a host with no registrable part (``localhost``, an
    IP literal) is its own domain."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    return str(_psl().privatesuffix(host) or host)


def url_facts(url: str, facts: Facts, *, upload: bool = False) -> None:
    """Facts of one URL; ``upload``: the request sends data to it."""
    text = url.strip()
    if "://" not in text:
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        _add(facts, "unresolved", "url", "the URL cannot be parsed")
        return
    scheme = parts.scheme.lower()
    host = canonical_host(parts.hostname or "")
    if host is None:
        _add(facts, "unresolved", "url", "the URL names no host that can be resolved")
        return
    _add(facts, "url_scheme", scheme)
    _add(facts, "url_host", host)
    _add(facts, "url_domain", registrable_domain(host))
    _add(facts, "url_port", port if port is not None else _DEFAULT_PORTS.get(scheme, 0))
    _add(facts, "url_path", parts.path or "/")
    try:
        ipaddress.ip_address(host)
        _add(facts, "url_ip", host)
    except ValueError:
        pass
    _add(facts, "contacts_host", host)
    if upload:
        _add(facts, "uploads_to", host)


# -- network commands -----------------------------------------------------------------------

_CURL_UPLOAD = {
    "-d",
    "--data",
    "--data-raw",
    "--data-binary",
    "--data-urlencode",
    "-F",
    "--form",
    "-T",
    "--upload-file",
    "--json",
}
_WGET_UPLOAD = {"--post-data", "--post-file", "--body-data", "--body-file"}


def command_network_facts(name: str, args: list[str], facts: Facts) -> None:
    """Hosts a network command contacts, and those it uploads to."""
    if name in ("curl", "wget", "http", "https", "xh"):
        upload = False
        method = None
        for i, a in enumerate(args):
            flag = a.split("=", 1)[0]
            if flag in _CURL_UPLOAD or flag in _WGET_UPLOAD:
                upload = True
            if flag in ("-X", "--request", "--method") and i + 1 < len(args):
                method = args[i + 1].upper()
            elif a.startswith("-X") and len(a) > 2:
                method = a[2:].upper()
        if method in UPLOAD_METHODS:
            upload = True
        for a in args:
            if "://" in a or (not a.startswith("-") and "." in a and "/" in a and " " not in a):
                url_facts(a, facts, upload=upload)
    elif name in ("scp", "rsync", "sftp"):
        operands = [a for a in args if not a.startswith("-")]
        for k, a in enumerate(operands):
            if ":" in a and not a.startswith("/"):
                host = canonical_host(a.split(":", 1)[0].rsplit("@", 1)[-1])
                if host is None:
                    continue
                _add(facts, "contacts_host", host)
                if k == len(operands) - 1:  # the destination: data goes there
                    _add(facts, "uploads_to", host)
    elif name in ("ssh", "nc", "ncat", "telnet", "ftp", "mosh"):
        operands = [a for a in args if not a.startswith("-")]
        if operands:
            host = canonical_host(operands[0].rsplit("@", 1)[-1])
            if host is not None:
                _add(facts, "contacts_host", host)
                if name in ("nc", "ncat"):
                    _add(facts, "uploads_to", host)
