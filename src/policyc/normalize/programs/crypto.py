"""``openssl`` and ``gpg``: programs whose files are in options, or whose operands are key ids.

``openssl`` takes a command first and its files in options (``-in``/``-key``/``-CAfile``/
``-passin file:…`` read, ``-out``/``-keyout`` write; operands are files only for the digests,
``verify`` and ``storeutl``); ``gpg`` operands are key ids, not files, for the key commands
(``--list-keys``, ``--recv-keys`` …). A word computed at run time is never a file fact (the
``unresolved`` fact is there).
"""

from __future__ import annotations

import re

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.files import _write
from policyc.normalize.programs.network_clients import _first_host
from policyc.normalize.programs.options import _literal, gnu_options

# openssl options (one dash or two) whose value is a file read, a file written, or anything else;
# every other option is a flag. Options end at the first operand.
_OPENSSL_READS = frozenset(
    """in key inkey CA CAkey CAfile CApath CAserial cert certfile chainCAfile CRL CRLfile conf
    config data dcert dkey extfile kfile keyfile paramfile peerkey prverify psk_session
    queryfile recip revoke sess_in sigfile signature signer spkac ss_cert trusted untrusted
    verifyCAfile""".split()  # noqa: SIM905
)
_OPENSSL_WRITES = frozenset(
    {"out", "keyout", "writerand", "sess_out", "keylogfile", "msgfile", "outdir"}
)
_OPENSSL_VALUES = frozenset(
    """passin passout pass inform outform keyform certform CAform CAkeyform CRLform crlform days
    set_serial subj addext extensions reqexts newkey pkeyopt sigopt vfyopt name section engine
    provider provider-path propquery cipher ciphersuites connect proxy servername host port
    accept url xoflen mac macopt hmac k K iv S md macalg caname purpose verify_hostname
    verify_email verify_ip verify_depth policy attime auth_level nameopt certopt reqopt
    checkhost checkemail checkip ext keyopt algorithm starttls xmpphost alpn nextprotoneg psk
    psk_identity srpuser srppass dane_tlsa_domain dane_tlsa_rrdata ssl_config startdate enddate
    copy_extensions crldays crlhours crlsec rand digest tsa_section bufsize dateopt not_before
    not_after""".split()  # noqa: SIM905
)
_OPENSSL_DIGESTS = (
    r"dgst|md[245]|mdc2|sha(?:1|224|256|384|512(?:-2(?:24|56))?)|sha3-\d+|shake\d+|blake2[bs]\d*"
    r"|sm3|rmd160|ripemd(?:160)?"
)
# subcommands whose operands are files read: the digests, `verify CERT…`, `storeutl FILE`
_OPENSSL_FILE_OPERANDS = _OPENSSL_DIGESTS + "|verify|storeutl"


@_program("openssl")
def _openssl(base: str, args: list[str | None], sh: Shell) -> None:
    """``openssl COMMAND [OPTIONS] [OPERANDS]``: files are option values (``-in``, ``-key``,
    ``-passin file:…`` read, ``-out`` writes); operands are files only for the digests,
    ``verify`` and ``storeutl``; ``s_client``/``s_time -connect`` and ``ocsp -url`` contact."""
    from policyc.normalize.network import host_facts, url_facts

    if not args or args[0] is None:
        return
    sub = args[0]
    digest = re.fullmatch(_OPENSSL_DIGESTS, sub)
    reads = _OPENSSL_READS | ({"sign", "verify"} if digest else set())
    values = _OPENSSL_VALUES | reads | _OPENSSL_WRITES
    sends = sub == "s_client"
    found: list[tuple[str, str | None]] = []
    i = 1
    while i < len(args):
        a = args[i]
        if a is None or a == "-" or not a.startswith("-"):
            break
        i += 1
        if a == "--":
            break
        name = a.lstrip("-")
        value = None
        if name in values:
            value = args[i] if i < len(args) else None
            i += 1
        found.append((name, value))
    operands = args[i:]
    for name, value in found:
        if value is None or value == "-":
            continue
        if name in reads:
            sh.file("reads_file", value)
        elif name in _OPENSSL_WRITES:
            _write(sh, value)
        elif name in ("passin", "passout", "pass") and value.startswith("file:"):
            sh.file("reads_file", value[5:])
        elif name in ("connect", "proxy", "host"):
            host_facts(value, sh.facts, upload=sends and name != "host")
        elif name == "url":
            url_facts(value, sh.facts)
    if re.fullmatch(_OPENSSL_FILE_OPERANDS, sub):
        for f in _literal(operands):
            if "://" not in f and f != "-":
                sh.file("reads_file", f)
    elif sub in ("s_client", "s_time") and operands and operands[0] is not None:
        host_facts(operands[0], sh.facts, upload=sends)


