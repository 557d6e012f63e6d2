"""The processes of ``wps_processes/``, loaded once, and their inputs checked against the
JSON Schema each one declares."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType, ModuleType

import jsonschema

import wps_processes
from services.errors import InvalidParameterValue, MissingParameterValue
from services.processing.context import Context


@dataclass(frozen=True)
class Process:
    """One process module: its metadata, ``plan`` and ``run``."""

    module: ModuleType

    @property
    def id(self) -> str:
        return self.metadata["id"]

    @property
    def metadata(self) -> dict:
        return self.module.PROCESS_METADATA

    def plan(self, inputs: dict, context: Context) -> object:
        """The bounded work (checks the inputs against the registry, the index, the limits)."""
        return self.module.plan(inputs, context)

    def run(self, work: object, context: Context) -> dict:
        return self.module.run(work, context)

    def task_memory(self, work: object) -> int | None:
        """Bytes the largest task of ``work`` needs on a Dask worker, as the module estimates
        it (``task_memory(plan)``); None for a process without an estimate (its tasks are
        kept small by its own limits)."""
        estimate = getattr(self.module, "task_memory", None)
        return int(estimate(work)) if estimate else None

    @cached_property
    def validators(self) -> dict[str, jsonschema.protocols.Validator]:
        """One validator an input, its schema checked once (validating with
        ``jsonschema.validate`` checks the schema again on every call: ~9 ms a request)."""
        validators = {}
        for name, spec in self.metadata["inputs"].items():
            kind = jsonschema.validators.validator_for(spec["schema"])
            kind.check_schema(spec["schema"])
            validators[name] = kind(spec["schema"])
        return validators

    def text(self, key: str, language: str = "en") -> str:
        texts = self.metadata[key]
        return texts.get(language, texts["en"])

    def check(self, inputs: object) -> dict:
        """``inputs`` if they are what the process declares; else a client error naming the
        input at fault. Unknown inputs are refused too (a typo is not silently ignored)."""
        if not isinstance(inputs, dict):
            raise InvalidParameterValue("inputs must be a JSON object", "inputs")
        declared = self.metadata["inputs"]
        for name in inputs:
            if name not in declared:
                raise InvalidParameterValue(f"unknown input '{name}' (inputs of {self.id}: "
                                            f"{', '.join(declared)})", name)
        for name, spec in declared.items():
            if name not in inputs:
                if spec.get("minOccurs", 1) > 0:
                    raise MissingParameterValue(f"input '{name}' is required", name)
                continue
            error = jsonschema.exceptions.best_match(
                self.validators[name].iter_errors(inputs[name]))
            if error is not None:
                raise InvalidParameterValue(f"input '{name}': {error.message}", name)
        return inputs


@dataclass(frozen=True)
class Catalog:
    processes: MappingProxyType[str, Process]

    def get(self, process_id: str) -> Process | None:
        return self.processes.get(process_id)


def load(modules: tuple[str, ...] = wps_processes.MODULES) -> Catalog:
    processes = {}
    for name in modules:
        process = Process(importlib.import_module(f"wps_processes.{name}"))
        processes[process.id] = process
    return Catalog(MappingProxyType(processes))
