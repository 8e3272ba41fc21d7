"""Network clients: the hosts contacted, what is sent there, the files read and written, and the
commands run on this machine or on the remote host.

Network clients read their options with their value arities, so that an option's value is
never taken for a host: ``curl``, ``wget``, ``http``/``https``/``xh`` contact each URL operand
(and ``--url``), a URL without a scheme read as they read it (``http://``, curl's ``ftp.`` …
guesses), curl's ``{a,b}`` sets expanded; they upload to it with data options (``-d``, ``-F``,
``-T``, ``--post-*``, HTTPie data items and piped stdin) or ``POST``/``PUT``/``PATCH``. Proxies
(``-x``, ``--proxy``, ``-e https_proxy=…``) and the hosts of ``--connect-to``/``--resolve`` are
contacted too. ``nc``/``netcat`` are read as each netcat reads them (OpenBSD's, Debian's,
the traditional one, ncat) and the facts of every reading are given: the host is the first
operand (none in listen mode or for a Unix socket), and ``-e``/``-c`` programs run on the
connection (a shell there reads unseen commands). Configuration or URLs read from files
(``curl -K``, ``wget -i``), URL patterns and computed URLs are ``unresolved("url")``; file names
chosen by the server (``curl -J``, ``wget -r``) are ``unresolved("path")``.

Files: the destination of ``scp``, ``curl -o``/``-O``, ``wget -O`` (and the file wget names after
the URL) are written; ``curl -T``/``-d @f``/``-F x=@f``/``-K`` and ``scp`` local sources are
read.

Remote commands: ``ssh HOST CMD`` (or ssh fed a script on stdin) and ``mosh HOST CMD`` are
``unresolved("remote_command")``: nothing is claimed about remote files. ``ssh -o
ProxyCommand=…``, ``rsync -e …`` and ``mosh --ssh=…`` run locally and are analysed as shell text.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from policyc.normalize.programs.contract import Shell, Stdin, _program
from policyc.normalize.programs.files import _remote_path, _write, read_tree
from policyc.normalize.programs.interpreters import _inline
from policyc.normalize.programs.options import Options, _literal, gnu_options

# -- ssh, scp -------------------------------------------------------------------------------

_SSH_VALUES = "BbcDEeFIiJLlmOoPpQRSWw"
_SCP_VALUES = "BbcDFiJlloPRSsX"
_SSH_LOCAL_COMMANDS = ("proxycommand", "localcommand", "knownhostscommand")


def _ssh_option(sh: Shell, option: str | None) -> None:
    """``-o Key=Value``: keys whose value is a command run on this machine are analysed."""
    if option is None:
        return
    key, _, value = option.strip().replace("=", " ", 1).partition(" ")
    value = value.strip()
    if key.lower() in _SSH_LOCAL_COMMANDS and value and value.lower() != "none":
        sh.text(value)
    elif key.lower() == "proxyjump":
        _jump_hosts(sh, value)


def _jump_hosts(sh: Shell, value: str | None) -> None:
    from policyc.normalize.network import command_network_facts

    for hop in (value or "").split(","):
        if hop and hop.lower() != "none":
            host = hop.split("://", 1)[-1].rsplit("@", 1)[-1].split(":", 1)[0]
            command_network_facts("ssh", [host], sh.facts)


@_program("ssh")
def _ssh(base: str, args: list[str | None], sh: Shell) -> None:
    from policyc.normalize.network import command_network_facts

    first = gnu_options(args, short_values=_SSH_VALUES, permute=False)
    if not first.operands:
        return
    dest = first.operands[0]
    rest = gnu_options(first.operands[1:], short_values=_SSH_VALUES, permute=False)
    for opts in (first, rest):
        for v in opts.values("-o"):
            _ssh_option(sh, v)
        for v in opts.values("-J"):
            _jump_hosts(sh, v)
    if dest is not None:
        command_network_facts("ssh", [dest], sh.facts)
    where = "a remote host" if dest is None else dest.rsplit("@", 1)[-1]
    if rest.operands:
        sh.add(
            "unresolved", "remote_command", f"ssh runs a command on {where} that is not analysed"
        )
    elif sh.stdin is not None and not (first.has("-N", "-W", "-O") or rest.has("-N", "-W", "-O")):
        sh.add(
            "unresolved",
            "remote_command",
            f"ssh runs commands read from {sh.stdin.source} on {where}, which are not analysed",
        )


@_program("scp", "sftp")
def _scp(base: str, args: list[str | None], sh: Shell) -> None:
    from policyc.normalize.network import command_network_facts

    opts = gnu_options(args, short_values=_SCP_VALUES)
    for v in opts.values("-o"):
        _ssh_option(sh, v)
    for v in opts.values("-J"):
        _jump_hosts(sh, v)
    for v in opts.values("-S"):
        if v is not None:
            sh.words([v])
    for v in opts.values("-b"):
        if v is not None and v != "-":
            sh.file("reads_file", v)
    ops = _literal(opts.operands)
    command_network_facts(base, ops, sh.facts)
    if base == "scp" and len(ops) > 1:
        if not _remote_path(ops[-1]):
            _write(sh, ops[-1])
        for a in ops[:-1]:
            if _remote_path(a):
                continue
            if opts.has("-r"):
                read_tree(sh, a)
            else:
                sh.file("reads_file", a)


# -- HTTP clients -------------------------------------------------------------------------------

# curl's options that take a value (``curl --help all``, and newer ones), and its flags: both
# are needed to read an abbreviated long option as curl does (``--outp`` is ambiguous)
_CURL_VALUES = tuple(
    """abstract-unix-socket alt-svc aws-sigv4 cacert capath cert cert-type ciphers config
    connect-timeout connect-to continue-at cookie cookie-jar create-file-mode crlfile curves data
    data-ascii data-binary data-raw data-urlencode delegation dns-interface dns-ipv4-addr
    dns-ipv6-addr dns-servers doh-url dump-header ech egd-file engine etag-compare etag-save
    expect100-timeout form form-string ftp-account ftp-alternative-to-user ftp-method ftp-port
    ftp-ssl-ccc-mode happy-eyeballs-timeout-ms header hostpubmd5 hostpubsha256 hsts interface
    ip-tos ipfs-gateway json keepalive-cnt keepalive-time key key-type knownhosts krb libcurl
    limit-rate local-port login-options mail-auth mail-from mail-rcpt max-filesize max-redirs
    max-time netrc-file noproxy oauth2-bearer output output-dir parallel-max pass pinnedpubkey
    preproxy proto proto-default proto-redir proxy proxy-cacert proxy-capath proxy-cert
    proxy-cert-type proxy-ciphers proxy-crlfile proxy-header proxy-key proxy-key-type proxy-pass
    proxy-pinnedpubkey proxy-service-name proxy-tls13-ciphers proxy-tlsauthtype
    proxy-tlspassword proxy-tlsuser proxy-user proxy1.0 pubkey quote random-file range rate
    referer request request-target resolve retry retry-delay retry-max-time sasl-authzid
    service-name sigalgs socks4 socks4a socks5 socks5-gssapi-service socks5-hostname
    speed-limit speed-time ssl-sessions stderr telnet-option tftp-blksize time-cond tls-max
    tls13-ciphers tlsauthtype tlspassword tlsuser trace trace-ascii trace-config unix-socket
    upload-file upload-flags url url-query user user-agent variable vlan-priority
    write-out""".split()  # noqa: SIM905
)
_CURL_FLAGS = tuple(
    """anyauth append basic ca-native cert-status compressed compressed-ssh create-dirs crlf
    digest disable disable-eprt disable-epsv disallow-username-in-url doh-cert-status
    doh-insecure dump-ca-embed fail fail-early fail-with-body false-start follow form-escape
    ftp-create-dirs ftp-pasv ftp-pret ftp-skip-pasv-ip ftp-ssl-ccc ftp-ssl-control get globoff
    haproxy-clientip haproxy-protocol head help http0.9 http1.0 http1.1 http2
    http2-prior-knowledge http3 http3-only ignore-content-length include insecure ipv4 ipv6
    junk-session-cookies list-only location location-trusted mail-rcpt-allowfails manual
    metalink mptcp negotiate netrc netrc-optional next no-alpn no-buffer no-clobber no-keepalive
    no-npn no-progress-meter no-sessionid ntlm ntlm-wb out-null parallel parallel-immediate
    path-as-is post301 post302 post303 progress-bar proxy-anyauth proxy-basic proxy-ca-native
    proxy-digest proxy-http2 proxy-insecure proxy-negotiate proxy-ntlm proxy-ssl-allow-beast
    proxy-ssl-auto-client-cert proxy-tlsv1 proxytunnel raw remote-header-name remote-name
    remote-name-all remote-time remove-on-error retry-all-errors retry-connrefused sasl-ir
    show-error silent skip-existing socks5-basic socks5-gssapi socks5-gssapi-nec ssl
    ssl-allow-beast ssl-auto-client-cert ssl-no-revoke ssl-reqd ssl-revoke-best-effort sslv2
    sslv3 styled-output suppress-connect-headers tcp-fastopen tcp-nodelay tftp-no-options tlsv1
    tlsv1.0 tlsv1.1 tlsv1.2 tlsv1.3 tr-encoding trace-ids trace-time use-ascii verbose version
    xattr""".split()  # noqa: SIM905
)
_CURL_ALIASES = {
    "--output": "-o", "--remote-name": "-O", "--upload-file": "-T", "--form": "-F",
    "--config": "-K", "--dump-header": "-D", "--cookie-jar": "-c", "--cookie": "-b",
    "--data": "-d", "--proxy": "-x", "--request": "-X", "--remote-header-name": "-J",
    "--globoff": "-g", "--cert": "-E",
}  # fmt: skip
_CURL_UPLOADS = ("-d", "--data-ascii", "--data-binary", "--data-raw", "--data-urlencode",
                 "--json", "-F", "--form-string", "-T")  # fmt: skip
_CURL_PROXIES = ("-x", "--preproxy", "--proxy1.0", "--socks4", "--socks4a", "--socks5",
                 "--socks5-hostname")  # fmt: skip
_CURL_READS = ("-T", "--netrc-file", "--etag-compare", "--key", "--cacert", "--crlfile",
               "--proxy-key", "--proxy-cacert", "--proxy-crlfile")  # fmt: skip
_CURL_WRITES = ("-D", "-c", "--trace", "--trace-ascii", "--stderr", "--libcurl", "--etag-save",
                "--hsts", "--alt-svc")  # fmt: skip


def _curl_expanded(args: list[str | None]) -> list[str | None]:
    """``--expand-NAME VALUE`` (curl 8.3) is ``--NAME VALUE`` with ``{{variables}}`` replaced at
    run time: such a value is computed."""
    out: list[str | None] = []
    i = 0
    while i < len(args):
        a = args[i]
        i += 1
        if a is None or not a.startswith("--expand-"):
            out.append(a)
            if a == "--":
                return out + args[i:]
            continue
        name, eq, value = a.removeprefix("--expand-").partition("=")
        v = value if eq else (args[i] if i < len(args) else None)
        i += 0 if eq else 1
        out += ["--" + name, None if v is None or "{{" in v else v]
    return out


def _at_file(value: str) -> str | None:
    """The file of ``name@file`` (``--data-urlencode``, ``--variable``): an ``@`` before any
    ``=``; None for none or stdin."""
    at = value.find("@")
    eq = value.find("=")
    if at < 0 or 0 <= eq < at:
        return None
    path = value[at + 1 :]
    return path if path not in ("", "-") else None


def _http_proxy(sh: Shell, prog: str, proxy: str | None, *, upload: bool) -> None:
    from policyc.normalize.network import host_facts

    if proxy is None:
        sh.add("unresolved", "url", f"a proxy of {prog} is computed at run time")
    elif proxy:
        host_facts(proxy, sh.facts, upload=upload)


_CURL_CONNECT_TO = re.compile(r"(\[[^\]]*\]|[^:]*):([^:]*):(\[[^\]]*\]|[^:]*)(?::.*)?")
_CURL_RESOLVE = re.compile(r"[+-]?(\[[^\]]*\]|[^:]*):([^:]*):(.*)")


def _curl_connects(sh: Shell, value: str | None, pattern: re.Pattern[str], *, upload: bool) -> None:
    """``--connect-to HOST1:PORT1:HOST2:PORT2`` and ``--resolve HOST:PORT:ADDRESS[,ADDRESS…]``
    send the connection to another host than the URL's."""
    from policyc.normalize.network import host_facts

    if value is None:
        sh.add("unresolved", "url", "a host curl connects to is computed at run time")
        return
    m = pattern.fullmatch(value)
    for target in m.group(3).split(",") if m else []:
        if target.strip("[]"):
            host_facts(target, sh.facts, upload=upload)


