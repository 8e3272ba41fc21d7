"""Package publishing: ``publishes_package(tool, registry)`` facts.

``publishes_package(tool, registry)``, with ``uploads_to`` and ``contacts_host`` of the registry:
npm/pnpm (registry.npmjs.org), yarn (registry.yarnpkg.com), twine, poetry, uv, flit, hatch, pdm
(upload.pypi.org; ``testpypi`` → test.pypi.org), cargo (crates.io), gem (rubygems.org), docker and
podman push, ``docker buildx build --push`` (the image's registry host, else docker.io), or the
host of a literal ``--registry``/``--repository-url``/``--index``/``--host``/``--publish-url``.
A repository named in configuration (``twine -r corp``) yields the registry ``""`` and
``unresolved("registry")``. Dry runs yield nothing. ``python -m twine`` is ``twine`` (read in
:mod:`policyc.normalize.programs.interpreters`).
"""

from __future__ import annotations

from policyc.normalize.programs.contract import Shell, _program
from policyc.normalize.programs.options import _off, gnu_options

_PYPI = "upload.pypi.org"
_PYPI_NAMES = {"pypi": _PYPI, "testpypi": "test.pypi.org", "main": _PYPI, "test": "test.pypi.org"}


def _publish(sh: Shell, tool: str, registry: str | None, *, named: str | None = None) -> None:
    """``registry``: a URL or host; ``named``: a repository named in configuration instead."""
    from policyc.normalize.network import canonical_host

    host: str | None = None
    if named is not None:
        if "://" in named:
            registry = named
        else:
            host = _PYPI_NAMES.get(named.lower()) if tool not in ("cargo",) else None
            if host is None:
                sh.add("publishes_package", tool, "")
                sh.add(
                    "unresolved",
                    "registry",
                    f"{tool} publishes to the repository {named!r} defined in configuration",
                )
                return
    if host is None and registry is not None:
        from urllib.parse import urlsplit

        try:
            text = registry if "://" in registry else "//" + registry
            host = canonical_host(urlsplit(text).hostname or "")
        except ValueError:
            host = None
    if host is None:
        sh.add("publishes_package", tool, "")
        sh.add("unresolved", "registry", f"the registry {tool} publishes to is not known")
        return
    sh.add("publishes_package", tool, host)
    sh.add("contacts_host", host)
    sh.add("uploads_to", host)


_NPM_VALUES = ("registry", "tag", "access", "otp", "workspace", "prefix", "userconfig",
               "cache", "loglevel", "filter", "dir", "provenance-file")  # fmt: skip


@_program("npm", "pnpm", "yarn")
def _npm(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="wCF",
        long_values=_NPM_VALUES,
        aliases={"-w": "--workspace", "-C": "--dir", "-F": "--filter"},
    )
    ops = list(opts.operands)
    if tool == "yarn":
        if ops[:1] == ["workspace"] or ops[:2] == ["workspaces", "foreach"]:
            ops = ops[2:]
        if ops[:1] == ["npm"]:
            ops = ops[1:]
    if not ops or ops[0] is None:
        return
    sub = ops[0]
    if sub in ("exec", "x", "dlx") and len(ops) > 1:
        # npm exec -- CMD …, pnpm dlx / exec CMD …, yarn dlx CMD …: the package's program runs
        sh.words(list(ops[1:]))
        return
    if not (sub == "publish" or (tool == "npm" and len(sub) >= 2 and "publish".startswith(sub))):
        return
    if any(not _off(v) for c, v in opts.found if "--dry-run" in c):
        return
    registry = opts.values("--registry")
    default = "registry.yarnpkg.com" if tool == "yarn" else "registry.npmjs.org"
    _publish(sh, tool, registry[-1] if registry else default)


@_program("twine", "poetry", "flit", "hatch", "pdm", "uv")
def _python_publish(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values={"twine": "rupci", "poetry": "rupCP", "flit": "", "hatch": "ruaoep",
                      "pdm": "ruPcpd", "uv": "utpP"}[tool],
        long_values=("repository", "repository-url", "repo", "username", "user", "password",
                     "comment", "identity", "sign-with", "config-file", "cert", "client-cert",
                     "ca-cert", "client-key", "auth", "option", "publish-url", "index", "token",
                     "directory", "project", "pypirc", "check-url", "keyring-provider", "env",
                     "python", "trusted-publishing"),
        aliases={"-r": "--repository", "--repo": "--repository"},
    )  # fmt: skip
    ops = opts.operands
    sub = "upload" if tool == "twine" else "publish"
    if not ops or ops[0] != sub:
        return
    if any(not _off(v) for c, v in opts.found if "--dry-run" in c):
        return
    urls = opts.values("--repository-url") or opts.values("--publish-url")
    names = opts.values("--repository") or opts.values("--index")
    if urls:
        _publish(sh, tool, urls[-1])
    elif names and names[-1] is not None:
        _publish(sh, tool, None, named=names[-1])
    elif names:
        _publish(sh, tool, None)
    else:
        _publish(sh, tool, _PYPI)


@_program("cargo")
def _cargo(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        [a for a in args if a is None or not a.startswith("+")],
        short_values="pjFCZ",
        long_values=("registry", "index", "token", "package", "manifest-path", "target",
                     "target-dir", "jobs", "features", "config", "color", "lockfile-path"),
        aliases={"-n": "--dry-run"},
    )  # fmt: skip
    if opts.operands[:1] != ["publish"] or opts.has("--dry-run"):
        return
    index = opts.values("--index")
    registry = opts.values("--registry")
    if index:
        _publish(sh, tool, index[-1])
    elif registry and registry[-1] is not None:
        _publish(sh, tool, None, named=registry[-1])
    elif registry:
        _publish(sh, tool, None)
    else:
        _publish(sh, tool, "crates.io")


