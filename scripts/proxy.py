"""HAProxy in front of N Streamlit processes: its configuration, and where Debian puts the binary.

Why HAProxy (Debian's `haproxy` package) and not nginx: a browser must stay on the Streamlit process that holds
its session (Streamlit keeps a session's state in the process its WebSocket reached; an upload is an HTTP PUT to
`/_stcore/upload_file/<session>/<file>` that only that process accepts). On loopback, and behind a school's NAT,
every browser has the same address, so hashing the address would put a whole class on one process: the key must
be a cookie the proxy sets. HAProxy does that natively (`cookie SERVERID insert indirect nocache`), balances new
browsers by open connections (`balance leastconn`: a WebSocket is a connection, so a new student goes to the
process with fewest), health-checks each process (`/_stcore/health`) and sends a browser whose process died
elsewhere (`option redispatch`), rewriting its cookie. Debian's open-source nginx has no sticky-cookie module
(`sticky` is nginx Plus; Debian ships no `libnginx-mod-http-sticky`): it would need a `map` over a cookie that
nginx itself cannot set per upstream without scripting (njs or Lua), and no active health checks.
WebSockets pass through HAProxy's HTTP mode as they are (an `Upgrade` becomes a tunnel, `timeout tunnel`).
"""
from __future__ import annotations

import shutil
from pathlib import Path

COOKIE = "SERVERID"  # the proxy's cookie: which Streamlit process a browser belongs to (s1, s2, ...)


def haproxy_binary() -> str:
    """Path of Debian's haproxy (in /usr/sbin, which a non-root PATH often lacks)."""
    found = shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy", "/usr/local/sbin/haproxy")
                                             if Path(p).exists()), None)
    if found is None:
        raise FileNotFoundError("haproxy not found: install Debian's haproxy (`make proxy`, or "
                                "`apt-get install -y haproxy`)")
    return found


def server_name(index: int) -> str:
    """The cookie value and HAProxy server name of the index-th Streamlit process (0-based): s1, s2, ..."""
    return f"s{index + 1}"


def config(address: str, port: int, backends: list[int], max_connections: int = 2000) -> str:
    """haproxy.cfg text: listen on address:port, one server per loopback port in `backends`, sticky by cookie.

    Timeouts: a script run or an upload may take minutes (client/server 10 min); an idle WebSocket stays open
    for an hour (`timeout tunnel`; Streamlit's frontend pings it). A process is checked every 2 s and taken out
    after 2 failed checks (a process warming up, restarting or stuck gets no new browser)."""
    servers = "\n".join(f"    server {server_name(i)} 127.0.0.1:{p} cookie {server_name(i)} check"
                        for i, p in enumerate(backends))
    return f"""global
    maxconn {max_connections}
    log stderr format short local0 warning

defaults
    mode http
    log global
    option dontlognull
    timeout connect 5s
    timeout client 10m
    timeout server 10m
    timeout http-request 30s
    timeout tunnel 1h
    timeout client-fin 30s
    option redispatch
    retries 2

frontend class
    bind {address}:{port}
    default_backend streamlit

backend streamlit
    balance leastconn
    cookie {COOKIE} insert indirect nocache httponly attr "SameSite=Lax"
    option httpchk GET /_stcore/health
    http-check expect status 200
    default-server inter 2s fall 2 rise 1
{servers}
"""