@_program("curl")
def _curl(base: str, args: list[str | None], sh: Shell) -> None:
    from policyc.normalize.network import (
        UPLOAD_METHODS,
        curl_globs,
        curl_scheme,
        url_facts,
        url_file_name,
    )

    opts = gnu_options(
        _curl_expanded(args),
        short_values="AbcCdDeEFHKmoPQrtTuUwxXyYz",
        long_values=_CURL_VALUES,
        long_names=_CURL_VALUES + _CURL_FLAGS,
        aliases=_CURL_ALIASES,
    )
    upload = opts.has(*_CURL_UPLOADS) or any(
        m is None or m.upper() in UPLOAD_METHODS for m in opts.values("-X")
    )
    out_dir = next(reversed(_literal(opts.values("--output-dir"))), "")
    for a in _literal(opts.values("-o")):
        if a != "-":
            _write(sh, posixpath.join(out_dir, a) if not a.startswith("~") else a)
    for a in _literal(opts.values(*_CURL_WRITES)):
        if a != "-":
            _write(sh, a)
    for a in _literal(opts.values(*_CURL_READS)):
        if a not in ("-", "."):
            sh.file("reads_file", a)
    for a in _literal(opts.values("-E", "--proxy-cert")):  # CERTIFICATE[:PASSWORD]
        if a and not a.startswith("pkcs11:"):
            sh.file("reads_file", a.split(":", 1)[0])
    for a in _literal(opts.values("-b")):  # a file unless it holds a cookie (name=value)
        if a and "=" not in a and a != "-":
            sh.file("reads_file", a)
    for a in _literal(opts.values("-d", "--data-ascii", "--data-binary", "--json")):
        if a.startswith("@") and a[1:] not in ("", "-"):
            sh.file("reads_file", a[1:])
    for a in _literal(opts.values("--data-urlencode", "--variable")):
        path = _at_file(a)
        if path is not None:
            sh.file("reads_file", path)
    for a in _literal(opts.values("-F")):
        value = a.split("=", 1)[-1]
        quoted = value[1:2] == '"'  # name=@"file;with;semicolons";type=…
        path = value[2:].split('"', 1)[0] if quoted else value[1:].split(";", 1)[0]
        if value[:1] in ("@", "<") and path not in ("", "-"):
            sh.file("reads_file", path)
    for config in opts.values("-K"):
        if config is not None and config != "-":
            sh.file("reads_file", config)
        where = "stdin" if config == "-" else f"the file {config}" if config else "a file"
        sh.add("unresolved", "url", f"curl reads options from {where}, which are not seen")
    for proxy in opts.values(*_CURL_PROXIES):
        _http_proxy(sh, base, proxy, upload=upload)
    for target in opts.values("--connect-to"):
        _curl_connects(sh, target, _CURL_CONNECT_TO, upload=upload)
    for target in opts.values("--resolve"):
        _curl_connects(sh, target, _CURL_RESOLVE, upload=upload)
    for service in _literal(opts.values("--doh-url", "--ipfs-gateway")):
        url_facts(service, sh.facts)
    default = next(reversed(_literal(opts.values("--proto-default"))), None)
    remote_names = opts.has("-O", "--remote-name-all")
    for url in [*opts.values("--url"), *opts.operands]:
        if url is None:
            sh.add("unresolved", "url", "a URL of curl is computed at run time")
            continue
        urls = [url] if opts.has("-g") else curl_globs(url)
        if urls is None:
            sh.add("unresolved", "url", f"curl expands the URL pattern {url!r} at run time")
            continue
        for u in urls:
            scheme = curl_scheme(u, default)
            url_facts(u, sh.facts, upload=upload, default_scheme=scheme)
            name = url_file_name(u, scheme) if remote_names else ""
            if name:
                _write(sh, posixpath.join(out_dir, name), named=True)
    if remote_names and opts.has("-J"):
        sh.add("unresolved", "path", "curl -J writes a file named by the server's reply")


