"""Run a sweep on a Ray cluster: each run is one Ray task with one CPU.

The executor only moves runs and results, like `LocalExecutor`:
the runner stores each result in the crash-safe store as it arrives and writes the summary and the
report, so they are the same as with the local executor for the same seeds (a run's numbers depend
only on its config and seed, never on the process or machine it ran in).

What is retried, and why nothing is counted twice:

* a worker process that dies mid-run (a crash, ``os._exit``, the OOM killer, a lost node): Ray runs
  the task again, up to ``max_retries`` times. A run is a pure function of its config, so a retry
  gives the same result, and a task's result reaches the runner once, whatever the number of
  attempts: the runner stores one result per run, under the run's key.
* retries exhausted: the run becomes ``{"status": "failed", "reason": ...}``, like a run whose
  trainer raised. The store does not treat ``failed`` as final, so the next ``rnninit run`` tries it
  again; the other runs of the sweep are unaffected.
* an exception inside a run is not retried by Ray: `execute_run`
  records it as ``failed`` (see above).

Ray is an optional dependency (``pip install 'rnninit[ray]'``); it is imported when a
`RayExecutor` is made, never at import time of this module.

The workers run the driver's copy of ``rnninit``: when the executor connects to Ray itself, it ships
the package with the job (Ray's ``runtime_env={"py_modules": [rnninit]}``), so a cluster whose nodes
have another version installed (or none) still computes with the same code as the driver. The
nodes need rnninit's dependencies (torch, numpy, pyyaml) and the driver's Ray version.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import time
from collections.abc import Callable, Iterator, Sequence

from rnninit.arguments import check_integer
from rnninit.errors import Arg, ConfigError, RayConnectionError, RayNotInstalledError
from rnninit.experiments.executor import Executor

INSTALL_HINT = "pip install 'rnninit[ray]'"
#: ``HOST:PORT`` (a cluster's GCS, e.g. port 6379) or ``ray://HOST:PORT`` (Ray Client, e.g. port 10001).
ADDRESS = re.compile(r"(?:ray://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s:/\[\]]+):(?P<port>\d{1,5})")
#: Seconds to wait for a TCP connection to the cluster before giving up (Ray itself waits for minutes).
REACH_TIMEOUT_S = 10.0
#: After cancelling, how long to wait for a cancelled run to report that it stopped before cancelling
#: it again, and how long in all before giving up (with a warning) on a run that will not stop.
CANCEL_RETRY_S = 1.0
CANCEL_TIMEOUT_S = 60.0

logger = logging.getLogger(__name__)


def import_ray():
    """Import Ray, or raise `RayNotInstalledError` saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise RayNotInstalledError(
            f"the ray executor needs Ray, which is not installed ({exc}); install it with: {INSTALL_HINT}"
        ) from None
    return ray


