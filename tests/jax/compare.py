"""Compares lina with JAX on the corpus: values, gradients (jax.grad) and Hessian-vector
products (forward over reverse, jax.jvp of jax.grad) of the exported code.

Usage: python3 tests/jax/compare.py LINA_BINARY [FILE.la ...]   (default: every corpus/*.la)
Prints one line per function compared and a closing `N passed, N failed` line; exits 1 on any
disagreement. Run by tests/jax.rs where `import jax` works.
"""
import glob
import importlib.util
import json
import math
import os
import random
import subprocess
import sys
import tempfile

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

LINA = sys.argv[1]
FILES = sys.argv[2:] or sorted(glob.glob("corpus/*.la"))


def lina(*args):
    r = subprocess.run([LINA, *args], capture_output=True, text=True)
    return r.returncode, r.stdout


def close(a, b, tol=1e-9):
    return all(
        (math.isnan(x) and math.isnan(y)) or abs(x - y) <= tol * (1 + abs(y))
        for x, y in zip(a, b)
    ) and len(a) == len(b)


def signatures(path):
    """(name, number of real parameters) of every function with only real parameters and one
    real result, read from the core form."""
    code, text = lina("fmt", path)
    out = []
    for line in text.splitlines():
        if not line.startswith("def "):
            continue
        head = line[4:]
        name = head[: head.index("(")]
        params = head[head.index("(") + 1 : head.index(")")]
        result = head[head.index("->") :]
        types = [p.split(":")[1].strip() for p in params.split(",") if ":" in p]
        if ";" in params or result.strip() != "-> (R) =" or any(t != "R" for t in types):
            continue
        out.append((name, len(types)))
    return out


passed = failed = 0
rng = random.Random(14)
for path in FILES:
    code, module = lina("export-jax", path)
    if code != 0:
        continue
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(module)
    spec = importlib.util.spec_from_file_location("exported", f.name)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    os.unlink(f.name)
    for name, n in signatures(path):
        fn = getattr(mod, name.replace(".", "__"))
        x = [rng.uniform(0.5, 1.5) for _ in range(n)]
        v = [rng.uniform(-1.0, 1.0) for _ in range(n)]
        args = ", ".join(repr(a) for a in x)
        direction = ", ".join(repr(a) for a in v)
        _, g = lina("grad", path, "--fn", name, "--args", args, "--format", "json")
        _, h = lina("hvp", path, "--fn", name, "--args", args, "--direction", direction, "--format", "json")
        if not g.strip() or not h.strip():
            continue
        g, h = json.loads(g), json.loads(h)
        xs = tuple(jnp.float64(a) for a in x)
        vs = tuple(jnp.float64(a) for a in v)
        value = float(fn(*xs))
        grad = [float(t) for t in jax.grad(fn, argnums=tuple(range(n)))(*xs)] if n else []
        hvp = (
            [float(t) for t in jax.jvp(lambda *a: jax.grad(fn, argnums=tuple(range(n)))(*a), xs, vs)[1]]
            if n
            else []
        )
        num = lambda vs: [float(t) if not isinstance(t, str) else float(t.replace("Infinity", "inf")) for t in vs]
        ok = (
            close([value], num(g["value"]))
            and close(grad, num(g["gradient"]))
            and close(hvp, num(h["hvp"]), 1e-8)
        )
        status = "ok" if ok else "DIFFERS"
        print(f"{status} {path} {name}: value {value}, grad {grad}, hvp {hvp}")
        if not ok:
            print(f"   lina: value {g['value']}, gradient {g['gradient']}, hvp {h['hvp']}")
        passed += ok
        failed += not ok
print(f"jax: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
