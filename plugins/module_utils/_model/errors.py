"""Errors of the model layer.

Validation never stops at the first problem: a :class:`Problems` collector gathers every
violation, each as ``<field path>: <rule>``, and :meth:`Problems.raise_if_any` raises one
:class:`SpecError` carrying all of them, so an operator fixes everything in one go.
"""


class SpecError(ValueError):
    """One or more violations of the input schema or of a cluster rule.

    ``errors`` is the list of messages (each names a field path and the rule);
    ``str()`` joins them with newlines. ``warnings`` holds the warnings gathered
    before the failure, so a caller can still show them.
    """

    def __init__(self, errors, warnings=None):
        if isinstance(errors, str):
            errors = [errors]
        self.errors = list(errors)
        self.warnings = list(warnings or [])
        super().__init__("\n".join(self.errors))


class CompileError(ValueError):
    """The compiler met input it cannot express (raised only for programming errors or
    for live CIB text that is not XML)."""


class Problems:
    """Collects errors and warnings while a spec is walked."""

    def __init__(self):
        self.errors = []
        self.warnings = []

    def error(self, path, message):
        self.errors.append("{0}: {1}".format(path, message))

    def warn(self, path, message):
        text = "{0}: {1}".format(path, message) if path else message
        if text not in self.warnings:
            self.warnings.append(text)

    def __bool__(self):
        return bool(self.errors)

    def raise_if_any(self):
        if self.errors:
            raise SpecError(self.errors, self.warnings)