_WGET_VALUES = tuple(
    """accept accept-regex append-output backups base bind-address bind-dns-address body-data
    body-file ca-certificate ca-directory certificate certificate-type ciphers compression config
    connect-timeout crl-file cut-dirs default-page directory-prefix dns-servers dns-timeout
    domains egd-file exclude-directories exclude-domains execute follow-tags ftp-password
    ftp-user header hsts-file http-password http-user ignore-tags include-directories input-file
    input-metalink level limit-rate load-cookies local-encoding max-redirect method
    metalink-index output-document output-file password pinnedpubkey post-data post-file
    prefer-family preferred-location private-key private-key-type progress proxy-password
    proxy-user quota random-file read-timeout referer regex-type reject reject-regex
    rejected-log remote-encoding report-speed restrict-file-names retry-on-http-error
    save-cookies secure-protocol start-pos timeout tries use-askpass user user-agent wait
    waitretry warc-dedup warc-file warc-header warc-max-size warc-tempdir""".split()  # noqa: SIM905
)
_WGET_FLAGS = tuple(
    """adjust-extension ask-password auth-no-challenge background backup-converted cache
    check-certificate clobber content-disposition content-on-error continue convert-file-only
    convert-links cookies debug delete-after directories dns-cache follow-ftp force-directories
    force-html ftps-clear-data-connection ftps-fallback-to-ftp ftps-implicit ftps-resume-ssl glob
    help host-directories hsts http-keep-alive https-only if-modified-since ignore-case
    ignore-length inet4-only inet6-only iri keep-badhash keep-session-cookies metalink-over-http
    mirror netrc no-cache no-check-certificate no-clobber no-config no-cookies no-directories
    no-dns-cache no-glob no-hsts no-host-directories no-http-keep-alive no-if-modified-since
    no-iri no-netrc no-parent no-passive-ftp no-proxy no-remove-listing
    no-use-server-timestamps no-verbose no-warc-compression no-warc-digests no-warc-keep-log
    page-requisites parent passive-ftp preserve-permissions protocol-directories proxy quiet
    random-wait recursive relative remove-listing retr-symlinks retry-connrefused save-headers
    server-response show-progress span-hosts spider strict-comments timestamping
    trust-server-names unlink use-server-timestamps verbose version warc-cdx xattr""".split()  # noqa: SIM905
)
_WGET_ALIASES = {
    "--output-document": "-O", "--output-file": "-o", "--append-output": "-a",
    "--input-file": "-i", "--directory-prefix": "-P", "--execute": "-e", "--recursive": "-r",
    "--mirror": "-m", "--page-requisites": "-p", "--force-directories": "-x",
}  # fmt: skip
# .wgetrc commands (`-e command`) that are options read above, by their name without `_`/`-`
_WGETRC = {
    "outputdocument": "--output-document", "logfile": "--output-file", "input": "--input-file",
    "dirprefix": "--directory-prefix", "postdata": "--post-data", "postfile": "--post-file",
    "bodydata": "--body-data", "bodyfile": "--body-file", "method": "--method",
    "useaskpass": "--use-askpass", "savecookies": "--save-cookies", "recursive": "--recursive",
    "mirror": "--mirror", "pagerequisites": "--page-requisites",
    "contentdisposition": "--content-disposition", "trustservernames": "--trust-server-names",
}  # fmt: skip
_WGETRC_PROXIES = ("httpproxy", "httpsproxy", "ftpproxy")


