"""Probe results shared by every server process on the machine: one .npz file per `ProbeConfig`, on disk.

    cache = DiskCache(directory)                        # `make class` sets $GRADIENT_FLOW_PROBE_CACHE for it
    r = cache.get_or_compute(cfg, lambda: freeze(probe(cfg)))

Under `make class` N Streamlit processes serve one class, and most students ask for the same settings. Each
process keeps its own in-memory cache (`ui.cache.cached_probe`, 12 results); this layer below it makes a probe
computed by one process a file read (1-6 ms at the defaults) for the others, and keeps the Jacobian norms
(the costliest part) beside it once any process has computed them.

- **Format:** `models.result_file` (arrays and a JSON header; `np.load(allow_pickle=False)`, never a pickle).
  The file name is a hash of the config and of the engine's own source (`models/*.py`), torch's and numpy's
  versions: results of an older engine are never read, and age out.
- **Once per machine:** a miss takes a per-key lock (`fcntl.flock` on one of LOCKS lock files) and looks again
  before computing, so two processes asking at once compute once; the second reads the first's file. The kernel
  drops a dead process's locks, so a killed process never wedges the others. A wait for a lock gives up after
  LOCK_WAIT_S and computes anyway.
- **In the background:** a computed result is handed to a writer thread, which keeps the key's lock until the file
  is written; the page that asked does not wait for the disk.
- **Atomic:** a file is written under a temporary name in the same directory, then renamed over its final name:
  a reader sees a whole file or none. A file that does not read (damaged, or another config under a colliding
  name) is a miss.
- **Bounded:** after a write, if the directory holds more than `max_bytes`, the least recently used entries
  (a read refreshes a file's mtime) are deleted down to 80% of it; a result bigger than a quarter of the cap is
  not written. The directory is listed at most every EVICT_EVERY_S, or once this process has written a tenth of
  the cap since (listing it cost about 1 ms a write), so it may pass the cap by that much for a while.
  Temporary files of a writer that died are removed after an hour.
- **Its cost:** a stored result costs about 6 ms of CPU (LSTM, GRU, RNN at T <= 300, H <= 64, B <= 16; mostly
  copying its megabytes into the page cache). When nothing is shared (30 explorer clients, each at its own seed:
  every change a miss), one process spent 122 instead of 90 ms of CPU a change with the cache and answered at p95
  in 452 instead of 250 ms (`--no-probe-cache`, one run each). A class shares its probes: each is computed once.
Why not `diskcache`: its values are pickles unless stored as raw bytes, its cross-process `Lock` is a row in its
database that a killed process leaves behind (until an expiry), and eviction of whole files by mtime is a few
lines here. This module needs no package beyond the standard library and numpy.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
import weakref
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from models import ProbeConfig, ProbeResult
from models import result_file

ENV_DIR = "GRADIENT_FLOW_PROBE_CACHE"
ENV_MAX_MB = "GRADIENT_FLOW_PROBE_CACHE_MB"
DEFAULT_MAX_MB = 2048
LOCKS = 64  # lock files: keys share them by hash (a rare false wait, and the directory stays small)
LOCK_WAIT_S = 300.0
STALE_TMP_S = 3600.0
EVICT_EVERY_S = 30.0
ENGINE_DIR = Path(__file__).resolve().parent.parent / "models"


def engine_version() -> str:
    """A digest of what a cached result depends on: the engine's source, torch's and numpy's versions."""
    digest = hashlib.sha256(f"{torch.__version__} {np.__version__} {result_file.FORMAT}".encode())
    for path in sorted(ENGINE_DIR.rglob("*.py")):
        digest.update(path.relative_to(ENGINE_DIR).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


class FileLock:
    """An exclusive flock on a file, polled for until `wait` s have passed (`taken` says whether it was got);
    `release()` may come from another thread (the writer's). The kernel drops it if the process dies."""

    def __init__(self, path: Path, wait: float = LOCK_WAIT_S):
        self.handle, self.taken = open(path, "a+b"), False
        deadline, pause = time.monotonic() + wait, 0.002
        while True:
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self.taken = True
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(pause)
                pause = min(0.05, pause * 2)

    def release(self) -> None:
        if self.handle is not None:
            self.handle.close()  # closing the file drops its lock
            self.handle = None

    def __enter__(self) -> "FileLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


class DiskCache:
    """One directory of probe results; see the module docstring. `computed` counts this object's computations."""

    def __init__(self, directory: str | os.PathLike, max_bytes: int | None = None):
        self.directory = Path(directory).expanduser()
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "locks").mkdir(exist_ok=True)
        self.max_bytes = max_bytes or int(float(os.environ.get(ENV_MAX_MB) or DEFAULT_MAX_MB) * 2 ** 20)
        self.version = engine_version()
        self.computed = 0
        self._mine = weakref.WeakValueDictionary()  # key -> the result this object handed out for it
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="probe-cache-writer")
        self._last_scan, self._written = float("-inf"), 0  # when evict() last listed the directory; bytes since

    def key(self, cfg: ProbeConfig) -> str:
        text = json.dumps(cfg.to_dict(), sort_keys=True) + self.version
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    def _entry(self, key: str) -> Path:
        return self.directory / f"{key}.npz"

    def _jacobian_file(self, key: str) -> Path:
        return self.directory / f"{key}.jac.npy"

    def _key_lock(self, key: str) -> Path:
        """The lock file of a key (shared with the keys that map to the same one)."""
        return self.directory / "locks" / f"{int(key[:8], 16) % LOCKS:02d}.lock"

    def _read(self, key: str, cfg: ProbeConfig) -> ProbeResult | None:
        entry = self._entry(key)
        try:
            r = result_file.read(entry, cfg)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError):
            with contextlib.suppress(OSError):
                entry.unlink()  # damaged: the next writer replaces it
            return None
        if r is None:
            return None
        with contextlib.suppress(OSError):
            os.utime(entry)  # recently used: evicted last
        if r._jacobian_norm is None:
            self.attach_jacobian_norm(r)
        return r

    def _write_atomic(self, final: Path, save: Callable) -> None:
        tmp = final.with_name(f".{final.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        try:
            with open(tmp, "wb") as out:
                save(out)
            os.replace(tmp, final)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()

    def get_or_compute(self, cfg: ProbeConfig, compute: Callable[[], ProbeResult]) -> ProbeResult:
        """The result for cfg from disk, or compute() (once per machine: under the key's lock) and stored.

        The file is written by a background thread, which holds the key's lock until it is there (another process
        asking meanwhile waits for the file, not computes): storing a result costs about what computing it did
        (LSTM at T = 300, H = 64, B = 16: probe 48 ms, 21 MB written in 49 ms), so the caller does not wait."""
        key = self.key(cfg)
        r = self._read(key, cfg)
        if r is None:
            lock = FileLock(self._key_lock(key))
            try:
                r = self._read(key, cfg)  # written by another process while this one waited
                if r is None:
                    r = compute()
                    self.computed += 1
                    if _nbytes(r) <= self.max_bytes // 4:
                        self._writer.submit(self._store, key, r, lock)
                        lock = None  # released by the writer once the file is there
            finally:
                if lock is not None:
                    lock.release()
        self._mine[key] = r
        return r

    def _store(self, key: str, r: ProbeResult, lock: FileLock) -> None:
        try:
            self._write_atomic(self._entry(key), lambda out: result_file.write(r, out))
            with contextlib.suppress(OSError):
                self._written += self._entry(key).stat().st_size
            if self._written > self.max_bytes // 10 or time.monotonic() - self._last_scan > EVICT_EVERY_S:
                self.evict()
        finally:
            lock.release()

    def flush(self) -> None:
        """Wait until every result handed to the writer is on disk."""
        self._writer.submit(lambda: None).result()

    def owns(self, r: ProbeResult) -> bool:
        """Whether r is a result this cache handed out (not, say, an uploaded model's with the same config)."""
        return self._mine.get(self.key(r.config)) is r

    def attach_jacobian_norm(self, r: ProbeResult) -> bool:
        """Set r's Jacobian norms from disk if another process stored them; whether r has them now."""
        if r._jacobian_norm is not None:
            return True
        try:
            norm = result_file.read_norm(self._jacobian_file(self.key(r.config)))
            result_file.with_jacobian_norm(r, norm)
        except (OSError, ValueError):
            return False
        return True

    def store_jacobian_norm(self, r: ProbeResult) -> None:
        """Write r's (computed) Jacobian norms beside its entry, for the other processes."""
        path = self._jacobian_file(self.key(r.config))
        if r._jacobian_norm is not None and not path.exists():
            self._write_atomic(path, lambda out: result_file.write_norm(r._jacobian_norm, out))

    def jacobian_once(self, r: ProbeResult, compute: Callable[[], object]) -> None:
        """r's Jacobian norms from disk, or compute() under r's key lock (computing r's memo) and stored: two
        processes warming up at once compute them once."""
        if self.attach_jacobian_norm(r):
            return
        with FileLock(self._key_lock(self.key(r.config))):
            if not self.attach_jacobian_norm(r):
                compute()
                self.store_jacobian_norm(r)

    def evict(self) -> None:
        """Delete least recently used entries (and their Jacobian files) down to 80% of max_bytes; stale temporaries."""
        with FileLock(self.directory / "locks" / "evict.lock", wait=0) as lock:
            if not lock.taken:
                return  # another process is evicting
            self._last_scan, self._written = time.monotonic(), 0
            now, entries, total = time.time(), {}, 0
            for path in self.directory.iterdir():
                with contextlib.suppress(OSError):
                    stat = path.stat()
                    if path.name.endswith(".tmp"):
                        if now - stat.st_mtime > STALE_TMP_S:
                            path.unlink()
                        continue
                    if path.suffix not in (".npz", ".npy"):
                        continue
                    key = path.name.split(".", 1)[0]
                    mtime, size = entries.get(key, (0.0, 0))
                    entries[key] = (max(mtime, stat.st_mtime), size + stat.st_size)
                    total += stat.st_size
            if total <= self.max_bytes:
                return
            for key, (_, size) in sorted(entries.items(), key=lambda kv: kv[1][0]):
                for path in (self._entry(key), self._jacobian_file(key)):
                    with contextlib.suppress(OSError):
                        path.unlink()
                total -= size
                if total <= 0.8 * self.max_bytes:
                    break


def _nbytes(r: ProbeResult) -> int:
    """About the size of r's file: its arrays, and the Jacobian's inputs."""
    arrays = [v for v in vars(r).values() if isinstance(v, np.ndarray)] + list(r.gates.values())
    total = sum(a.nbytes for a in arrays)
    if r._jacobian_inputs is not None:
        total += r._jacobian_inputs[0].numel() * r._jacobian_inputs[0].element_size() + total // 2
    return total


_SHARED: dict = {}
_SHARED_LOCK = threading.Lock()


def shared() -> DiskCache | None:
    """This process's cache on $GRADIENT_FLOW_PROBE_CACHE (set by `make class`), or None when it is not set."""
    directory = os.environ.get(ENV_DIR)
    if not directory:
        return None
    with _SHARED_LOCK:
        if directory not in _SHARED:
            _SHARED[directory] = DiskCache(directory)
        return _SHARED[directory]
