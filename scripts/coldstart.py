#!/usr/bin/env python3
"""Cold start of a Lambda bootstrap: from the process's start to its first poll of the
runtime API (GET /2018-06-01/runtime/invocation/next), the part of a cold start the
function's own code decides (Lambda's share, fetching the zip and starting the sandbox,
comes before it and is not ours to measure).

A tiny stand-in for the runtime API listens on 127.0.0.1; the bootstrap is started with the
environment Lambda gives it plus the bundle's variables (dummy resource names: nothing is
called before the first poll, the AWS clients connect lazily), and the time from spawning
it to its first GET is recorded. Then the process is killed and started again. One warm-up
start first (so the figure is not the first read of the file from disk), then --runs
starts; the median is compared with the target.

Most of that time is the TLS clients loading the system's root certificates (rustls reads
them once per process, before the first poll). How long depends on how the system lays
them out, so two layouts are measured:
- "one bundle file": SSL_CERT_FILE names the system's PEM bundle, which is what
  provided.al2023 has (/etc/pki/tls/certs/ca-bundle.crt, no directory of single certs);
- "this machine's certificate directory": no SSL_CERT_* variable, so the certificates are
  found by probing the system; on Debian that adds /etc/ssl/certs, ~300 files, one per
  certificate and hash link, each opened and parsed.

    scripts/coldstart.py --bootstrap target/lambda/log-messages/bootstrap [--runs 20]

Used by `scripts/bench.sh coldstart`, which builds the release bootstrap first.
Standard library only.
"""

import argparse
import http.server
import os
import statistics
import subprocess
import threading
import time

TARGET_MS = 10.0
NEXT = "/2018-06-01/runtime/invocation/next"


class FakeRuntimeApi(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.polled = threading.Event()
        self.polled_at = None


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == NEXT and not self.server.polled.is_set():
            self.server.polled_at = time.perf_counter()
            self.server.polled.set()
        # No invocation to hand out: hold the poll until the process is killed.
        try:
            self.rfile.read()
        except OSError:
            pass

    def log_message(self, *args):
        pass


def environment(port, function):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # What Lambda sets for every function.
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "coldstart",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
        "RUST_LOG": "info",
        # The bundle's configuration (docs/configuration.md): names only, never called.
        "MYCASE_API_URL": "http://127.0.0.1:9/api",
        "MYCASE_AUTH_URL": "http://127.0.0.1:9/auth",
        "MYCASE_RATE_LIMIT_PER_SECOND": "20",
        "HONA_SECRET_PREFIX": "hona-coldstart/mycase",
        "HONA_DEAD_LETTER_QUEUE_URL": "http://127.0.0.1:9/000000000000/dlq",
        "HONA_DOCUMENTS_BUCKET": "coldstart-documents",
        "HONA_NIGHTLY_QUEUE_URL": "http://127.0.0.1:9/000000000000/nightly",
    }
    for table in ["INTEGRATIONS", "IDEMPOTENCY", "LEDGER", "CASE_THREADS", "LEASES", "LEADS", "MAPPINGS"]:
        env[f"HONA_{table}_TABLE"] = f"coldstart-{table.lower()}"
    for queue in ["MESSAGES", "NOTIFICATIONS", "DOCUMENTS", "FORM_FIELDS", "LEADS"]:
        env[f"HONA_QUEUE_URL_{queue}"] = f"http://127.0.0.1:9/000000000000/{queue.lower()}"
    return env


BUNDLES = [
    "/etc/pki/tls/certs/ca-bundle.crt",  # Amazon Linux, Fedora
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu
    "/etc/ssl/cert.pem",  # Alpine, macOS
]


def one_start(bootstrap, function, cert_file=None):
    """Milliseconds from spawning the bootstrap to its first poll."""
    server = FakeRuntimeApi()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = environment(server.server_address[1], function)
    if cert_file:
        env["SSL_CERT_FILE"] = cert_file
    started = time.perf_counter()
    process = subprocess.Popen([bootstrap], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not server.polled.wait(10):
            process.kill()
            _, err = process.communicate()
            raise SystemExit(
                f"coldstart: {bootstrap} did not poll the runtime API within 10 s "
                f"(exit {process.returncode}): {err.decode(errors='replace')[-2000:]}"
            )
        return (server.polled_at - started) * 1000.0
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        server.shutdown()
        server.server_close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bootstrap", required=True, help="the bootstrap binary to start")
    parser.add_argument("--function", default="log-messages", help="AWS_LAMBDA_FUNCTION_NAME")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    bootstrap = os.path.abspath(args.bootstrap)
    size = os.path.getsize(bootstrap)

    bundle = next((b for b in BUNDLES if os.path.isfile(b)), None)
    layouts = [("one bundle file (as provided.al2023)", bundle)] if bundle else []
    layouts.append(("this machine's certificate directory", None))

    print(f"bootstrap: {args.bootstrap} ({size:,} bytes, {size / 2**20:.1f} MiB)")
    print(f"cold start, process start -> first poll of the runtime API, median of {args.runs} starts:")
    for label, cert_file in layouts:
        one_start(bootstrap, args.function, cert_file)  # warm-up: the files in the page cache
        times = sorted(one_start(bootstrap, args.function, cert_file) for _ in range(args.runs))
        median = statistics.median(times)
        p90 = times[min(len(times) - 1, int(round(0.9 * (len(times) - 1))))]
        verdict = "ok" if median <= TARGET_MS else "ABOVE TARGET"
        where = f" ({cert_file})" if cert_file else ""
        print(f"  {label}{where}:")
        print(
            f"    median {median:.2f} ms   p90 {p90:.2f} ms   min {times[0]:.2f} ms   "
            f"max {times[-1]:.2f} ms   target <= {TARGET_MS:.0f} ms: {verdict}"
        )


if __name__ == "__main__":
    main()