def _wget_options(args: list[str | None]) -> Options:
    return gnu_options(
        args,
        short_values="aABDeiIlnoOPQRtTUwX",
        long_values=_WGET_VALUES,
        long_names=_WGET_VALUES + _WGET_FLAGS,
        aliases=_WGET_ALIASES,
    )


@_program("wget")
def _wget(base: str, args: list[str | None], sh: Shell) -> None:
    from policyc.normalize.network import UPLOAD_METHODS, url_facts, url_file_name

    opts = _wget_options(args)
    extra: list[str | None] = []
    proxies: list[str | None] = []
    for command in opts.values("-e"):
        if command is None:
            sh.add("unresolved", "url", "wget -e runs a .wgetrc command computed at run time")
            continue
        key, _, value = command.partition("=")
        key = key.strip().replace("_", "").replace("-", "").lower()
        value = value.strip()
        if key in _WGETRC_PROXIES:
            proxies.append(value)
        elif key in _WGETRC and _WGETRC[key][2:] in _WGET_VALUES:
            extra += [_WGETRC[key], value]
        elif key in _WGETRC and value.lower() in ("on", "1", "yes", "true"):
            extra.append(_WGETRC[key])
    if extra:
        opts = _wget_options([*extra, *args])
    upload = opts.has("--post-data", "--post-file", "--body-data", "--body-file") or any(
        m is None or m.upper() in UPLOAD_METHODS for m in opts.values("--method")
    )
    for proxy in proxies:
        _http_proxy(sh, base, proxy, upload=upload)
    documents = opts.values("-O")
    for a in _literal(documents):
        if a != "-":
            _write(sh, a)
    for a in _literal(opts.values("-o", "-a", "--save-cookies", "--rejected-log", "--hsts-file")):
        if a != "-":
            _write(sh, a)
    reads = ("-i", "--post-file", "--body-file", "--load-cookies", "--config", "--certificate",
             "--private-key", "--ca-certificate", "--crl-file", "--input-metalink")  # fmt: skip
    for a in _literal(opts.values(*reads)):
        if a != "-":
            sh.file("reads_file", a)
    for what, names in (("URLs", ("-i", "--input-metalink")), ("options", ("--config",))):
        for source in opts.values(*names):
            where = "stdin" if source == "-" else f"the file {source}" if source else "a file"
            sh.add("unresolved", "url", f"wget reads {what} from {where}, which are not seen")
    for askpass in opts.values("--use-askpass"):
        sh.words([askpass])
    prefix = next(reversed(_literal(opts.values("-P"))), "")
    no_dirs = opts.has("--no-directories") or "d" in opts.values("-n")
    no_host = no_dirs or opts.has("--no-host-directories") or "H" in opts.values("-n")
    tree = opts.has("-r", "-m", "-p", "-x")
    named = not documents and not opts.has("--spider")
    for url in opts.operands:
        if url is None:
            sh.add("unresolved", "url", "a URL of wget is computed at run time")
            continue
        url_facts(url, sh.facts, upload=upload)
        if named and tree:
            host = url.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
            where = posixpath.join(prefix, "" if no_host else host) or "."
            _write(sh, where)
            sh.add("unresolved", "path", f"wget writes files below {where} named at run time")
        elif named:
            name = url_file_name(url, "http", query=True) or "index.html"
            _write(sh, posixpath.join(prefix, name), named=True)
    if named and opts.has("--content-disposition", "--trust-server-names"):
        sh.add("unresolved", "path", "wget names the file it writes from the server's reply")


