"""A throw-away PostgreSQL server for tests: Debian's ``postgresql`` package, a fresh
cluster in a temporary folder, listening on a free port of 127.0.0.1 only.

``start_server()`` returns a :class:`Server` (``url``, ``stop()``) or raises
:class:`Unavailable` with the reason a test should be skipped.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile


class Unavailable(Exception):
    """PostgreSQL cannot be started here; the message says why."""


def _binaries():
    for directory in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        initdb, pg_ctl = os.path.join(directory, "initdb"), os.path.join(directory, "pg_ctl")
        if os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK):
            return initdb, pg_ctl
    raise Unavailable("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb; "
                      "install Debian's 'postgresql' package, as .ci/run does)")


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, pg_ctl, directory, prefix, port):
        self.pg_ctl, self.directory, self.prefix, self.port = pg_ctl, directory, prefix, port
        self.url = f"postgresql://fitwell@127.0.0.1:{port}/postgres"

    def stop(self):
        subprocess.run([*self.prefix, self.pg_ctl, "-D", os.path.join(self.directory, "data"),
                        "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_server() -> Server:
    """Create a cluster (superuser ``fitwell``, trust auth on 127.0.0.1) and start it.

    PostgreSQL refuses to run as root, so as root the server runs as the ``postgres``
    user (``runuser``) in a folder that user owns.
    """
    initdb, pg_ctl = _binaries()
    prefix = []
    directory = tempfile.mkdtemp(prefix="fitwell-pg-")
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            shutil.rmtree(directory, ignore_errors=True)
            raise Unavailable("running as root and there is no 'postgres' user to run the "
                              "server as") from None
        runuser = shutil.which("runuser")
        if runuser is None:
            shutil.rmtree(directory, ignore_errors=True)
            raise Unavailable("running as root and 'runuser' is missing")
        os.chown(directory, user.pw_uid, user.pw_gid)
        prefix = [runuser, "-u", "postgres", "--"]
    data = os.path.join(directory, "data")
    result = subprocess.run([*prefix, initdb, "-D", data, "-U", "fitwell", "--auth=trust",
                             "--no-sync", "-E", "UTF8"], capture_output=True, text=True,
                            timeout=120)
    if result.returncode != 0:
        shutil.rmtree(directory, ignore_errors=True)
        raise Unavailable(f"initdb failed: {result.stderr.strip()[-300:]}")
    port = _free_port()
    options = (f"-p {port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c max_connections=50")
    result = subprocess.run([*prefix, pg_ctl, "-D", data, "-o", options, "-l",
                             os.path.join(directory, "server.log"), "-w", "-t", "60", "start"],
                            capture_output=True, text=True, timeout=90)
    server = Server(pg_ctl, directory, prefix, port)
    if result.returncode != 0:
        log = ""
        try:
            with open(os.path.join(directory, "server.log"), encoding="utf-8") as handle:
                log = handle.read()[-300:]
        except OSError:
            pass
        server.stop()
        raise Unavailable(f"pg_ctl start failed: {result.stderr.strip()[-200:]} {log}")
    return server
