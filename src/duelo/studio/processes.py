"""The jobs the studio started: each a `duelo ...` process of its own (no shell), its output in a log file.

Where: ROOT/.studio-jobs/TIME-NNNN-KIND/ under the studio's first --runs folder holds job.json (the command, when
it started, its exit status once it ends) and log.txt (everything the process printed). The folder is not a run,
so the runs page does not list it; the jobs page lists the jobs of this studio session. A job runs in the folder
the studio was started in, so a relative path typed in a form means what it means there.

Stopping: the first stop sends SIGINT to the job's process group, as Ctrl-C in a terminal would (a training run
saves a checkpoint and ends; re-running it resumes); a second stop of the same job sends SIGKILL. When the studio
itself stops, it sends SIGINT to every job still running, waits up to STOP_WAIT_S seconds for them, and kills
what still runs then.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from duelo.studio.http import StudioError

JOBS_FOLDER = ".studio-jobs"
MAX_RUNNING = 4                    # jobs running at once; a fifth is refused until one ends
LOG_TAIL_BYTES = 16_000            # the end of a log shown on a job's page
STOP_WAIT_S = 30.0


@dataclass
class Job:
    number:   int
    kind:     str
    args:     list[str]                      # after `duelo`
    folder:   Path
    run:      Path | None                    # the run it trains or reads, when there is one
    started:  float
    process:  subprocess.Popen | None = None
    stops:    int = 0
    ended:    float | None = None
    code:     int | None = None
    lock:     threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def command(self) -> str:
        return shlex.join(["duelo", *self.args])

    @property
    def status(self) -> str:
        if self.code is None:
            return "running"
        if self.code == 0:
            return "finished"
        return "stopped" if self.stops else f"failed (exit status {self.code})"

    def log_tail(self) -> str:
        path = self.folder / "log.txt"
        try:
            with open(path, "rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - LOG_TAIL_BYTES))
                return handle.read().decode("utf-8", errors="replace")
        except OSError:
            return ""

    def record(self) -> dict:
        return {"number": self.number, "kind": self.kind, "command": self.command, "args": self.args,
                "run": None if self.run is None else str(self.run), "started": self.started,
                "ended": self.ended, "exit_status": self.code, "status": self.status}


class JobManager:
    """Starts, watches and stops the studio's jobs; thread-safe (the server answers requests in threads)."""

    def __init__(self, root: Path, cwd: Path | None = None):
        self.root = root
        self.cwd = cwd or Path.cwd()            # relative paths in a form mean what they mean where the studio runs
        self.jobs: list[Job] = []
        self._lock = threading.Lock()

    def start(self, kind: str, args: list[str], run: Path | None) -> Job:
        with self._lock:
            running = [job for job in self.jobs if job.code is None]
            if len(running) >= MAX_RUNNING:
                raise StudioError(f"{len(running)} jobs are running already (at most {MAX_RUNNING} at once): wait "
                                  f"for one to end or stop one", 429)
            number = len(self.jobs) + 1
            folder = self.root / JOBS_FOLDER / f"{time.strftime('%Y%m%d-%H%M%S')}-{number:04d}-{kind}"
            folder.mkdir(parents=True, exist_ok=False)
            job = Job(number, kind, args, folder, run, time.time())
            self.jobs.append(job)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        log = None
        try:
            self._write(job)
            log = open(folder / "log.txt", "wb")
            job.process = subprocess.Popen([sys.executable, "-m", "duelo", *args], stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.cwd,
                                           start_new_session=True)
        except BaseException as error:         # the job must not stay "running" without a process
            if log is not None:
                log.close()
            with job.lock:
                job.code, job.ended = -1, time.time()
            try:
                self._write(job)
            except OSError:
                pass
            raise StudioError(f"cannot start `{job.command}`: {error}", 500) from None
        threading.Thread(target=self._wait, args=(job, log), daemon=True).start()
        return job

    def _wait(self, job: Job, log) -> None:
        code = job.process.wait()
        log.close()
        ended = time.time()
        try:                                # job.json first: whoever sees the job end finds its record ended too
            self._write(replace(job, code=code, ended=ended))
        finally:
            with job.lock:
                job.code, job.ended = code, ended

    def _write(self, job: Job) -> None:
        from duelo.io.atomic import atomic_write_json

        atomic_write_json(job.folder / "job.json", job.record())

    def get(self, number: int) -> Job:
        with self._lock:
            if not 1 <= number <= len(self.jobs):
                raise StudioError(f"no job {number} in this studio session", 404)
            return self.jobs[number - 1]

    def listed(self) -> list[Job]:
        with self._lock:
            return list(reversed(self.jobs))

    def stop(self, number: int) -> Job:
        """SIGINT the first time (the job ends as after Ctrl-C), SIGKILL after that."""
        job = self.get(number)
        with job.lock:
            if job.code is not None or job.process is None:
                return job
            job.stops += 1
            chosen = signal.SIGINT if job.stops == 1 else getattr(signal, "SIGKILL", signal.SIGTERM)
            try:
                os.killpg(job.process.pid, chosen) if hasattr(os, "killpg") else job.process.send_signal(chosen)
            except ProcessLookupError:
                pass                                           # it ended meanwhile
        return job

    def stop_all(self, wait_s: float = STOP_WAIT_S) -> list[Job]:
        """At the studio's end: SIGINT to every running job, wait for them (a training run checkpoints), then kill
        what still runs; each job's job.json is written here (the waiting threads may not outlive the studio).
        Returns the jobs that had to be killed."""
        running = [job for job in self.listed() if job.code is None and job.process is not None]
        for job in running:
            self.stop(job.number)
        deadline = time.monotonic() + wait_s
        killed = []
        for job in running:
            try:
                code = job.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.stop(job.number)                        # the second stop: SIGKILL
                killed.append(job)
                code = job.process.wait()
            with job.lock:
                job.code, job.ended = code, job.ended or time.time()
            self._write(job)
        return killed
