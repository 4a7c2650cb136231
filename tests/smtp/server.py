#!/usr/bin/env python3
"""A real SMTP server for sportello-notify's tests (crates/sportello-notify/tests/smtp.rs).

It behaves like a comune's submission relay: STARTTLS is required before anything else,
then AUTH (PLAIN or LOGIN) with the test credentials, then the message. Recipients in a
domain ending in `.invalid` are refused with 550. Each accepted message is written to
DIR/spool as `<sequence>-<Message-ID>.eml`, exactly as received, with a `.json` beside it
holding the envelope; both appear atomically (written aside, then renamed).

At start it makes a self-signed certificate for localhost and 127.0.0.1 with the openssl
command (DIR/tls/cert.pem, the one the tests trust), listens on 127.0.0.1 on a free port
and writes that port to DIR/port. scripts/lib/smtp.sh starts and stops it.
"""

import argparse
import asyncio
import email.parser
import email.policy
import itertools
import json
import os
import re
import signal
import ssl
import subprocess
import sys
import time

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

USERNAME = b"sportello"
PASSWORD = b"sportello-test"

OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
x509_extensions = leaf
prompt = no

[dn]
CN = localhost

[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
subjectKeyIdentifier = hash
"""


def make_certificate(directory):
    """A self-signed end-entity certificate: rustls refuses a CA certificate as a server's,
    so the extensions are spelt out rather than taken from the system's openssl.cnf."""
    os.makedirs(directory, exist_ok=True)
    config = os.path.join(directory, "openssl.cnf")
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    with open(config, "w", encoding="ascii") as f:
        f.write(OPENSSL_CONFIG)
    subprocess.run(
        [
            "openssl", "req", "-x509", "-config", config,
            "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", key, "-out", cert, "-days", "2",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    return cert, key


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME
        and auth_data.password == PASSWORD
    )
    # handled=False: aiosmtpd then answers 535 itself; True would leave the client waiting.
    return AuthResult(success=ok, handled=False)


def safe_name(text):
    return re.sub(r"[^A-Za-z0-9._@-]", "_", text)[:120]


def write_atomically(path, data):
    directory, name = os.path.split(path)
    temporary = os.path.join(directory, f".{name}.tmp")
    with open(temporary, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


class Spool:
    def __init__(self, directory):
        self.directory = directory
        self.sequence = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rpartition("@")[2].rstrip(".").lower()
        if domain == "invalid" or domain.endswith(".invalid"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parsebytes(raw)
        message_id = (headers.get("Message-ID") or "").strip().strip("<>")
        number = next(self.sequence)
        base = f"{number:06d}-{safe_name(message_id) or 'no-message-id'}"
        envelope_data = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "message_id": message_id,
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
            "received_at": time.time(),
        }
        # The .json first: whoever sees the .eml finds its envelope too.
        write_atomically(
            os.path.join(self.directory, base + ".json"),
            json.dumps(envelope_data, indent=2).encode(),
        )
        write_atomically(os.path.join(self.directory, base + ".eml"), raw)
        return f"250 2.0.0 OK queued as {number:06d}"


async def watch_parent(pid, stop):
    """Ends the server when the shell that started it is gone, even killed without cleanup."""
    while not stop.is_set():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            stop.set()
            return
        except PermissionError:
            pass
        await asyncio.sleep(1)


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", required=True, help="working folder: tls/, spool/, port")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--watch-pid", type=int, help="stop when this process ends")
    args = parser.parse_args()

    cert, key = make_certificate(os.path.join(args.dir, "tls"))
    spool = os.path.join(args.dir, "spool")
    os.makedirs(spool, exist_ok=True)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    handler = Spool(spool)

    def factory():
        return SMTP(
            handler,
            hostname="localhost",
            tls_context=context,
            require_starttls=True,
            auth_required=True,
            auth_require_tls=True,
            authenticator=authenticator,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host="127.0.0.1", port=args.port)
    port = server.sockets[0].getsockname()[1]
    write_atomically(os.path.join(args.dir, "port"), f"{port}\n".encode())
    print(f"SMTP test server on 127.0.0.1:{port}, spool {spool}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    # Held in a variable: the loop keeps only a weak reference to its tasks.
    watcher = None
    if args.watch_pid:
        watcher = asyncio.create_task(watch_parent(args.watch_pid, stop))
    await stop.wait()
    if watcher is not None:
        watcher.cancel()
    server.close()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except subprocess.CalledProcessError as e:
        sys.stderr.write(f"openssl failed: {e.stderr.decode(errors='replace')}\n")
        sys.exit(1)