@_program("gem")
def _gem(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(args, short_values="kp", long_values=("host", "key", "otp", "http-proxy"))
    if opts.operands[:1] == ["push"]:
        hosts = opts.values("--host")
        _publish(sh, tool, hosts[-1] if hosts else "rubygems.org")


def image_registry(image: str) -> str:
    """The registry host of an image reference (``ghcr.io/o/x:1`` → ``ghcr.io``; ``nginx`` →
    ``docker.io``), without a port."""
    ref = image.split("://", 1)[-1]
    first, slash, _ = ref.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost"):
        return first.rsplit(":", 1)[0] if not first.startswith("[") else first
    return "docker.io"


_DOCKER_GLOBAL = ("host", "context", "config", "log-level", "tlscacert", "tlscert", "tlskey",
                  "url", "connection", "root", "runroot", "storage-driver", "identity")  # fmt: skip
_DOCKER_VALUES = (
    *_DOCKER_GLOBAL,
    "tag", "platform", "output", "file", "build-arg", "target", "cache-from", "cache-to",
    "secret", "ssh", "label", "progress", "builder", "creds", "authfile", "cert-dir", "format",
    "digestfile", "sign-by", "compression-format", "retry", "network", "iidfile", "metadata-file",
)  # fmt: skip


@_program("docker", "podman")
def _docker(tool: str, args: list[str | None], sh: Shell) -> None:
    opts = gnu_options(
        args,
        short_values="HcltfoL",
        long_values=_DOCKER_VALUES,
        aliases={"-t": "--tag", "-o": "--output", "-f": "--file", "-H": "--host",
                 "-c": "--context", "-l": "--log-level"},
    )  # fmt: skip
    ops = opts.operands
    if ops[:1] in (["run"], ["create"], ["container"]):
        _docker_mounts(args, sh)
        _docker_command(tool, args, sh)
    if ops[:1] == ["image"]:
        ops = ops[1:]
    if ops[:1] == ["buildx"]:
        ops = ops[1:]
    if not ops:
        return
    if ops[0] == "cp" and len(ops) >= 3 and ops[1] is not None and ":" not in ops[1]:
        sh.file("reads_file", ops[1])  # `docker cp FILE CONTAINER:PATH` copies a host file in
    if ops[0] == "push":
        if len(ops) < 2 or ops[1] is None:
            _publish(sh, tool, None)
            return
        dest = ops[2] if tool == "podman" and len(ops) > 2 else ops[1]
        _publish(sh, tool, image_registry(dest) if dest is not None else None)
    elif ops[0] == "build":
        outputs = [v or "" for v in opts.values("--output")]
        if opts.has("--push") or any("type=registry" in o for o in outputs):
            for tag in opts.values("--tag") or [None]:
                _publish(sh, tool, image_registry(tag) if tag is not None else None)


def _docker_mounts(args: list[str | None], sh: Shell) -> None:
    """``docker run -v HOST:CTR`` / ``--mount type=bind,source=HOST``: the container may read and
    write the host path (both facts: the files under it are exposed either way)."""
    for i, a in enumerate(args):
        if a is None:
            continue
        value: str | None = None
        if a in ("-v", "--volume", "--mount"):
            value = args[i + 1] if i + 1 < len(args) else None
            if value is None:
                sh.add("unresolved", "path", "a volume mounted from a path computed at run time")
                continue
            kind = a
        elif a.startswith(("--volume=", "--mount=")):
            kind, _, value = a.partition("=")
        elif a.startswith("-v") and len(a) > 2:
            kind, value = "-v", a[2:].lstrip("=")
        else:
            continue
        if kind == "--mount":
            fields = dict(f.partition("=")[::2] for f in value.split(","))
            host = fields.get("source") or fields.get("src")
            if fields.get("type", "volume") != "bind" or not host:
                continue
        else:
            host = value.split(":", 1)[0]
        if host.startswith(("/", "~", ".")):
            sh.file("reads_file", host)
            sh.file("writes_file", host)


_DOCKER_RUN_VALUES = (
    "env", "publish", "name", "workdir", "user", "network", "entrypoint", "label", "env-file",
    "platform", "memory", "cpus", "hostname", "add-host", "dns", "cap-add", "cap-drop", "device",
    "restart", "log-driver", "log-opt", "shm-size", "ulimit", "tmpfs", "pid", "ipc", "gpus",
    "volume", "mount", "volumes-from", "link", "expose", "health-cmd", "pull", "runtime",
    "security-opt", "stop-signal", "cidfile", "attach", "detach-keys", "group-add", "uts",
)  # fmt: skip


def _docker_command(tool: str, args: list[str | None], sh: Shell) -> None:
    """``docker run [opts] IMAGE CMD…``: CMD is analysed as if it ran here — its paths are the
    container's, so its facts are a superset of what it can do to this machine (through the
    mounts above) and name what it does inside; ``--entrypoint`` (a program in the image) is
    ``unresolved("remote_command")``."""
    words = list(args)
    while words and words[0] not in ("run", "create"):
        words.pop(0)
    opts = gnu_options(
        words[1:],
        short_values="epwulmhv",
        long_values=_DOCKER_RUN_VALUES,
        permute=False,
    )
    if opts.has("--entrypoint"):
        sh.add("unresolved", "remote_command", f"{tool} runs an entrypoint that is not seen")
    if len(opts.operands) > 1:
        sh.words(list(opts.operands[1:]))
