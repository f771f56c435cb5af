"""Compares lina with JAX on the corpus: values, gradients (jax.grad) and Hessian-vector
products (forward over reverse, jax.jvp of jax.grad) of the exported code, and the arithmetic
operations each gradient executes.

Usage: python3 tests/jax/compare.py LINA_BINARY [FILE.la ...]   (default: every corpus/*.la)
Prints one line per function compared, the per-program operation table (markdown, the one in
docs/RESULTS.md) and a closing `N passed, N failed` line; exits 1 on any disagreement. Run by
tests/jax.rs where `import jax` works.

Operations, one rule for both sides (rewrite/src/ops.rs): one per scalar arithmetic result.
lina: `lina ops --fn F`, the primitive applications and scalar linear adds and scales that the
gradient program (`f.jvp.nonlin` then `f.jvp.lin.T`, what `lina grad` runs) executes; zero,
dup, drop, tuples and calls are 0. JAX: the equations of `jax.make_jaxpr(jax.grad(f))` at the
same point, counted recursively inside sub-jaxprs (pjit, custom_jvp_call, ...; the call
equation itself is 0), of which the arithmetic ones are those in ARITH (add_any is JAX's
cotangent accumulation, lina's linear add); the others (convert_element_type, comparisons,
select_n, ...) are reported as "other" and not compared. Every value is a scalar (tuples are
Python tuples), so an equation is one scalar result.
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


ARITH = {
    "add", "add_any", "sub", "mul", "div", "neg", "sin", "cos", "tan", "exp", "log", "sqrt",
    "rsqrt", "tanh", "logistic", "pow", "integer_pow", "square", "log1p", "expm1", "exp2",
    "reciprocal", "max", "min", "abs", "sign", "atan2",
}


def subjaxprs(value):
    if hasattr(value, "eqns"):
        yield value
    elif hasattr(value, "jaxpr") and hasattr(value.jaxpr, "eqns"):
        yield value.jaxpr
    elif isinstance(value, (tuple, list)):
        for v in value:
            yield from subjaxprs(v)


def count_eqns(jaxpr):
    """(arithmetic, other) equations of a jaxpr, sub-jaxprs counted instead of their calls."""
    arith = other = 0
    for eqn in jaxpr.eqns:
        subs = [j for v in eqn.params.values() for j in subjaxprs(v)]
        if subs:
            for j in subs:
                a, o = count_eqns(j)
                arith, other = arith + a, other + o
        elif eqn.primitive.name in ARITH:
            arith += 1
        else:
            other += 1
    return arith, other


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
# Per program: [functions, lina ops, JAX arithmetic eqns, JAX other eqns, functions where lina <= JAX]
table = {}
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
        ops = ""
        if n:  # a function of no parameters has no gradient to compare
            _, o = lina("ops", path, "--fn", name, "--format", "json")
            mine = int(json.loads(o)["gradient"]["total"])
            jaxpr = jax.make_jaxpr(jax.grad(fn, argnums=tuple(range(n))))(*xs)
            arith, other = count_eqns(jaxpr.jaxpr)
            row = table.setdefault(os.path.basename(path)[:-3], [0, 0, 0, 0, 0])
            for k, d in enumerate([1, mine, arith, other, mine <= arith]):
                row[k] += d
            ops = f"; ops lina {mine}, jax {arith} (+{other} other)"
        print(f"{status} {path} {name}: value {value}, grad {grad}, hvp {hvp}{ops}")
        if not ok:
            print(f"   lina: value {g['value']}, gradient {g['gradient']}, hvp {h['hvp']}")
        passed += ok
        failed += not ok
print()
print("| program | functions | lina ops | JAX arithmetic eqns | JAX other eqns | lina/JAX | functions lina <= JAX |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
total = [0, 0, 0, 0, 0]
for prog, row in sorted(table.items()):
    total = [a + b for a, b in zip(total, row)]
    print(f"| {prog} | {row[0]} | {row[1]} | {row[2]} | {row[3]} | {row[1] / max(row[2], 1):.2f} | {row[4]}/{row[0]} |")
print(f"| all | {total[0]} | {total[1]} | {total[2]} | {total[3]} | {total[1] / max(total[2], 1):.2f} | {total[4]}/{total[0]} |")
behind = [p for p, r in sorted(table.items()) if r[1] > r[2]]
print(f"ops: lina {total[1]}, jax {total[2]} ({100 * (1 - total[1] / max(total[2], 1)):.1f}% fewer); programs where lina executes more: {', '.join(behind) or 'none'}")
print(f"jax: {passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
