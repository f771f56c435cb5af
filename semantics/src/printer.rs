//! The printer: core syntax to text that parses back to the same program
//! (`parse(print(p)) == p` for every core program, and printing is idempotent).
//!
//! Operators are printed for the primitives they mean (`x + y`, `-x`), single values without
//! parentheses where their spelling puts them on the right side, and everything else
//! explicitly (`zero<R>`, `(a, b ; c')`). Bindings are a loop; only nested blocks recurse.

use crate::flat::{AtomList, BlockId, FlatBind, FlatExpr, FlatProgram};
use crate::flat_view::{BindView, CodeView, ExprView, FnView, fn_view};
use crate::prims::PrimTable;
use crate::syntax::*;
use std::fmt::Write;

/// Prints a program in core form with the standard primitive table.
pub fn print(prog: &Program) -> String {
    print_with(prog, PrimTable::standard())
}

pub fn print_with(prog: &Program, prims: &PrimTable) -> String {
    print_view(prog, program_types(prog), prims)
}

/// Prints the parser's flat form with the standard table: the same text as printing its
/// [`FlatProgram::to_program`], without building it (`lina fmt`).
pub fn print_flat(prog: &FlatProgram) -> String {
    print_view(prog, flat_types(prog).into_iter(), PrimTable::standard())
}

/// Prints any spelling of a program through its [`CodeView`], with the types it writes (for
/// the aliases) in the order [`program_types`] gives them.
fn print_view<'t, P: CodeView>(
    prog: &P,
    types: impl Iterator<Item = &'t crate::types::Type>,
    prims: &PrimTable,
) -> String {
    let n = prog.func_count();
    let funcs = || (0..n).filter_map(|i| prog.func(FuncId(i as u32)));
    // About 32 bytes per slot and 64 per signature, reserved up front so that a 60 MB output
    // is not copied through a dozen doublings (capacity never written is never backed).
    let estimate: usize = funcs().map(|f| 64 + 32 * f.locals).sum();
    let mut out = String::with_capacity(estimate);
    // The type aliases the program uses, each declared once before its first use.
    let aliases = crate::types::aliases_in(types);
    for a in &aliases {
        let _ = writeln!(out, "type {} = {}", a.name, a.def);
    }
    if !aliases.is_empty() && n > 0 {
        out.push('\n');
    }
    let shadows = Shadows::of(funcs().map(|f| f.name), prims);
    for (i, f) in funcs().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let names = ViewNames {
            prog,
            f: FuncId(i as u32),
        };
        print_at(&mut out, prog, &names, &f, prims, &shadows.at(i));
    }
    out
}

/// Prints function number `index` of `funcs` (which names its callees).
pub fn print_fn(out: &mut String, index: usize, funcs: &[FnDef], prims: &PrimTable) {
    if let Some(f) = funcs.get(index) {
        let shadows = Shadows::of(funcs.iter().map(|f| f.name.as_str()), prims);
        let names = PublicNames { f, funcs };
        print_at(
            out,
            &NO_PROGRAM,
            &names,
            &fn_view(f),
            prims,
            &shadows.at(index),
        );
    }
}

/// Prints every function of `funcs`, one text each ([`print_fn`] of each index, with the
/// shadowed primitives computed once, so that this is linear in the number of functions).
pub fn print_each_fn(funcs: &[FnDef], prims: &PrimTable) -> Vec<String> {
    let shadows = Shadows::of(funcs.iter().map(|f| f.name.as_str()), prims);
    let print = |(i, f): (usize, &FnDef)| {
        let mut out = String::new();
        let names = PublicNames { f, funcs };
        print_at(
            &mut out,
            &NO_PROGRAM,
            &names,
            &fn_view(f),
            prims,
            &shadows.at(i),
        );
        out
    };
    funcs.iter().enumerate().map(print).collect()
}

/// Reading a public [`Block`] needs no program: the view of these blocks.
static NO_PROGRAM: Program = Program { funcs: Vec::new() };

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

