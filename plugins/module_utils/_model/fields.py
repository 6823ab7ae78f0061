"""Small field readers shared by the cluster and package validators.

Each reader takes the :class:`~.errors.Problems` collector, the field path used in
messages and the raw value; it returns the normalized value, or ``None`` after recording
an error. Values may come from YAML (typed) or from an INI inventory (strings), so
booleans and integers also accept their usual string spellings.
"""

import re

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
HOST_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
PATH_RE = re.compile(r"^/[A-Za-z0-9._/+:@=-]*$")

_TRUE = ("yes", "true", "on", "1", "y")
_FALSE = ("no", "false", "off", "0", "n")


def join(path, key):
    """``join('cluster_', 'nodes') == 'cluster_nodes'``; ``join('a[0]', 'b') == 'a[0].b'``."""
    if not path or path.endswith("_"):
        return path + key
    return path + "." + key


def index(path, i):
    return "{0}[{1}]".format(path, i)


def check_mapping(problems, path, value, allowed, required=()):
    """Record an error for a non-mapping, for unknown keys and for missing required keys.

    Returns True when ``value`` is a mapping (even if some keys were wrong), so callers
    can go on reading the known fields and report more problems at once.
    """
    if not isinstance(value, dict):
        problems.error(path, "must be a mapping, got {0}".format(type_name(value)))
        return False
    for key in value:
        if key not in allowed:
            problems.error(join(path, str(key)), "unknown field (allowed: {0})".format(", ".join(sorted(allowed))))
    for key in required:
        if value.get(key) is None:
            problems.error(join(path, key), "is required")
    return True


def type_name(value):
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def read_bool(problems, path, value, default):
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    problems.error(path, "must be a boolean (true/false), got {0!r}".format(value))
    return None


def read_int(problems, path, value, default, low=None, high=None, unit=""):
    """An integer in ``[low, high]``; ``None`` means the default."""
    if value is None:
        return default
    number = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and re.match(r"^-?[0-9]+$", value.strip()):
        number = int(value.strip())
    if number is None:
        problems.error(path, "must be an integer{0}, got {1!r}".format(" (" + unit + ")" if unit else "", value))
        return None
    suffix = " " + unit if unit else ""
    if low is not None and number < low:
        problems.error(path, "{0}{1} is below the minimum {2}{1}".format(number, suffix, low))
        return None
    if high is not None and number > high:
        problems.error(path, "{0}{1} is above the maximum {2}{1}".format(number, suffix, high))
        return None
    return number


def read_choice(problems, path, value, choices, default):
    if value is None:
        return default
    text = str(value).strip().lower() if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text not in choices:
        problems.error(path, "{0!r} is not one of {1}".format(value, ", ".join(choices)))
        return None
    return text


def read_name(problems, path, value, max_len, what="name"):
    """A name safe for every tool it reaches: ``[A-Za-z0-9][A-Za-z0-9_-]*``, bounded length."""
    if not isinstance(value, str) or not value:
        problems.error(path, "{0} must be a non-empty string, got {1}".format(what, type_name(value)))
        return None
    if not NAME_RE.match(value):
        problems.error(
            path,
            "{0!r} is not a valid {1}: use letters, digits, '-' and '_', starting with a letter or digit".format(
                value, what
            ),
        )
        return None
    if len(value) > max_len:
        problems.error(path, "{0!r} is longer than {1} characters".format(value, max_len))
        return None
    return value


def read_path(problems, path, value, what="path"):
    if not isinstance(value, str) or not PATH_RE.match(value) or "/../" in value + "/":
        problems.error(path, "{0!r} is not a valid absolute {1} (no spaces, quotes or shell characters)".format(
            value, what))
        return None
    return value


def read_list(problems, path, value, allow_empty=True):
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        problems.error(path, "must be a list, got {0}".format(type_name(value)))
        return None
    if not allow_empty and not value:
        problems.error(path, "must not be empty")
        return None
    return list(value)
