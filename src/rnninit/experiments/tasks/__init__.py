"""Long-memory tasks, by name: ``make_task({"name": "adding", "length": 100})``."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from rnninit.errors import ConfigError, did_you_mean, one_of, shown
from rnninit.experiments.tasks.adding import Adding
from rnninit.experiments.tasks.base import Batch, Task
from rnninit.experiments.tasks.copy import Copy, VariableCopy
from rnninit.experiments.tasks.digits import PermutedDigits, SequentialDigits

TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (Adding, Copy, VariableCopy, SequentialDigits, PermutedDigits)
}


def make_task(config: Mapping[str, Any]) -> Task:
    """Build a task from ``{"name": ..., **arguments}``; a bad name or argument is a `ConfigError`."""
    if not isinstance(config, Mapping) or "name" not in config:
        raise ConfigError(
            f"task must be a mapping with a 'name' (one of {one_of(TASKS)}), got {shown(config)}"
        )
    name = config["name"]
    cls = TASKS.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ConfigError(
            f"unknown task {shown(name)}{did_you_mean(str(name), TASKS)}; valid tasks: {one_of(TASKS)}"
        )
    args = {k: v for k, v in config.items() if k != "name"}
    valid = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    for key in args:
        if key not in valid:
            raise ConfigError(
                f"task {name} has no argument {shown(key)}{did_you_mean(str(key), valid)}; "
                f"valid: {one_of(valid)}"
            )
    try:
        return cls(**args)
    except ValueError as exc:  # the task's own ConfigError, or a value its arithmetic refuses
        raise ConfigError(f"task: {exc}") from None


__all__ = ["TASKS", "Batch", "Task", "make_task"]