/// [`program_types`] of a flat program, in the same order: each function's signature, then
/// its `zero<T>` types in source order (a nested block's where it stands).
fn flat_types(prog: &FlatProgram) -> Vec<&crate::types::Type> {
    let mut out = Vec::new();
    for f in &prog.funcs {
        out.extend(f.params.iter().chain(&f.lparams).map(|p| &p.ty));
        out.extend(f.results.iter().chain(&f.lresults));
        // Blocks still to read, innermost last: nesting, not length, sets the depth.
        let mut stack: Vec<(BlockId, usize)> = vec![(f.body, 0)];
        while let Some((b, from)) = stack.pop() {
            let binds = prog.block(b).map_or(&[][..], |blk| prog.binds_of(blk));
            let mut next = None;
            for (k, bind) in binds.iter().enumerate().skip(from) {
                if let FlatBind::Let { rhs, .. } = bind {
                    match *rhs {
                        FlatExpr::Zero { ty, .. } => out.extend(prog.ty(ty)),
                        FlatExpr::Drop { body: inner, .. } | FlatExpr::Block(inner) => {
                            next = Some((k, inner));
                            break;
                        }
                        _ => {}
                    }
                }
            }
            if let Some((k, inner)) = next {
                stack.push((b, k + 1));
                stack.push((inner, 0));
                continue;
            }
            match prog.block(b).map(|blk| blk.tail) {
                Some(FlatExpr::Zero { ty, .. }) => out.extend(prog.ty(ty)),
                Some(FlatExpr::Drop { body: inner, .. }) | Some(FlatExpr::Block(inner)) => {
                    stack.push((inner, 0));
                }
                _ => {}
            }
        }
    }
    out
}

/// For each primitive, the first user function with its name: below it, `cos(x)` reads back
/// as a call of that function, so the printer spells the primitive `%cos(x)` there (printing
/// must never change meaning, and passes place primitives anywhere).
struct Shadows(Vec<(PrimId, usize)>);

impl Shadows {
    fn of<'n>(names: impl Iterator<Item = &'n str>, prims: &PrimTable) -> Shadows {
        let mut first = Vec::new();
        for (i, name) in names.enumerate() {
            if let Some(p) = prims.lookup(name)
                && !first.iter().any(|&(q, _)| q == p)
            {
                first.push((p, i));
            }
        }
        Shadows(first)
    }

    /// The primitives shadowed in function number `at`.
    fn at(&self, at: usize) -> Vec<PrimId> {
        self.0
            .iter()
            .filter(|&&(_, i)| i < at)
            .map(|&(p, _)| p)
            .collect()
    }
}

/// What the printer reads about the function it prints: its slots' spellings and sorts, and
/// its callees' names.
trait Names {
    fn slot(&self, id: LocalId) -> &str;
    fn linear(&self, id: LocalId) -> bool;
    fn callee(&self, func: FuncId) -> &str;
}

/// A function of the public syntax, among the functions that name its callees.
struct PublicNames<'a> {
    f: &'a FnDef,
    funcs: &'a [FnDef],
}

impl Names for PublicNames<'_> {
    fn slot(&self, id: LocalId) -> &str {
        self.f.name_of(id)
    }

    fn linear(&self, id: LocalId) -> bool {
        self.f.is_linear(id)
    }

    fn callee(&self, func: FuncId) -> &str {
        self.funcs
            .get(func.0 as usize)
            .map_or("?", |f| f.name.as_str())
    }
}

/// Function `f` of a program read through its view.
struct ViewNames<'a, P> {
    prog: &'a P,
    f: FuncId,
}

impl<P: CodeView> Names for ViewNames<'_, P> {
    fn slot(&self, id: LocalId) -> &str {
        self.prog.slot_name(self.f, id)
    }

    fn linear(&self, id: LocalId) -> bool {
        self.prog.slot_linear(self.f, id)
    }

    fn callee(&self, func: FuncId) -> &str {
        self.prog.func(func).map_or("?", |g| g.name)
    }
}

fn print_at<'a, P: CodeView, N: Names>(
    out: &mut String,
    prog: &'a P,
    names: &N,
    f: &FnView<'a, P::Block<'a>>,
    prims: &PrimTable,
    shadowed: &[PrimId],
) {
    let p = Printer {
        prog,
        names,
        prims,
        elide: false,
        shadowed,
    };
    if f.checkpoint {
        out.push_str("@checkpoint\n");
    }
    let _ = write!(out, "def {}(", f.name);
    p.params(out, f.params);
    if !f.lparams.is_empty() {
        out.push_str(if f.params.is_empty() { "; " } else { " ; " });
        p.params(out, f.lparams);
    }
    out.push_str(") -> (");
    p.types(out, f.results);
    if !f.lresults.is_empty() {
        out.push_str(if f.results.is_empty() { "; " } else { " ; " });
        p.types(out, f.lresults);
    }
    out.push_str(") =\n");
    p.block(out, f.body, 1);
    out.push('\n');
}

struct Printer<'a, 'n, P: CodeView, N> {
    prog: &'a P,
    names: &'n N,
    /// Print nested blocks as `(…)` and `drop(…)` (the one-line form).
    elide: bool,
    prims: &'n PrimTable,
    /// The primitives whose plain name would read back as a user function here.
    shadowed: &'n [PrimId],
}