# gpg commands whose operands are key or user ids (or, for the last ones, other values), not
# files
_GPG_KEY_COMMANDS = frozenset(
    """-k -K --list-keys --list-public-keys --list-secret-keys --list-signatures --list-sigs
    --check-signatures --check-sigs --fingerprint --delete-keys --delete-key
    --delete-secret-keys --delete-secret-key --delete-secret-and-public-keys
    --delete-secret-and-public-key --export --export-secret-keys --export-secret-subkeys
    --export-ssh-key --send-keys --send-key --recv-keys --recv-key --receive-keys --search-keys
    --search-key --refresh-keys --locate-keys --locate-external-keys --edit-key --sign-key
    --lsign-key --quick-sign-key --quick-lsign-key --quick-revoke-sig --quick-add-uid
    --quick-revoke-uid --quick-set-primary-uid --quick-add-key --quick-set-expire --quick-gen-key
    --quick-generate-key --gen-revoke --generate-revocation --desig-revoke
    --generate-designated-revocation --tofu-policy --change-passphrase --passwd --fetch-keys
    --gen-random --gen-prime --list-config --card-edit --card-status --gen-key --generate-key
    --full-gen-key --full-generate-key --version --help""".split()  # noqa: SIM905
)
_GPG_VALUES = (
    "output", "recipient", "local-user", "default-key", "homedir", "passphrase",
    "passphrase-file", "keyring", "secret-keyring", "primary-keyring", "trust-model",
    "cipher-algo", "digest-algo", "compress-algo", "default-recipient", "encrypt-to",
    "hidden-recipient", "recipient-file", "hidden-recipient-file", "keyserver",
    "keyserver-options", "status-fd", "logger-fd", "passphrase-fd", "command-fd", "attribute-fd",
    "comment", "set-filename", "sig-notation", "cert-notation", "set-notation", "trusted-key",
    "default-sig-expire", "default-cert-expire", "cert-digest-algo", "s2k-digest-algo",
    "s2k-cipher-algo", "s2k-mode", "s2k-count", "personal-cipher-preferences",
    "personal-digest-preferences", "personal-compress-preferences", "compress-level",
    "bzip2-compress-level", "options", "max-output", "pinentry-mode", "export-options",
    "import-options", "list-options", "verify-options", "auto-key-locate", "faked-system-time",
    "override-session-key", "trustdb-name", "agent-program", "dirmngr-program", "weak-digest",
    "sender", "photo-viewer", "exec-path", "charset", "display-charset", "input-size-hint",
    "known-notation", "request-origin", "compliance", "logger-file", "log-file", "key-origin",
    "set-policy-url", "sig-policy-url", "cert-policy-url", "sig-keyserver-url",
    "default-preference-list", "group", "min-cert-level", "completes-needed",
    "marginals-needed", "max-cert-depth", "tofu-default-policy", "default-new-key-algo",
    "ask-cert-level", "default-cert-level", "try-secret-key",
)  # fmt: skip


@_program("gpg", "gpg2")
def _gpg(base: str, args: list[str | None], sh: Shell) -> None:
    """Operands are files read, except for the commands that take key or user ids
    (``--list-keys alice``, ``--recv-keys ID``); ``--print-md ALGO FILE…`` reads its files;
    ``--keyserver`` is contacted (sent keys by ``--send-keys``); ``--fetch-keys URL…``."""
    from policyc.normalize.network import url_facts

    opts = gnu_options(
        args,
        short_values="oruRfFNz",
        long_values=_GPG_VALUES,
        aliases={"--output": "-o", "--recipient-file": "-f", "--hidden-recipient-file": "-F"},
    )
    reads = ("--passphrase-file", "-f", "-F", "--keyring", "--secret-keyring",
             "--primary-keyring", "--options")  # fmt: skip
    for f in _literal(opts.values(*reads)):
        if f != "-":
            sh.file("reads_file", f)
    for f in _literal(opts.values("-o", "--log-file", "--logger-file")):
        if f != "-":
            _write(sh, f)
    for viewer in opts.values("--photo-viewer"):
        if viewer is not None:
            sh.text(viewer)
    ops = list(opts.operands)
    for server in opts.values("--keyserver"):
        _first_host(sh, base, server, upload=opts.has("--send-keys", "--send-key"))
    if opts.has("--fetch-keys"):
        for url in _literal(ops):
            url_facts(url, sh.facts)
    if opts.has("--print-md"):
        ops = ops[1:]  # the digest algorithm comes first
    elif opts.has(*_GPG_KEY_COMMANDS):
        ops = []
    for f in _literal(ops):
        if f != "-":
            sh.file("reads_file", f)
