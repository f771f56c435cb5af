//! `lina export-jax`: a Python module with one `jax.numpy` function per Linear A function, so
//! lina's values, gradients and HVPs can be compared with JAX's (`tests/jax/compare.py`).
//!
//! The program is [`forget`]-ed first (a linear function becomes an ordinary one taking its
//! linear parameters after the others). Tuples are Python tuples; a function with one result
//! returns it, with several a tuple. Blocks are flattened (binders are distinct in a function).
//! A name is `f.jvp` → `f__jvp`; a variable that is a Python keyword gets a trailing `_`.
//! Primitives are spelled as their table's evaluation computes them (`logistic` as
//! `1 / (1 + exp(-x))`), so values agree to rounding.

use crate::error::RewriteError;
use crate::forget;
use semantics::*;
use std::fmt::Write;

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield", "jnp", "jax",
];

/// The Python name of a Linear A function.
pub fn python_name(name: &str) -> String {
    name.replace('.', "__")
}

fn var(f: &FnDef, x: LocalId) -> String {
    let n = f.name_of(x).replace('\'', "_");
    if KEYWORDS.contains(&n.as_str()) {
        format!("{n}_")
    } else {
        n
    }
}

fn lit(x: f64) -> String {
    if x.is_nan() {
        "jnp.nan".into()
    } else if x.is_infinite() {
        if x > 0.0 { "jnp.inf" } else { "(-jnp.inf)" }.into()
    } else {
        let s = fmt_real(x);
        if x < 0.0 { format!("({s})") } else { s }
    }
}

fn atom(f: &FnDef, a: &Atom) -> String {
    match a {
        Atom::Var(v) => var(f, v.id),
        Atom::Lit(x, _) => lit(*x),
    }
}

fn tuple(items: Vec<String>) -> String {
    match items.len() {
        0 => "()".into(),
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

struct Writer<'a> {
    prog: &'a Program,
    prims: &'a PrimTable,
    f: &'a FnDef,
    out: String,
}

impl Writer<'_> {
    fn line(&mut self, s: &str) {
        let _ = writeln!(self.out, "    {s}");
    }

    /// The Python expression of a non-block expression (a block is flattened by the caller).
    fn expr(&mut self, e: &Expr) -> Result<String, RewriteError> {
        let f = self.f;
        let at = |a: &Atom| atom(f, a);
        Ok(match e {
            Expr::Ret { nl, lin, .. } => {
                let items: Vec<String> = nl.iter().chain(lin).map(at).collect();
                if items.len() == 1 {
                    items[0].clone()
                } else {
                    tuple(items)
                }
            }
            Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => {
                tuple(items.iter().map(at).collect())
            }
            Expr::Call { func, nl, lin, .. } => {
                let callee = self
                    .prog
                    .func(*func)
                    .map(|g| python_name(&g.name))
                    .unwrap_or_else(|| "missing".into());
                let args: Vec<String> = nl.iter().chain(lin).map(at).collect();
                format!("{callee}({})", args.join(", "))
            }
            Expr::Prim { prim, args, .. } => {
                let a: Vec<String> = args.iter().map(at).collect();
                let name = self.prims.name(*prim);
                match (name, a.as_slice()) {
                    ("add", [x, y]) => format!("{x} + {y}"),
                    ("sub", [x, y]) => format!("{x} - {y}"),
                    ("mul", [x, y]) => format!("{x} * {y}"),
                    ("div", [x, y]) => format!("{x} / {y}"),
                    ("neg", [x]) => format!("-{x}"),
                    ("logistic", [x]) => format!("1.0 / (1.0 + jnp.exp(-{x}))"),
                    ("pow", [x, y]) => format!("jnp.power({x}, {y})"),
                    ("sin" | "cos" | "tan" | "exp" | "log" | "sqrt" | "tanh", [x]) => {
                        format!("jnp.{name}({x})")
                    }
                    _ => {
                        return Err(crate::error::internal(format!(
                            "no JAX spelling for the primitive `{name}`"
                        )));
                    }
                }
            }
            // Forgotten programs have none of these; a Linear A one would be an error above.
            Expr::LAdd { .. }
            | Expr::Scale { .. }
            | Expr::Zero { .. }
            | Expr::Dup { .. }
            | Expr::Drop { .. }
            | Expr::Block(_) => {
                return Err(crate::error::internal("a linear or nested form in export"));
            }
        })
    }

    /// Emits the bindings of `b` and returns its tail's expression; blocks and drops flatten
    /// into the enclosing body (their depth is bounded by the parser).
    fn block(&mut self, b: &Block) -> Result<String, RewriteError> {
        let f = self.f;
        for s in &b.binds {
            match s {
                Bind::Unpack { binders, src, .. } => {
                    let lhs = tuple(binders.iter().map(|&x| var(f, x)).collect());
                    self.line(&format!("{lhs} = {}", var(f, src.id)));
                }
                Bind::Let { nl, lin, rhs, .. } => {
                    let names: Vec<String> = nl.iter().chain(lin).map(|&x| var(f, x)).collect();
                    let rhs = self.rhs(rhs)?;
                    match names.len() {
                        0 => self.line(&format!("_ = {rhs}")),
                        1 => self.line(&format!("{} = {rhs}", names[0])),
                        _ => self.line(&format!("{} = {rhs}", tuple(names))),
                    }
                }
            }
        }
        self.rhs(&b.tail)
    }

    fn rhs(&mut self, e: &Expr) -> Result<String, RewriteError> {
        match e {
            Expr::Block(b) => self.block(b),
            Expr::Drop { body, .. } => {
                let t = self.block(body)?;
                self.line(&format!("_ = {t}"));
                Ok("()".into())
            }
            _ => self.expr(e),
        }
    }
}

/// The module text of `prog`.
pub fn export_jax(prog: &Program, prims: &PrimTable, source: &str) -> Result<String, RewriteError> {
    let fg = forget(prog, prims)?;
    let mut out = format!(
        "# Generated by `lina export-jax {source}`: one jax.numpy function per Linear A function.\n\
         import jax\n\
         import jax.numpy as jnp\n\
         jax.config.update(\"jax_enable_x64\", True)\n"
    );
    for f in &fg.funcs {
        let params: Vec<String> = f.params.iter().map(|p| var(f, p.var)).collect();
        let mut w = Writer {
            prog: &fg,
            prims,
            f,
            out: String::new(),
        };
        let tail = w.block(&f.body)?;
        let _ = write!(
            out,
            "\n\ndef {}({}):\n{}    return {tail}\n",
            python_name(&f.name),
            params.join(", "),
            w.out
        );
    }
    Ok(out)
}