/// One expression of `f` on one line, nested blocks elided (`(…)`, `drop(…)`): the subject of a
/// typing judgment or of a diagnostic.
/// (A display form: primitives are never spelled `%`, since it is not read back.)
pub fn expr_line(f: &FnDef, funcs: &[FnDef], prims: &PrimTable, e: &Expr) -> String {
    let p = Printer {
        prog: &NO_PROGRAM,
        names: &PublicNames { f, funcs },
        prims,
        elide: true,
        shadowed: &[],
    };
    let mut out = String::new();
    p.expr(&mut out, crate::flat_view::public_expr(e), 0);
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

impl<'a, P: CodeView, N: Names> Printer<'a, '_, P, N> {
    fn name(&self, id: LocalId) -> &str {
        self.names.slot(id)
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

    fn atoms(&self, out: &mut String, xs: AtomList<'_>) {
        for (i, a) in xs.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            self.atom(out, &a);
        }
    }

    fn is_linear(&self, a: &Atom) -> bool {
        matches!(a, Atom::Var(v) if self.names.linear(v.id))
    }

    /// `(nl ; lin)`, or `(nl)` when nothing is linear.
    fn sides(&self, out: &mut String, nl: AtomList<'_>, lin: AtomList<'_>) {
        out.push('(');
        self.atoms(out, nl);
        if !lin.is_empty() {
            out.push_str(if nl.is_empty() { "; " } else { " ; " });
            self.atoms(out, lin);
        } else if nl.one().is_some_and(|a| self.is_linear(&a)) {
            // `(y')` would be read as `(; y')`.
            out.push_str(" ;");
        }
        out.push(')');
    }

    fn block(&self, out: &mut String, b: P::Block<'a>, level: usize) {
        for bind in self.prog.binds(b) {
            indent(out, level);
            match bind {
                BindView::Let { nl, lin, rhs, .. } => {
                    out.push_str("let ");
                    self.binders(out, nl, lin);
                    out.push_str(" = ");
                    self.expr(out, rhs, level);
                    out.push_str(" in\n");
                }
                BindView::Unpack { binders, src, .. } => {
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
        self.expr(out, self.prog.tail(b), level);
    }

    fn binders(&self, out: &mut String, nl: &[LocalId], lin: &[LocalId]) {
        match (nl, lin) {
            ([x], []) if !self.names.linear(*x) => out.push_str(self.name(*x)),
            ([], [y]) if self.names.linear(*y) => out.push_str(self.name(*y)),
            _ => {
                let list = |out: &mut String, ids: &[LocalId]| {
                    for (i, &x) in ids.iter().enumerate() {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        out.push_str(self.name(x));
                    }
                };
                out.push('(');
                list(out, nl);
                if !lin.is_empty() {
                    out.push_str(if nl.is_empty() { "; " } else { " ; " });
                    list(out, lin);
                } else if nl.len() == 1 {
                    out.push_str(" ;");
                }
                out.push(')');
            }
        }
    }

    /// A nested block, parenthesised and indented one level deeper.
    fn nested(&self, out: &mut String, b: P::Block<'a>, level: usize) {
        if self.prog.binds(b).next().is_none() {
            self.expr(out, self.prog.tail(b), level);
            return;
        }
        out.push_str("(\n");
        self.block(out, b, level + 1);
        out.push('\n');
        indent(out, level);
        out.push(')');
    }

    fn expr(&self, out: &mut String, e: ExprView<'a, P::Block<'a>>, level: usize) {
        match e {
            ExprView::Ret { nl, lin, .. } => match (nl.one(), lin.one()) {
                (Some(a), None) if lin.is_empty() && !self.is_linear(&a) => self.atom(out, &a),
                (None, Some(y)) if nl.is_empty() && self.is_linear(&y) => self.atom(out, &y),
                _ => self.sides(out, nl, lin),
            },
            ExprView::Tuple { items, .. } | ExprView::LTuple { items, .. } => {
                out.push('<');
                self.atoms(out, items);
                out.push('>');
            }
            ExprView::Call { func, nl, lin, .. } => {
                // Calls read their `;`-less arguments as nonlinear, so no special case is needed.
                out.push_str(self.names.callee(func));
                out.push('(');
                self.atoms(out, nl);
                if !lin.is_empty() {
                    out.push_str(if nl.is_empty() { "; " } else { " ; " });
                    self.atoms(out, lin);
                }
                out.push(')');
            }
            ExprView::Prim { prim, args, .. } => self.prim(out, prim, args),
            ExprView::LAdd { lhs, rhs, .. } => {
                self.atom(out, &lhs);
                out.push_str(" + ");
                self.atom(out, &rhs);
            }
            ExprView::Scale { scalar, lin, .. } => {
                self.atom(out, &scalar);
                out.push_str(" * ");
                self.atom(out, &lin);
            }
            ExprView::Zero { ty, .. } => {
                let _ = write!(out, "zero<{ty}>");
            }
            ExprView::Dup { arg, .. } => {
                out.push_str("dup(");
                self.atom(out, &arg);
                out.push(')');
            }
            ExprView::Drop { .. } if self.elide => out.push_str("drop(…)"),
            ExprView::Block(_) if self.elide => out.push_str("(…)"),
            ExprView::Drop { body, .. } => {
                out.push_str("drop(");
                if self.prog.binds(body).next().is_none() {
                    self.expr(out, self.prog.tail(body), level);
                    out.push(')');
                } else {
                    out.push('\n');
                    self.block(out, body, level + 1);
                    out.push('\n');
                    indent(out, level);
                    out.push(')');
                }
            }
            ExprView::Block(b) => self.nested(out, b, level),
        }
    }

    fn prim(&self, out: &mut String, prim: PrimId, args: AtomList<'_>) {
        // Operators with a linear operand read back as the linear core (`-x'` is a scale,
        // `x' + y'` a linear add), so an (ill-typed) primitive applied to a linear variable
        // keeps its call spelling: printing must not turn one program into another.
        let linear_arg = args.iter().any(|a| self.is_linear(&a));
        let op = match prim {
            _ if linear_arg => None,
            PrimId::ADD => Some(" + "),
            PrimId::SUB => Some(" - "),
            PrimId::MUL => Some(" * "),
            PrimId::DIV => Some(" / "),
            _ => None,
        };
        match (op, args.two(), args.one()) {
            (Some(op), Some((a, b)), _) => {
                self.atom(out, &a);
                out.push_str(op);
                self.atom(out, &b);
            }
            (None, _, Some(a)) if prim == PrimId::NEG && !linear_arg => {
                // `-1.0` would read back as a negative literal, so a literal gets a space.
                out.push_str(if matches!(a, Atom::Lit(..)) {
                    "- "
                } else {
                    "-"
                });
                self.atom(out, &a);
            }
            _ => {
                if self.shadowed.contains(&prim) {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Printing every function at once is printing each: a call of the primitive `sin` above
    /// a user `sin` and a call of the user's below it are spelled apart in both.
    #[test]
    fn each_function_prints_as_print_fn_prints_it() {
        let src = "def f(x: R) -> (R) = sin(x)\ndef sin(x: R) -> (R) = x * 2.0\n\
                   def g(x: R) -> (R) = let y = %sin(x) in sin(y)\n";
        let prims = PrimTable::standard();
        let p = crate::parse_with(src, prims).unwrap();
        let each = print_each_fn(&p.funcs, prims);
        assert_eq!(each.len(), 3);
        for (i, text) in each.iter().enumerate() {
            let mut one = String::new();
            print_fn(&mut one, i, &p.funcs, prims);
            assert_eq!(text, &one);
        }
        assert!(
            each[0].contains("sin(x)") && !each[0].contains("%sin"),
            "{}",
            each[0]
        );
        assert!(
            each[2].contains("%sin(x)") && each[2].contains("sin(y)"),
            "{}",
            each[2]
        );
    }

    /// The flat form prints as the public program it converts to: every corpus program that
    /// parses (well and ill typed), and one whose aliases are first met in `zero<T>`s inside
    /// nested blocks and drops (the aliases' order is the order of first use), with a
    /// primitive shadowed by a user function.
    #[test]
    fn the_flat_form_prints_as_its_public_program() {
        let mut sources: Vec<String> = Vec::new();
        for dir in ["", "linear", "ill"] {
            sources.extend(crate::corpus::load(dir).unwrap().into_iter().map(|f| f.src));
        }
        sources.push(
            "type A = <R, R>\ntype B = <A, R>\ntype C = <R, R, R>\n\
             def cos(x: R) -> (R) = x\n\
             def f(x: R ; y': R) -> (R ; R) =\n\
             let (; p') = (let (; q') = (let () = drop(zero<B>) in zero<A>) in q') in\n\
             let (; r') = zero<C> in let () = drop(p') in let () = drop(r') in\n\
             (cos(x) + %cos(x) ; y')"
                .to_string(),
        );
        let mut printed = 0;
        for src in &sources {
            let Ok(flat) = crate::parse_flat(src) else {
                continue;
            };
            let want = print(&flat.to_program());
            assert_eq!(print_flat(&flat), want);
            printed += 1;
        }
        assert!(printed > 80, "{printed} programs printed");
        let last = crate::parse_flat(sources.last().unwrap()).unwrap();
        let text = print_flat(&last);
        // `B` is met first (inside the innermost drop), and declared after `A`, which it uses.
        assert!(
            text.starts_with("type A = <R, R>\ntype B = <A, R>\ntype C = <R, R, R>\n"),
            "{text}"
        );
        assert!(text.contains("%cos(x)"), "{text}");
    }
}
