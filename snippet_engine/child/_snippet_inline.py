"""Add calls to a function of the standard library without adding a frame of ours to its tracebacks.

A wrapper around ``asyncio.events.Handle._run`` shows in every traceback that passes through it
(``File ".../_snippet_recorder.py", line 367, in _run``): a line that ``python name.py`` never
prints. :func:`prepare` compiles the function again from its own source, at its own file and line
numbers, with a call at its start and, if asked, one at its end (in a ``finally``), so its frames,
tracebacks and carets read exactly as without the engine. A function whose source cannot be read
(or that needs its class cell or a closure) gets a plain wrapper instead: it works, and shows.

Used by ``_snippet_recorder.py`` in every snippet process; standard library only.
"""

import ast
import functools
import inspect

_MAKER = "_snippet_engine_make"
_FUNCTION = "_snippet_engine_function"
_BEFORE, _AFTER, _STATE = "_snippet_engine_before", "_snippet_engine_after", "_snippet_engine_state"


def prepare(function, *, after=False):
    """``make(before, after)``: ``function`` that first calls ``before`` with its arguments, and, with
    ``after=True``, ends by calling ``after`` with what ``before`` returned. None if it cannot be rebuilt."""
    code = function.__code__
    if code.co_freevars or "super" in code.co_names:  # a closure, or the class cell super() needs
        return None
    try:
        lines, first = inspect.getsourcelines(function)
    except (OSError, TypeError):
        return None
    indent = len(lines[0]) - len(lines[0].lstrip())
    if indent == 0 or not lines[0].lstrip().startswith("def "):  # a decorator, or nothing to nest it in
        return None
    head = f"def {_MAKER}({_BEFORE}, {_AFTER}):\n"
    tree = ast.parse(head + "".join(lines) + " " * indent + f"return {_FUNCTION}\n")
    defined = tree.body[0].body[0]
    if not isinstance(defined, ast.FunctionDef) or defined.name != code.co_name:
        return None
    defined.name = _FUNCTION  # else its own name, a local of the maker, would hide a global of that name
    arguments = [ast.Name(arg.arg, ast.Load()) for arg in [*defined.args.posonlyargs, *defined.args.args]]
    body = defined.body
    docstring = body[:1] if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) else []
    rest = body[len(docstring) :]
    call = ast.Call(ast.Name(_BEFORE, ast.Load()), arguments, [])
    start = ast.Assign([ast.Name(_STATE, ast.Store())], call) if after else ast.Expr(call)
    _place(start, rest[0].lineno)
    if after:
        end = [
            ast.Expr(ast.Call(ast.Name(_AFTER, ast.Load()), [ast.Name(_STATE, ast.Load())], [])),
            ast.Assign([ast.Name(_STATE, ast.Store())], ast.Constant(None)),  # as asyncio's own `self = None`
        ]
        for statement in end:
            _place(statement, rest[-1].end_lineno)
        guarded = ast.Try(rest, [], [], end)
        guarded.lineno, guarded.col_offset = rest[0].lineno, rest[0].col_offset
        guarded.end_lineno, guarded.end_col_offset = rest[-1].end_lineno, rest[-1].end_col_offset
        rest = [guarded]
    defined.body = [*docstring, start, *rest]
    ast.fix_missing_locations(tree)
    ast.increment_lineno(tree, first - 2)  # the original's first line where it was: line 2 was line `first`
    namespace = function.__globals__
    try:
        exec(compile(tree, code.co_filename, "exec"), namespace)
    finally:
        maker = namespace.pop(_MAKER, None)

    def make(before, after=None):
        made = maker(before, after)
        functools.update_wrapper(made, function, updated=())
        del made.__wrapped__
        names = {"co_name": code.co_name}
        if hasattr(code, "co_qualname"):  # 3.11+
            names["co_qualname"] = code.co_qualname
        made.__code__ = made.__code__.replace(**names)  # as tracebacks name it
        return made

    return make


def _place(node, line):
    """A new ``node`` (and what it holds) on ``line``, column 0 to 0: where a traceback would point."""
    for each in ast.walk(node):
        if "lineno" in each._attributes:
            each.lineno = each.end_lineno = line
            each.col_offset = each.end_col_offset = 0


def patch(owner, name, before, after=None, prepared=None):
    """Replace ``owner.name`` by the function with ``before`` (and ``after``) added; ``prepared`` from
    :func:`prepare`, made now if not given."""
    function = getattr(owner, name)
    if prepared is None:
        prepared = prepare(function, after=after is not None)
    if prepared is not None:
        setattr(owner, name, prepared(before, after))
        return

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        state = before(*args, **kwargs)
        try:
            return function(*args, **kwargs)
        finally:
            if after is not None:
                after(state)

    setattr(owner, name, wrapper)
