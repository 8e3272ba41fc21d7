"""URLs and network use → facts: scheme, host, registrable domain, port, path, IP literals, and
whether a request or command sends data out (upload-like)."""

from __future__ import annotations

import ipaddress
import posixpath
import re
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

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


def url_facts(
    url: str, facts: Facts, *, upload: bool = False, default_scheme: str = "http"
) -> None:
    """Facts of one URL; ``upload``: the request sends data to it. A URL without ``://`` is
    read with ``default_scheme`` (``example.com/x`` is ``http://example.com/x``, as curl and
    wget read it)."""
    text = url.strip()
    if "://" not in text:
        text = default_scheme + "://" + text.removeprefix("//")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        _add(facts, "unresolved", "url", "the URL cannot be parsed")
        return
    scheme = parts.scheme.lower()
    if scheme == "file":  # curl, wget, browsers read a local file: a file read, not a request
        path = posixpath.normpath("/" + unquote(parts.path).lstrip("/"))
        _add(facts, "url_scheme", scheme)
        _add(facts, "url_path", path)
        _add(facts, "reads_file", path)
        return
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


def host_facts(host: str, facts: Facts, *, upload: bool = False) -> None:
    """``contacts_host`` (and ``uploads_to``) of a host given alone: ``[user@]host[:port]``, a
    bracketed IPv6 literal, or a URL; ``unresolved("url")`` when it names no host."""
    if "://" in host:
        url_facts(host, facts, upload=upload)
        return
    name = host.rsplit("@", 1)[-1]
    if name.startswith("["):
        name = name[: name.find("]") + 1] if "]" in name else name
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]  # host:port (a bare IPv6 literal has several colons)
    canon = canonical_host(name)
    if canon is None:
        _add(facts, "unresolved", "url", f"{host!r} names no host that can be resolved")
        return
    _add(facts, "contacts_host", canon)
    if upload:
        _add(facts, "uploads_to", canon)


_CURL_GUESSES = ("ftp", "dict", "ldap", "imap", "smtp", "pop3")


def curl_scheme(url: str, default: str | None = None) -> str:
    """The scheme curl gives a URL written without one: ``--proto-default``, else guessed from
    the host's first label (``ftp.example.com`` is ftp), else http."""
    if default:
        return default.lower()
    first = url.rsplit("@", 1)[-1].split(".", 1)[0].lower()
    return first if first in _CURL_GUESSES and "." in url else "http"


_CURL_SET = re.compile(r"\{([^{}]*)\}")
MAX_GLOB = 64  # URLs one curl pattern may expand to before it is unresolved


def curl_globs(url: str) -> list[str] | None:
    """The URLs a curl URL pattern expands to (``{a,b}`` sets; ``[1-3]`` ranges outside the host
    leave the host as it is); None when the host holds a range or the pattern is too large."""
    urls = [url]
    while any(_CURL_SET.search(u) for u in urls):
        expanded = []
        for u in urls:
            m = _CURL_SET.search(u)
            if m is None:
                expanded.append(u)
                continue
            expanded += [u[: m.start()] + alt + u[m.end() :] for alt in m.group(1).split(",")]
        if len(expanded) > MAX_GLOB:
            return None
        urls = expanded
    for u in urls:
        host = u.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
        if host.startswith("["):
            host = host.split("]", 1)[-1]  # after an IPv6 literal, only the port
        if "[" in host:
            return None
    return urls


# -- network commands -----------------------------------------------------------------------


def command_network_facts(name: str, args: list[str], facts: Facts) -> None:
    """Hosts ``ssh`` (its destination) and ``scp``/``rsync``/``sftp`` (their ``host:path``
    operands) contact, and those they upload to; ``args`` are the operands."""
    if name in ("scp", "rsync", "sftp"):
        for k, a in enumerate(args):
            if ":" in a and not a.startswith("/"):
                host = canonical_host(a.split(":", 1)[0].rsplit("@", 1)[-1])
                if host is None:
                    continue
                _add(facts, "contacts_host", host)
                if k == len(args) - 1:  # the destination: data goes there
                    _add(facts, "uploads_to", host)
    elif name == "ssh" and args:
        host = canonical_host(args[0].rsplit("@", 1)[-1])
        if host is not None:
            _add(facts, "contacts_host", host)


def url_file_name(url: str, default_scheme: str = "http", *, query: bool = False) -> str:
    """The last segment of a URL's path, the name curl ``-O`` and wget save it under (wget keeps
    the query: ``a.php?x=1``); ``""`` when the path ends with ``/``."""
    text = url.strip()
    if "://" not in text:
        text = default_scheme + "://" + text.removeprefix("//")
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    name = parts.path.rsplit("/", 1)[-1]
    if query and name and parts.query:
        name += "?" + parts.query
    return name if name not in (".", "..") else ""
