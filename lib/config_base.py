"""What every settings model shares: a bad value is a ``ConfigError`` in words, and copies with changes.

pydantic checks each value against its model (type, ``Field`` limits, choices); this module turns what
it found into sentences naming the setting as it is written in the secrets file (``link_attempts``,
``google.timeout_seconds``), with the allowed range or kind, and never a secret value nor pydantic's
own text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Self, get_args

import annotated_types
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError, ValidatorFunctionWrapHandler, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails, PydanticCustomError

from lib.errors import ConfigError

ENV_PREFIX = "CALLEXPERT_"


class BadSetting(ConfigError):
    """A setting with a value the console refuses; ``names`` are the settings at fault
    (``link_attempts``, ``google.timeout_seconds``)."""

    def __init__(self, message: str, names: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.names = tuple(names)


def env_name(setting: str) -> str:
    """The environment variable of a setting: ``google.timeout_seconds`` -> ``CALLEXPERT_GOOGLE_TIMEOUT_SECONDS``."""
    return ENV_PREFIX + setting.replace(".", "_").upper()


def refuse(rest: str) -> PydanticCustomError:
    """The error a validator raises for a value it refuses; ``rest`` follows "Setting `name`" in the
    message, e.g. ``" is 'x', which is not an email address."``."""
    return PydanticCustomError("setting", "{rest}", {"rest": rest})


def check_words(model: type[BaseModel], table: str, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Validate ``data`` for ``model``; what pydantic refuses becomes a ``BadSetting`` in words.

    A table's own errors are worded by the table's model (``table`` is its name in the file), so they
    reach the caller before the top level's; one message at a time, as the console starts.
    """
    try:
        return handler(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        names = [_name(table, e["loc"]) for e in errors]
        sentences = [_sentence(name, e, _field(model, e["loc"])) for name, e in zip(names, errors, strict=True)]
        raise BadSetting(" ".join(dict.fromkeys(sentences)), names) from None


class SettingsTable(BaseModel):
    """A ``[table]`` of the secrets file: frozen, its keys only, a bad value a ``ConfigError``."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    table: ClassVar[str] = ""

    @model_validator(mode="wrap")
    @classmethod
    def _in_words(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        return check_words(cls, cls.table, data, handler)

    def with_changes(self, **changes: Any) -> Self:
        """A copy with ``changes``, checked like the original (``ConfigError`` for a bad value)."""
        return type(self)(**{**current_values(self), **changes})


def current_values(model: BaseModel) -> dict[str, Any]:
    """The model's fields and values, nested models as they are (not turned into dicts)."""
    return {name: getattr(model, name) for name in type(model).model_fields}


def join_list(raw: Any) -> Any:
    """A list setting written as a TOML list becomes the comma-separated text it can also be written as."""
    return ",".join(str(item) for item in raw) if isinstance(raw, (list, tuple)) else raw


# -- words ------------------------------------------------------------------------------------------

_KINDS = {
    "int_parsing": "a whole number", "int_type": "a whole number", "int_from_float": "a whole number",
    "float_parsing": "a number", "float_type": "a number", "finite_number": "a number",
    "bool_parsing": "true or false", "bool_type": "true or false",
    "string_type": "text", "tuple_type": "a list", "list_type": "a list",
}
_TABLE_KINDS = ("model_type", "model_attributes_type", "dict_type")
_LIMITS = ("greater_than_equal", "greater_than", "less_than_equal", "less_than")


def _name(table: str, loc: tuple[int | str, ...]) -> str:
    keys = [str(part) for part in loc if isinstance(part, str)]
    return ".".join([table, *keys] if table else keys) or table


def _field(model: type[BaseModel], loc: tuple[int | str, ...]) -> FieldInfo | None:
    """The field a location points to, through nested tables; None for the model itself."""
    field = None
    for part in loc:
        if not isinstance(part, str) or model is None or part not in model.model_fields:
            return field
        field = model.model_fields[part]
        nested = field.annotation
        model = nested if isinstance(nested, type) and issubclass(nested, BaseModel) else None  # type: ignore[assignment]
    return field


def _sentence(name: str, error: ErrorDetails, field: FieldInfo | None) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    secret = field is not None and field.annotation is SecretStr
    got = "" if secret or kind in _TABLE_KINDS else f"; got {error['input']!r}"
    if kind == "setting":
        return f"Setting `{name}`{ctx['rest']}"
    if kind in _LIMITS and field is not None:
        return f"Setting `{name}` {_range(field)}{got}."
    if kind == "literal_error" and field is not None:
        choices = ", ".join(str(c) for c in get_args(field.annotation))
        return f"Setting `{name}` is {error['input']!r}; choose one of: {choices}."
    if kind in _KINDS:
        return f"Setting `{name}` must be {_KINDS[kind]}{got}."
    if kind in _TABLE_KINDS:
        return f"`{name}` must be a table: write it as [{name}] with keys below it."
    if kind == "extra_forbidden":
        return f"`{name}` is not a setting."
    return f"Setting `{name}` has a value of the wrong kind{got}."


def _range(field: FieldInfo) -> str:
    """The allowed range in words, from the field's ``Field(ge=..., le=...)`` limits."""
    limits: dict[str, Any] = {}
    for item in field.metadata:
        for kind in ("ge", "gt", "le", "lt"):
            if isinstance(item, getattr(annotated_types, kind.capitalize())):
                limits[kind] = _number(getattr(item, kind))
    ge, gt, le, lt = (limits.get(k) for k in ("ge", "gt", "le", "lt"))
    low = f"at least {ge}" if ge is not None else f"more than {gt}" if gt is not None else ""
    high = f"at most {le}" if le is not None else f"less than {lt}" if lt is not None else ""
    if ge is not None and le is not None:
        return f"must be from {ge} to {le}"
    if ge == 0 and not high:
        return "cannot be negative"
    return "must be " + " and ".join(part for part in (low, high) if part)


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, float) and value.is_integer() else value

