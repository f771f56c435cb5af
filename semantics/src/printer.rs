//! The printer: core syntax to text that parses back to the same program
//! (`parse(print(p)) == p` for every core program, and printing is idempotent).
//!
//! Operators are printed for the primitives they mean (`x + y`, `-x`), single values without
//! parentheses where their spelling puts them on the right side, and everything else
//! explicitly (`zero<R>`, `(a, b ; c')`). Bindings are a loop; only nested blocks recurse.

use crate::prims::PrimTable;
use crate::syntax::*;
use std::fmt::Write;

/// Prints a program in core form with the standard primitive table.
pub fn print(prog: &Program) -> String {
    print_with(prog, PrimTable::standard())
}

pub fn print_with(prog: &Program, prims: &PrimTable) -> String {
    // About 32 bytes per slot and 64 per signature, reserved up front so that a 60 MB output
    // is not copied through a dozen doublings (capacity never written is never backed).
    let estimate: usize = prog.funcs.iter().map(|f| 64 + 32 * f.locals.len()).sum();
    let mut out = String::with_capacity(estimate);
    // The type aliases the program uses, each declared once before its first use.
    let aliases = crate::types::aliases_in(program_types(prog));
    for a in &aliases {
        let _ = writeln!(out, "type {} = {}", a.name, a.def);
    }
    if !aliases.is_empty() && !prog.funcs.is_empty() {
        out.push('\n');
    }
    let shadows = Shadows::of(&prog.funcs, prims);
    for (i, f) in prog.funcs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        print_at(&mut out, f, i, &prog.funcs, prims, &shadows);
    }
    out
}

/// Prints function number `index` of `funcs` (which names its callees).
pub fn print_fn(out: &mut String, index: usize, funcs: &[FnDef], prims: &PrimTable) {
    if let Some(f) = funcs.get(index) {
        print_at(out, f, index, funcs, prims, &Shadows::of(funcs, prims));
    }
}

/// Every type written in a program: signatures and `zero<T>`.
pub fn program_types(prog: &Program) -> impl Iterator<Item = &crate::types::Type> {
    prog.funcs.iter().flat_map(|f| {
        let mut zeros = Vec::new();
        crate::visit::each_expr(&f.body, &mut |e| {
            if let Expr::Zero { ty, .. } = e {
                zeros.push(ty);
            }
        });
        f.params
            .iter()
            .chain(&f.lparams)
            .map(|p| &p.ty)
            .chain(&f.results)
            .chain(&f.lresults)
            .chain(zeros)
    })
}

/// For each primitive, the first user function with its name: below it, `cos(x)` reads back
/// as a call of that function, so the printer spells the primitive `%cos(x)` there (printing
/// must never change meaning, and passes place primitives anywhere).
struct Shadows(Vec<(PrimId, usize)>);

impl Shadows {
    fn of(funcs: &[FnDef], prims: &PrimTable) -> Shadows {
        let mut first = Vec::new();
        for (i, f) in funcs.iter().enumerate() {
            if let Some(p) = prims.lookup(&f.name)
                && !first.iter().any(|&(q, _)| q == p)
            {
                first.push((p, i));
            }
        }
        Shadows(first)
    }

    /// Whether `prim` is shadowed in function number `at`.
    fn shadowed(&self, prim: PrimId, at: usize) -> bool {
        self.0.iter().any(|&(p, i)| p == prim && i < at)
    }
}

fn print_at(
    out: &mut String,
    f: &FnDef,
    index: usize,
    funcs: &[FnDef],
    prims: &PrimTable,
    shadows: &Shadows,
) {
    let p = Printer {
        f,
        funcs,
        prims,
        elide: false,
        shadowed: &|prim| shadows.shadowed(prim, index),
    };
    if f.checkpoint {
        out.push_str("@checkpoint\n");
    }
    let _ = write!(out, "def {}(", f.name);
    p.params(out, &f.params);
    if !f.lparams.is_empty() {
        out.push_str(if f.params.is_empty() { "; " } else { " ; " });
        p.params(out, &f.lparams);
    }
    out.push_str(") -> (");
    p.types(out, &f.results);
    if !f.lresults.is_empty() {
        out.push_str(if f.results.is_empty() { "; " } else { " ; " });
        p.types(out, &f.lresults);
    }
    out.push_str(") =\n");
    p.block(out, &f.body, 1);
    out.push('\n');
}