_HTTP_METHODS = frozenset(
    {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "QUERY"}
)
_HTTPIE_VALUES = (
    "auth", "auth-type", "output", "print", "style", "history-print", "session",
    "session-read-only", "verify", "cert", "cert-key", "cert-key-pass", "proxy", "timeout",
    "max-redirects", "max-headers", "pretty", "format-options", "response-charset",
    "response-mime", "ssl", "ciphers", "boundary", "default-scheme", "unix-socket", "raw",
    "bearer", "resolve", "interface", "http-version", "generate", "method",
)  # fmt: skip
# request item separators, the longer first where one starts another
_HTTPIE_SEPARATORS = (":=@", "==@", "=@", ":@", ":=", "==", "=", "@", ":")
_HTTPIE_DATA = {":=@", "=@", ":=", "=", "@"}  # items that are sent in the body
_HTTPIE_FILES = {":=@", "==@", "=@", ":@", "@"}  # items whose value is a file read


def _httpie_item(item: str) -> tuple[str, str] | None:
    """The separator and value of an HTTPie request item (the first separator not escaped by
    ``\\``), or None when the word has none."""
    k = 0
    while k < len(item):
        if item[k] == "\\":
            k += 2
            continue
        for sep in _HTTPIE_SEPARATORS:
            if item.startswith(sep, k):
                return sep, item[k + len(sep) :]
        k += 1
    return None


