"""Basic probes shared by ``monasca-wait`` and ``monasca-health``.

Every probe either returns (the thing is up) or raises ``ProbeError`` whose
text is the short "last thing seen" that the commands print, such as
``connection refused`` or ``HTTP 503``.

``monasca-health`` imports this module on every run, in every container, every
few seconds: only what a tcp:// or process: check needs is imported at the
top. The HTTP client (http.client, which pulls in ssl and email: about 35 ms
of CPU per run) is imported by the HTTP probe that uses it.
"""

import errno
import os
import socket
import urllib.parse  # loaded anyway: targets parses every check's URL with it


class ProbeError(Exception):
    """The probed thing is not (yet) in the wanted state."""


def describe(exc):
    """A short, human reason for a low-level network or OS error."""
    if isinstance(exc, ProbeError):
        return str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return "cannot resolve host name"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by peer"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "host unreachable"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def tcp(host, port, timeout):
    """Succeed when something accepts a TCP connection on host:port."""
    # getaddrinfo() runs a str host through the "idna" codec, whose import
    # (stringprep, unicodedata) is ~7 ms of a health check; ASCII needs none.
    if host.isascii():
        host = host.encode()
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        raise ProbeError(describe(exc)) from None


def http_request(url, timeout, method="GET", body=None, headers=None, insecure=False):
    """Send one request; return (status, body bytes) for any HTTP status.

    Only a transport failure (refused, timeout, TLS, DNS) raises ProbeError,
    so callers decide which statuses count as "up". Redirects are not
    followed: a probe reports what the endpoint itself answers, and a
    redirect to a login page must not turn a broken service into "HTTP 200".
    """
    # http.client rather than urllib.request, which would add tempfile,
    # hashlib, bz2 and lzma (~20 ms per run) for redirects and proxies that a
    # probe must not use anyway. It imports ssl itself.
    import http.client
    import ssl

    parts = urllib.parse.urlsplit(url)
    if not parts.hostname:
        raise ProbeError("no host given")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        if parts.scheme == "https":
            context = ssl._create_unverified_context() if insecure else None
            connection = http.client.HTTPSConnection(parts.netloc, timeout=timeout, context=context)
        else:
            connection = http.client.HTTPConnection(parts.netloc, timeout=timeout)
        try:
            connection.request(method, target, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()
    except ssl.SSLError as exc:
        raise ProbeError(f"TLS error: {exc.reason or exc}") from None
    except (OSError, ValueError) as exc:
        raise ProbeError(describe(exc)) from None


def http(url, timeout, expect=None, insecure=False):
    """Succeed when GET url answers with a status in ``expect`` (default: any 2xx)."""
    status, _ = http_request(url, timeout, insecure=insecure)
    ok = status in expect if expect else 200 <= status < 300
    if not ok:
        raise ProbeError(f"HTTP {status}")


def file(path):
    """Succeed when path exists (a file, directory or socket)."""
    if not os.path.exists(path):
        raise ProbeError("no such file")


def _ancestors():
    """PIDs of this process and its parents: their command lines name the
    process we look for (e.g. ``sh -c 'monasca-health process:foo'``)."""
    pids, pid = set(), os.getpid()
    while pid > 0 and pid not in pids:
        pids.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as stat:
                # Field 4 is the parent PID; the command name (field 2) may
                # contain spaces, so split after its closing parenthesis.
                pid = int(stat.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            break
    return pids


def process(name):
    """Succeed when a running process (other than us) has ``name`` in its command line."""
    skip = _ancestors()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in skip:
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                args = cmdline.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # exited while we were looking
        if name in args:
            return
    raise ProbeError("no such process")