struct Printer<'a> {
    f: &'a FnDef,
    /// Print nested blocks as `(…)` and `drop(…)` (the one-line form).
    elide: bool,
    funcs: &'a [FnDef],
    prims: &'a PrimTable,
    /// Whether a primitive's plain name would read back as a user function here.
    shadowed: &'a dyn Fn(PrimId) -> bool,
}

/// One expression of `f` on one line, nested blocks elided (`(…)`, `drop(…)`): the subject of a
/// typing judgment or of a diagnostic.
/// (A display form: primitives are never spelled `%`, since it is not read back.)
pub fn expr_line(f: &FnDef, funcs: &[FnDef], prims: &PrimTable, e: &Expr) -> String {
    let p = Printer {
        f,
        funcs,
        prims,
        elide: true,
        shadowed: &|_| false,
    };
    let mut out = String::new();
    p.expr(&mut out, e, 0);
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

impl Printer<'_> {
    fn name(&self, id: LocalId) -> &str {
        self.f.name_of(id)
    }

    fn params(&self, out: &mut String, ps: &[Param]) {
        for (i, p) in ps.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}: {}", self.name(p.var), p.ty);
        }
    }

    fn types(&self, out: &mut String, ts: &[crate::types::Type]) {
        for (i, t) in ts.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{t}");
        }
    }

    fn atom(&self, out: &mut String, a: &Atom) {
        match a {
            Atom::Var(v) => out.push_str(self.name(v.id)),
            Atom::Lit(x, _) => {
                let _ = write!(out, "{x:?}");
            }
        }
    }

    fn atoms(&self, out: &mut String, xs: &[Atom]) {
        for (i, a) in xs.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.atom(out, a);
        }
    }

    fn is_linear(&self, a: &Atom) -> bool {
        matches!(a, Atom::Var(v) if self.f.is_linear(v.id))
    }

    /// `(nl ; lin)`, or `(nl)` when nothing is linear.
    fn sides(&self, out: &mut String, nl: &[Atom], lin: &[Atom]) {
        out.push('(');
        self.atoms(out, nl);
        if !lin.is_empty() {
            out.push_str(if nl.is_empty() { "; " } else { " ; " });
            self.atoms(out, lin);
        } else if nl.len() == 1 && self.is_linear(&nl[0]) {
            // `(y')` would be read as `(; y')`.
            out.push_str(" ;");
        }
        out.push(')');
    }

    fn block(&self, out: &mut String, b: &Block, level: usize) {
        for bind in &b.binds {
            indent(out, level);
            match bind {
                Bind::Let { nl, lin, rhs, .. } => {
                    out.push_str("let ");
                    self.binders(out, nl, lin);
                    out.push_str(" = ");
                    self.expr(out, rhs, level);
                    out.push_str(" in\n");
                }
                Bind::Unpack { binders, src, .. } => {
                    out.push_str("let <");
                    for (i, x) in binders.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(self.name(*x));
                    }
                    let _ = writeln!(out, "> = {} in", self.name(src.id));
                }
            }
        }
        indent(out, level);
        self.expr(out, &b.tail, level);
    }

    fn binders(&self, out: &mut String, nl: &[LocalId], lin: &[LocalId]) {
        match (nl, lin) {
            ([x], []) if !self.f.is_linear(*x) => out.push_str(self.name(*x)),
            ([], [y]) if self.f.is_linear(*y) => out.push_str(self.name(*y)),
            _ => {
                let list = |ids: &[LocalId]| {
                    ids.iter()
                        .map(|&i| self.name(i))
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                out.push('(');
                out.push_str(&list(nl));
                if !lin.is_empty() {
                    out.push_str(if nl.is_empty() { "; " } else { " ; " });
                    out.push_str(&list(lin));
                } else if nl.len() == 1 {
                    out.push_str(" ;");
                }
                out.push(')');
            }
        }
    }

    /// A nested block, parenthesised and indented one level deeper.
    fn nested(&self, out: &mut String, b: &Block, level: usize) {
        if b.binds.is_empty() {
            self.expr(out, &b.tail, level);
            return;
        }
        out.push_str("(\n");
        self.block(out, b, level + 1);
        out.push('\n');
        indent(out, level);
        out.push(')');
    }

    fn expr(&self, out: &mut String, e: &Expr, level: usize) {
        match e {
            Expr::Ret { nl, lin, .. } => match (nl.as_slice(), lin.as_slice()) {
                ([a], []) if !self.is_linear(a) => self.atom(out, a),
                ([], [y]) if self.is_linear(y) => self.atom(out, y),
                _ => self.sides(out, nl, lin),
            },
            Expr::Tuple { items, .. } | Expr::LTuple { items, .. } => {
                out.push('<');
                self.atoms(out, items);
                out.push('>');
            }
            Expr::Call { func, nl, lin, .. } => {
                // Calls read their `;`-less arguments as nonlinear, so no special case is needed.
                out.push_str(self.callee_name(*func));
                out.push('(');
                self.atoms(out, nl);
                if !lin.is_empty() {
                    out.push_str(if nl.is_empty() { "; " } else { " ; " });
                    self.atoms(out, lin);
                }
                out.push(')');
            }
            Expr::Prim { prim, args, .. } => self.prim(out, *prim, args),
            Expr::LAdd { lhs, rhs, .. } => {
                self.atom(out, lhs);
                out.push_str(" + ");
                self.atom(out, rhs);
            }
            Expr::Scale { scalar, lin, .. } => {
                self.atom(out, scalar);
                out.push_str(" * ");
                self.atom(out, lin);
            }
            Expr::Zero { ty, .. } => {
                let _ = write!(out, "zero<{ty}>");
            }
            Expr::Dup { arg, .. } => {
                out.push_str("dup(");
                self.atom(out, arg);
                out.push(')');
            }
            Expr::Drop { .. } if self.elide => out.push_str("drop(…)"),
            Expr::Block(_) if self.elide => out.push_str("(…)"),
            Expr::Drop { body, .. } => {
                out.push_str("drop(");
                if body.binds.is_empty() {
                    self.expr(out, &body.tail, level);
                    out.push(')');
                } else {
                    out.push('\n');
                    self.block(out, body, level + 1);
                    out.push('\n');
                    indent(out, level);
                    out.push(')');
                }
            }
            Expr::Block(b) => self.nested(out, b, level),
        }
    }

    fn callee_name(&self, func: FuncId) -> &str {
        self.funcs
            .get(func.0 as usize)
            .map_or("?", |f| f.name.as_str())
    }

    fn prim(&self, out: &mut String, prim: PrimId, args: &[Atom]) {
        // Operators with a linear operand read back as the linear core (`-x'` is a scale,
        // `x' + y'` a linear add), so an (ill-typed) primitive applied to a linear variable
        // keeps its call spelling: printing must not turn one program into another.
        let linear_arg = args
            .iter()
            .any(|a| matches!(a, Atom::Var(v) if self.f.is_linear(v.id)));
        let op = match prim {
            _ if linear_arg => None,
            PrimId::ADD => Some(" + "),
            PrimId::SUB => Some(" - "),
            PrimId::MUL => Some(" * "),
            PrimId::DIV => Some(" / "),
            _ => None,
        };
        match (op, args) {
            (Some(op), [a, b]) => {
                self.atom(out, a);
                out.push_str(op);
                self.atom(out, b);
            }
            (None, [a]) if prim == PrimId::NEG && !linear_arg => {
                // `-1.0` would read back as a negative literal, so a literal gets a space.
                out.push_str(if matches!(a, Atom::Lit(..)) {
                    "- "
                } else {
                    "-"
                });
                self.atom(out, a);
            }
            _ => {
                if (self.shadowed)(prim) {
                    out.push('%');
                }
                out.push_str(self.prims.name(prim));
                out.push('(');
                self.atoms(out, args);
                out.push(')');
            }
        }
    }
}