@_program("http", "https", "xh", "xhs")
def _httpie(base: str, args: list[str | None], sh: Shell) -> None:
    """HTTPie and xh: ``PROG [OPTIONS] [METHOD] URL [ITEM…]``."""
    from policyc.normalize.network import UPLOAD_METHODS, url_facts, url_file_name

    opts = gnu_options(
        args,
        short_values="aAopsP",
        long_values=_HTTPIE_VALUES,
        aliases={"--output": "-o", "--download": "-d", "--ignore-stdin": "-I"},
    )
    ops = opts.operands
    if len(ops) >= 2 and ops[0] is not None and re.fullmatch(r"[A-Za-z]+", ops[0]):
        method: str | None = ops[0].upper()
        urls, items = [ops[1]], ops[2:]
        if method not in _HTTP_METHODS:  # `http localhost a=1`: also as xh reads it
            second = _httpie_item(ops[1]) if ops[1] is not None else None
            urls, items = ([ops[0]] if second else [ops[0], ops[1]]), ops[1:]
    else:
        method, urls, items = None, ops[:1], ops[1:]
    upload = (
        method in UPLOAD_METHODS
        or opts.has("--raw")
        or any(m is None or m.upper() in UPLOAD_METHODS for m in opts.values("--method"))
        or (sh.stdin is not None and not opts.has("-I"))
    )
    for item in items:
        parsed = _httpie_item(item) if item is not None else ("=", "")
        if parsed is None:
            continue
        sep, value = parsed
        upload = upload or sep in _HTTPIE_DATA
        if sep in _HTTPIE_FILES and value.split(";", 1)[0] not in ("", "-"):
            sh.file("reads_file", value.split(";", 1)[0])
    for out in _literal(opts.values("-o")):
        _write(sh, out)
    for proxy in opts.values("--proxy"):  # PROTOCOL:URL
        _http_proxy(sh, base, None if proxy is None else proxy.partition(":")[2], upload=upload)
    if opts.has("--offline"):
        return
    scheme = next(reversed(_literal(opts.values("--default-scheme"))), None)
    scheme = scheme or ("https" if base in ("https", "xhs") or opts.has("--https") else "http")
    for url in urls:
        if url is None:
            sh.add("unresolved", "url", f"a URL of {base} is computed at run time")
            continue
        if url.startswith(":"):  # `:3000/x` is localhost:3000/x
            url = "localhost" + (url if url[1:2] not in ("", "/") else url[1:])
        url_facts(url, sh.facts, upload=upload, default_scheme=scheme)
        if opts.has("-d") and not opts.values("-o"):
            name = url_file_name(url, scheme)
            if name:
                _write(sh, name, named=True)
    if opts.has("-d") and not opts.values("-o"):
        sh.add("unresolved", "path", f"{base} --download names the file it writes from the reply")


