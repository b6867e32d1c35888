"""Input checks shared by the computing modules: each raises ``ValueError`` with a sentence a
learner understands ("servers must be at least 1, got 0")."""

from __future__ import annotations

import math
import numbers

import numpy as np


def show(value: object) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return repr(value) if isinstance(value, str) else str(value)


def number(name: str, value: object) -> float:
    """A finite real number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a number, got {show(value)}")
    x = float(value)
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"{name} must be a finite number, got {show(value)}")
    return x


def positive(name: str, value: object) -> float:
    x = number(name, value)
    if x <= 0:
        raise ValueError(f"{name} must be greater than 0, got {show(value)}")
    return x


def non_negative(name: str, value: object) -> float:
    x = number(name, value)
    if x < 0:
        raise ValueError(f"{name} must be 0 or more, got {show(value)}")
    return x


def whole(name: str, value: object, minimum: int) -> int:
    x = number(name, value)
    if not x.is_integer():
        raise ValueError(f"{name} must be a whole number, got {show(value)}")
    if x < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {show(value)}")
    return int(x)
