"""Run the embedded FerretDB (SQLite backend) on loopback for `make run` and the tests."""
import socket
import subprocess
import time
from pathlib import Path

from adminapp.config import PROJECT_DIR

BINARY = PROJECT_DIR / ".tools" / "bin" / "ferretdb"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedFerretDB:
    """A FerretDB process with its data in one directory, stopped cleanly on exit."""

    def __init__(self, data_dir, port=None, log_path=None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.log_path = Path(log_path) if log_path else self.data_dir / "ferretdb.log"
        self.process = None

    def uri(self, database):
        return f"mongodb://127.0.0.1:{self.port}/{database}"

    def start(self, timeout=30):
        if not BINARY.exists():
            raise RuntimeError(f"FerretDB is not installed at {BINARY}; run scripts/bootstrap.sh")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [str(BINARY), "--handler=sqlite", f"--sqlite-url=file:{self.data_dir}/",
             f"--listen-addr=127.0.0.1:{self.port}", f"--state-dir={self.data_dir}",
             "--debug-addr=-", "--telemetry=disable", "--log-level=warn"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"FerretDB exited early; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"FerretDB did not start within {timeout}s; see {self.log_path}")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