# -- netcat, telnet, ftp, mosh -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Netcat:
    """How one netcat reads its options."""

    flags: str  # short options without a value
    values: str  # short options that take one
    proxy: tuple[str, ...] = ()  # options naming a proxy host
    program: tuple[str, ...] = ()  # options naming a program run on the connection
    script: tuple[str, ...] = ()  # options giving shell text run on the connection
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()


# `nc` and `netcat` may be any of several programs whose options differ (`-c` is a flag of OpenBSD's
# and takes shell text in the others): the command line is read as each of them reads it (a
# reading with an option that program does not have is dropped) and the facts of every reading
# are given
_NETCATS = {
    "openbsd": _Netcat("46cDdFhklNnrStUuvz", "CeHIiKMmOoPpRsTVWwXxZ", proxy=("-x",),
                       reads=("-C", "-K", "-R", "-Z", "-o")),
    "debian": _Netcat("46bCDdFhklNnrStUuvZz", "IiMmOPpqsTVWwXx", proxy=("-x",)),
    "traditional": _Netcat("bCdhklnrtuvz", "ceGgiopqsTw", program=("-e",), script=("-c",),
                           writes=("-o",)),
    "ncat": _Netcat("46CUhklntuvz", "cdeGgimopswx", proxy=("--proxy",),
                    program=("-e", "--exec"), script=("-c", "--sh-exec"),
                    reads=("--ssl-cert", "--ssl-key", "--ssl-trustfile", "--ssl-crl",
                           "--allowfile", "--denyfile"),
                    writes=("-o", "-x", "--output", "--hex-dump")),
}  # fmt: skip
_NCAT_VALUES = (
    "sh-exec", "exec", "lua-exec", "max-conns", "delay", "output", "hex-dump", "idle-timeout",
    "source-port", "source", "wait", "allow", "allowfile", "deny", "denyfile", "proxy",
    "proxy-type", "proxy-auth", "proxy-dns", "ssl-cert", "ssl-key", "ssl-trustfile",
    "ssl-ciphers", "ssl-servername", "ssl-alpn", "ssl-crl",
)  # fmt: skip


_NETCAT_NAMES = {
    "ncat": ["ncat"], "nc.openbsd": ["openbsd", "debian"], "nc.traditional": ["traditional"],
}  # fmt: skip