class RayExecutor(Executor):
    """Runs each run as a Ray task (``num_cpus=1``) and yields results in completion order.

    Where the tasks run:

    * Ray already initialized in this process (``ray.init`` called by the user): that connection is
      used as is and left open. The caller makes rnninit importable on the workers (installed on the
      nodes, or ``runtime_env={"py_modules": [rnninit]}`` in ``ray.init``).
    * ``address`` given (``"auto"``, ``"HOST:6379"`` or ``"ray://HOST:10001"``), or else the
      ``RAY_ADDRESS`` environment variable: connect to that cluster; ``workers`` is not used, every
      CPU of the cluster can take a run.
    * otherwise: start a private local Ray instance with ``workers`` CPUs (shut down by `close`).

    ``max_retries``: how many times a run is started again after its worker process died.
    ``function``: what each task calls on a run dict (default
    `execute_run`); it must be importable or picklable by value
    on the workers.
    """

    name = "ray"

    def __init__(
        self,
        workers: int = 2,
        address: str | None = None,
        max_retries: int = 3,
        function: Callable[[dict], dict] | None = None,
    ):
        workers = check_integer(workers, Arg("workers"), error=ConfigError, minimum=1)
        max_retries = check_integer(max_retries, Arg("max_retries"), error=ConfigError, minimum=0)
        if address is not None and not isinstance(address, str):
            raise ConfigError(
                Arg("address"), f" must be a string such as 'auto' or 'HOST:6379', got {address!r}"
            )
        self.ray = import_ray()
        self.workers = workers
        self.address = address or os.environ.get("RAY_ADDRESS") or None
        if self.address is not None:
            check_address(self.address)
        self.max_retries = max_retries
        if function is None:
            from rnninit.experiments.worker import execute_run  # torch is imported only when runs execute

            function = execute_run
        self.function = function
        self._started_here = False

    def _connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        import rnninit

        options = {"runtime_env": {"py_modules": [rnninit]}, "logging_level": logging.WARNING}
        if self.address is None:
            options.update(address="local", num_cpus=self.workers, include_dashboard=False)
        else:
            options.update(address=self.address)
        try:
            ray.init(**options)
        except (OSError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {self.address!r}" if self.address else "a local Ray instance"
            hint = ""
            if self.address not in (None, "auto") and "RAY_AUTH_MODE" not in os.environ:
                hint = (
                    "; if the cluster uses token authentication (the default of `ray start` since "
                    "Ray 2.59), set RAY_AUTH_MODE=token and give this machine the head's token "
                    "(`ray get-auth-token` there) in ~/.ray/auth_token or RAY_AUTH_TOKEN"
                )
            raise RayConnectionError(f"cannot connect to {where}: {exc}{hint}") from None
        self._started_here = True

    def map(self, runs: Sequence[dict]) -> Iterator[tuple[int, dict]]:
        if not runs:
            return
        ray = self.ray
        self._connect()
        task = ray.remote(num_cpus=1, max_retries=self.max_retries, retry_exceptions=False)(_call)
        function = ray.put(self.function)
        index_of = {task.remote(function, run): index for index, run in enumerate(runs)}
        pending = list(index_of)
        try:
            while pending:
                ready, pending = ray.wait(pending, num_returns=1)
                for ref in ready:
                    yield index_of[ref], self._result(ref)
        finally:
            if pending:  # the caller stopped early (an interrupt): free the cluster
                self._cancel(pending)

    def _cancel(self, refs: list) -> None:
        """Cancel the runs behind ``refs`` and wait until each has stopped.

        ``force=True``: a worker busy in a C call ignores a polite cancel. A cancel can also be
        lost: Ray forwards it to the worker the task was pushed to, and when it arrives before the
        task itself the worker does not know the task, drops the cancel, and then runs the task to
        its end (holding its CPU for a whole run). So a run that has not stopped within
        `CANCEL_RETRY_S` is cancelled again; by then the worker has it, and kills it.
        """
        ray = self.ray
        deadline = time.monotonic() + CANCEL_TIMEOUT_S
        while refs:
            for ref in refs:
                ray.cancel(ref, force=True)
            _, refs = ray.wait(refs, num_returns=len(refs), timeout=CANCEL_RETRY_S, fetch_local=False)
            if refs and time.monotonic() > deadline:
                logger.warning(
                    "%d cancelled Ray task(s) did not stop within %.0f s", len(refs), CANCEL_TIMEOUT_S
                )
                return

    def _result(self, ref) -> dict:
        """The task's result; a task Ray gave up on (retries exhausted) becomes a failed run."""
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:
            return {"status": "failed", "reason": f"{type(exc).__name__}: {exc}"}

    def close(self) -> None:
        if self._started_here and self.ray.is_initialized():
            self.ray.shutdown()
        self._started_here = False


def check_address(address: str) -> None:
    """Check that ``address`` is ``auto`` or ``[ray://]HOST:PORT`` and that something listens there.

    Ray's own connection attempt to a wrong host or port waits for minutes; this fails in seconds
    with a message that names the address. ``auto`` (the cluster started by ``ray start`` on this
    machine) is left to Ray, which fails at once when there is none.
    """
    if address == "auto":
        return
    match = ADDRESS.fullmatch(address)
    if match is None:
        raise ConfigError(
            Arg("address"),
            f" {address!r} is not a Ray address; valid: 'auto', HOST:PORT "
            f"(e.g. 10.0.0.5:6379, the head node's `ray start --head` port) or ray://HOST:PORT",
        )
    host, port = match["host"].strip("[]"), int(match["port"])
    try:
        socket.create_connection((host, port), timeout=REACH_TIMEOUT_S).close()
    except OSError as exc:
        raise RayConnectionError(
            f"cannot reach the Ray cluster at {address!r} ({exc}); is "
            f"`ray start --head` running there, and is port {port} open to this machine?"
        ) from None


def _call(function: Callable[[dict], dict], run: dict) -> dict:
    """The body of every Ray task (a plain function, so that ``function`` may be any callable)."""
    return function(run)
