"""Band expressions for multi-band styles: ``VV``, ``db(VV)``, ``db(VV) / db(VH)``.

A small, closed language parsed with Python's own parser and checked node by node: band
names, numbers, ``db(x)`` (10·log10 of x), ``log10(x)``, and the operators ``+ - * /``.
Nothing is evaluated by Python: the tree is compiled into GDAL VRT pixel functions by the
views (:mod:`services.index.views`) and can be applied to arrays for tests
(:meth:`Expression.evaluate`).
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

FUNCTIONS = ("db", "log10")
OPERATORS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}


class ExpressionError(ValueError):
    """The text is not an expression of this language."""


@dataclass(frozen=True)
class Band:
    name: str


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Call:
    function: str
    argument: Node


@dataclass(frozen=True)
class Operation:
    operator: str
    left: Node
    right: Node


Node = Band | Number | Call | Operation


@dataclass(frozen=True)
class Expression:
    text: str
    root: Node

    def bands(self) -> set[str]:
        return set(_bands(self.root))

    def evaluate(self, bands: Mapping[str, np.ndarray]) -> np.ndarray:
        """The expression over arrays of physical values (float64)."""
        return _evaluate(self.root, bands)


def parse_expression(text: str) -> Expression:
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"'{text}' is not an expression: {error.msg}") from None
    return Expression(text, _node(tree.body, text))


def _node(node: ast.AST, text: str) -> Node:
    if isinstance(node, ast.Name):
        return Band(node.id)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and \
            not isinstance(node.value, bool):
        return Number(float(node.value))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
            node.func.id in FUNCTIONS and len(node.args) == 1 and not node.keywords:
        return Call(node.func.id, _node(node.args[0], text))
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        return Operation(OPERATORS[type(node.op)], _node(node.left, text),
                         _node(node.right, text))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return Operation("*", Number(-1.0), _node(node.operand, text))
    functions = ", ".join(f"{name}()" for name in FUNCTIONS)
    raise ExpressionError(f"'{text}': only band names, numbers, {functions} and + - * / are "
                          "allowed")


def _bands(node: Node):
    if isinstance(node, Band):
        yield node.name
    elif isinstance(node, Call):
        yield from _bands(node.argument)
    elif isinstance(node, Operation):
        yield from _bands(node.left)
        yield from _bands(node.right)


def _evaluate(node: Node, bands: Mapping[str, np.ndarray]) -> np.ndarray:
    if isinstance(node, Band):
        return np.asarray(bands[node.name], dtype=np.float64)
    if isinstance(node, Number):
        return np.asarray(node.value)
    if isinstance(node, Call):
        with np.errstate(divide="ignore", invalid="ignore"):
            logarithm = np.log10(np.abs(_evaluate(node.argument, bands)))
        return 10.0 * logarithm if node.function == "db" else logarithm
    left, right = _evaluate(node.left, bands), _evaluate(node.right, bands)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {"+": np.add, "-": np.subtract, "*": np.multiply,
                "/": np.divide}[node.operator](left, right)