def _netcat_readings(base: str, args: list[str | None]) -> list[tuple[_Netcat, Options]]:
    names = _NETCAT_NAMES.get(base, list(_NETCATS))
    readings = []
    for name in names:
        spec = _NETCATS[name]
        ncat = name == "ncat"
        opts = gnu_options(
            args,
            short_values=spec.values,
            long_values=_NCAT_VALUES if ncat else (),
            aliases={"--listen": "-l", "--unixsock": "-U"} if ncat else {},
        )
        known = spec.flags + spec.values
        valid = all(
            ncat if n.startswith("--") else n[1:] in known for cands, _ in opts.found for n in cands
        )
        readings.append((spec, opts, valid))
    chosen = [(spec, opts) for spec, opts, valid in readings if valid]
    return chosen or [(spec, opts) for spec, opts, _ in readings]


@_program("nc", "ncat", "netcat", "nc.openbsd", "nc.traditional")
def _netcat(base: str, args: list[str | None], sh: Shell) -> None:
    """The host connected to (not in listen mode nor for a Unix socket) is contacted and sent
    what nc reads; programs and shell text run on the connection (``-e``, ``-c``) read from it."""
    from policyc.normalize.network import host_facts

    hosts: dict[str | None, None] = {}
    found: dict[tuple[str, str | None], None] = {}
    for spec, opts in _netcat_readings(base, args):
        if opts.operands and not opts.has("-l", "-U"):
            hosts[opts.operands[0]] = None
        for kind, names in (("proxy", spec.proxy), ("program", spec.program),
                            ("script", spec.script), ("reads", spec.reads),
                            ("writes", spec.writes), ("lua", ("--lua-exec",))):  # fmt: skip
            for value in opts.values(*names):
                found[(kind, value)] = None
    for host in hosts:
        if host is None:
            sh.add("unresolved", "url", f"the host {base} connects to is computed at run time")
        else:
            host_facts(host, sh.facts, upload=True)
    connection = Stdin(None, f"the network connection of {base}")
    for kind, value in found:
        if kind == "proxy":
            _http_proxy(sh, base, value, upload=True)
        elif kind == "program":
            sh.words(value.split() if value is not None else [None], connection)
        elif kind == "script" and value is None:
            sh.add("unresolved", "shell_string", f"{base} -c of text computed at run time")
        elif kind == "script" and value is not None:
            sh.text(value, connection)
        elif kind == "lua":
            _inline(sh, base)
            if value is not None:
                sh.file("reads_file", value)
        elif kind == "reads" and value is not None:
            sh.file("reads_file", value)
        elif kind == "writes" and value is not None:
            _write(sh, value)


def _first_host(sh: Shell, prog: str, host: str | None, *, upload: bool = False) -> None:
    from policyc.normalize.network import host_facts

    if host is None:
        sh.add("unresolved", "url", f"the host {prog} connects to is computed at run time")
    else:
        host_facts(host, sh.facts, upload=upload)


@_program("telnet")
def _telnet(base: str, args: list[str | None], sh: Shell) -> None:
    ops = gnu_options(args, short_values="bSXeknl", permute=False).operands
    if ops:
        _first_host(sh, base, ops[0])


@_program("ftp", "tnftp")
def _ftp(base: str, args: list[str | None], sh: Shell) -> None:
    """``ftp HOST [PORT]``, or URLs to fetch; ``-u URL FILE…`` uploads the files."""
    from policyc.normalize.network import url_facts

    opts = gnu_options(args, short_values="oPrsTqu")
    uploads = opts.values("-u")
    for url in uploads:
        _first_host(sh, base, url, upload=True)
    ops = opts.operands
    if uploads:
        for f in _literal(ops):
            sh.file("reads_file", f)
        return
    if any(o is not None and "://" in o for o in ops):
        for url in _literal(ops):
            url_facts(url, sh.facts)
    elif ops:
        _first_host(sh, base, ops[0])


@_program("mosh")
def _mosh(base: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="p",
        long_values=("client", "server", "ssh", "port", "predict", "family", "bind-server",
                     "experimental-remote-ip"),
        permute=False,
    )  # fmt: skip
    for ssh in opts.values("--ssh"):
        if ssh is not None:
            sh.text(ssh)  # run here, to reach the host
    if not opts.operands:
        return
    host = opts.operands[0]
    _first_host(sh, base, host)
    if opts.operands[1:]:
        where = "a remote host" if host is None else host.rsplit("@", 1)[-1]
        sh.add(
            "unresolved", "remote_command", f"mosh runs a command on {where} that is not analysed"
        )
