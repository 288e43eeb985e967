"""House rules that a reader cannot see fail in review: no exception swallowed in silence.

A handler that catches everything (`except Exception`, `except BaseException`, a bare `except:`,
or a tuple holding one of them) must re-raise, log with the traceback (`log.exception(...)` or
`exc_info=`), or hand the exception on to a call that deals with it (`call.fail(exc)`).
Handlers for named exceptions are the narrowing this asks for, and are not checked.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("ledger", "devices", "station", "web", "dledger")
CATCH_ALL = {"Exception", "BaseException"}
LOGGING = {"debug", "info", "warning", "warn", "error", "critical", "log"}  # without exc_info


def _catches_all(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(isinstance(n, ast.Name) and n.id in CATCH_ALL for n in names)


def _dealt_with(handler: ast.ExceptHandler) -> bool:
    for node in ast.walk(ast.Module(body=handler.body, type_ignores=[])):
        if isinstance(node, ast.Raise):
            return True
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "exception":
            return True
        if any(k.arg == "exc_info" for k in node.keywords):
            return True
        if (isinstance(node.func, ast.Attribute) and node.func.attr not in LOGGING
                and handler.name and any(isinstance(a, ast.Name) and a.id == handler.name
                                         for a in node.args)):
            return True  # handed on, as in `call.fail(exc)`; str(exc) or log.warning is not
    return False


def silent_handlers(source: str, filename: str = "<source>") -> list[int]:
    """Line numbers of the catch-all handlers in `source` that neither raise, log the
    traceback nor hand the exception on."""
    return [node.lineno for node in ast.walk(ast.parse(source, filename))
            if isinstance(node, ast.ExceptHandler) and _catches_all(node)
            and not _dealt_with(node)]


def test_the_check_tells_silent_from_handled():
    silent = ("try:\n    f()\nexcept Exception:\n    pass\n"
              "try:\n    f()\nexcept:\n    return None\n"
              "try:\n    f()\nexcept (ValueError, BaseException) as exc:\n    x = str(exc)\n"
              "    continue\n"
              "try:\n    f()\nexcept Exception as exc:\n    log.warning('f: %s', exc)\n")
    assert silent_handlers(silent) == [3, 7, 11, 16]
    handled = ("try:\n    f()\nexcept Exception:\n    log.exception('f failed')\n"
               "try:\n    f()\nexcept BaseException:\n    rollback()\n    raise\n"
               "try:\n    f()\nexcept Exception as exc:\n    call.fail(exc)\n"
               "try:\n    f()\nexcept Exception:\n    log.error('f failed', exc_info=True)\n"
               "try:\n    f()\nexcept ValueError:\n    pass\n")
    assert silent_handlers(handled) == []


def test_no_exception_passes_silently_in_the_product():
    found = [f"{path.relative_to(ROOT)}:{line}"
             for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
             for line in silent_handlers(path.read_text(encoding="utf-8"), str(path))]
    assert found == [], ("catch-all handlers that swallow the exception: re-raise, log it with "
                         "log.exception, or catch only the exceptions meant: " + ", ".join(found))
