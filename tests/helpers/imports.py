"""The project modules a module imports, followed transitively by reading source (ast), not by importing it."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGES = ("pipeline", "synth", "models", "flows")


def module_file(root: Path, module: str) -> Path | None:
    """pipeline.common.io -> pipeline/common/io.py (or the package's __init__.py); None if not ours."""
    if module.split(".")[0] not in PACKAGES:
        return None
    base = root / Path(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(root: Path, path: Path) -> set[str]:
    """Every project module named by an import anywhere in the file (top level or inside functions)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(root).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(filter(None, [*parts, node.module or ""]))
            found.add(base)
            # `from models.identity import clustering` names a submodule
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if module_file(root, name) is not None}


def parents(module: str) -> list[str]:
    parts = module.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def has_code(path: Path) -> bool:
    """False for a package marker that holds nothing but a docstring (changing it changes no output)."""
    body = ast.parse(path.read_text()).body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return bool(body)


def closure(root: Path, module: str) -> set[Path]:
    """Files of `module` and of everything it imports, transitively, parent packages included (those with code)."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen or module_file(root, name) is None:
            continue
        seen.add(name)
        todo.extend(parents(name))
        todo.extend(imported_modules(root, module_file(root, name)))
    return {module_file(root, name).relative_to(root) for name in seen if has_code(module_file(root, name))}


def stage_module(cmd: str) -> str:
    """`python -m pipeline.triggerword.train` -> pipeline.triggerword.train."""
    words = cmd.split()
    return words[words.index("-m") + 1]


def covered(path: Path, deps: list[str]) -> bool:
    text = path.as_posix()
    return any(text == dep.rstrip("/") or text.startswith(dep.rstrip("/") + "/") for dep in deps)


def uncovered(root: Path, stages: dict) -> dict[str, list[str]]:
    """stage -> project files it imports (transitively) that none of its dvc.yaml deps cover."""
    problems = {}
    for name, stage in stages.items():
        stage = stage.get("do", stage)  # foreach stages keep their body under `do`
        deps = [next(iter(d)) if isinstance(d, dict) else d for d in stage.get("deps", [])]
        missing = sorted(p.as_posix() for p in closure(root, stage_module(stage["cmd"])) if not covered(p, deps))
        if missing:
            problems[name] = missing
    return problems
