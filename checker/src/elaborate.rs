//! Dup/drop insertion (SPEC §2): a relaxed program, where variables are used any number of
//! times, becomes a strict one with the same meaning.
//!
//! For each binder (a parameter, a `let` or destructure binder), right after it is bound (at
//! the start of the body for parameters, else right after its binding in the same block):
//!
//! - a variable used **0 times**, linear or not, gets `let () = drop(x) in`;
//! - a linear variable used **k > 1 times** gets k-1 `dup`s in a chain,
//!   `let (; x_1', x_2') = dup(x') in let (; x_3', x_4') = dup(x_2') in ...`, and its uses are
//!   renamed to the k copies;
//! - anything else is left alone (a nonlinear variable may be used many times).
//!
//! Fresh names never clash with a name of the function. The output's slots are renumbered in
//! declaration order, as the parser numbers them, so `parse(print(elaborate(p))) ==
//! elaborate(p)`; a program that is already strict comes back unchanged.
//!
//! Two passes per function, each linear: count the uses of every slot, then rebuild each block
//! as one loop over its bindings.

use crate::names::{NameMap, NameSet, name_map};
use crate::typing::{Mode, check_program};
use semantics::{
    Atom, Bind, Block, Diagnostic, Expr, FnDef, Local, LocalId, Param, PrimTable, Program, Span,
    Var,
};

/// Makes a relaxed program strict by inserting `dup`s and `drop`s. The program must type-check
/// in relaxed mode; otherwise its diagnostics are returned.
pub fn elaborate(prog: &Program, prims: &PrimTable) -> Result<Program, Vec<Diagnostic>> {
    let out = check_program(prog, prims, Mode::Relaxed, false);
    if !out.errors.is_empty() {
        return Err(crate::diagnostics(out.errors));
    }
    Ok(Program {
        funcs: prog.funcs.iter().map(elaborate_fn).collect(),
    })
}

/// [`elaborate`] of a program a transformation built, well typed by construction. The relaxed
/// type check [`elaborate`] runs first is then an assertion about the transformation: it runs
/// in debug builds (so every test checks it) and not in release, where it took a sixth of
/// `vjp`'s time. The suites check every output with the strict checker as well.
pub fn elaborate_built(prog: &Program, prims: &PrimTable) -> Result<Program, Vec<Diagnostic>> {
    if cfg!(debug_assertions) {
        return elaborate(prog, prims);
    }
    Ok(Program {
        funcs: prog.funcs.iter().map(elaborate_fn).collect(),
    })
}

fn elaborate_fn(f: &FnDef) -> FnDef {
    let mut e = Elaborator {
        f,
        uses: count_uses(f),
        locals: Vec::with_capacity(f.locals.len()),
        renamed: vec![None; f.locals.len()],
        copies: vec![Vec::new(); f.locals.len()],
        next_copy: vec![0; f.locals.len()],
        fresh: Fresh::new(f),
    };
    let params: Vec<Param> = f.params.iter().map(|p| e.param(p)).collect();
    let lparams: Vec<Param> = f.lparams.iter().map(|p| e.param(p)).collect();
    let mut prologue = Vec::new();
    for p in f.params.iter().chain(&f.lparams) {
        e.after_binding(p.var, &mut prologue);
    }
    let body = e.block(&f.body, prologue);
    FnDef {
        name: f.name.clone(),
        checkpoint: f.checkpoint,
        name_span: f.name_span,
        params,
        lparams,
        results: f.results.clone(),
        lresults: f.lresults.clone(),
        locals: e.locals,
        body,
        span: f.span,
    }
}

/// The number of occurrences of every slot.
fn count_uses(f: &FnDef) -> Vec<u32> {
    struct Uses(Vec<u32>);
    impl semantics::Visitor<'_> for Uses {
        fn read(&mut self, x: LocalId) {
            if let Some(n) = self.0.get_mut(x.0 as usize) {
                *n = n.saturating_add(1);
            }
        }
    }
    let mut uses = Uses(vec![0u32; f.locals.len()]);
    semantics::visit_block(&f.body, &mut uses);
    uses.0
}

/// Fresh linear names `x_1'`, `x_2'`, ...: one counter per base name, skipping the names the
/// function already has. Two fresh names never clash with each other: the part after the last
/// `_` is the counter, so the name determines its base and its number. The table of taken
/// names borrows the function's and is built on the first request, so a strict function costs
/// nothing here; only the names of a fresh name's form (`…_7'`) enter it.
struct Fresh<'a> {
    f: &'a FnDef,
    taken: Option<NameSet<&'a str>>,
    next: NameMap<&'a str, u32>,
}

impl<'a> Fresh<'a> {
    fn new(f: &'a FnDef) -> Fresh<'a> {
        Fresh {
            f,
            taken: None,
            next: name_map(0),
        }
    }

    /// A fresh linear name for a copy of `of`.
    fn linear(&mut self, of: &'a str) -> String {
        let f = self.f;
        let taken = self.taken.get_or_insert_with(|| {
            f.locals
                .iter()
                .map(|l| l.name.as_str())
                .filter(|name| fresh_form(name))
                .collect()
        });
        let base = of.trim_end_matches('\'');
        let n = self.next.entry(base).or_insert(0);
        let mut name = String::with_capacity(base.len() + 8);
        loop {
            *n += 1;
            name.clear();
            name.push_str(base);
            name.push('_');
            push_decimal(&mut name, *n);
            name.push('\'');
            if !taken.contains(name.as_str()) {
                return name;
            }
        }
    }
}

/// Whether `name` is spelled as a fresh name is: `…_<digits>'`, one prime.
fn fresh_form(name: &str) -> bool {
    name.strip_suffix('\'').is_some_and(|stem| {
        let digits = stem.len() - stem.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        digits > 0 && stem[..stem.len() - digits].ends_with('_')
    })
}

/// Appends `n` in decimal (without the formatting machinery: a copy's name is made once per
/// `dup`, on a million-binding output).
fn push_decimal(out: &mut String, n: u32) {
    let mut digits = [0u8; 10];
    let mut k = digits.len();
    let mut n = n;
    loop {
        k -= 1;
        digits[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &digits[k..] {
        out.push(char::from(d));
    }
}

struct Elaborator<'a> {
    f: &'a FnDef,
    uses: Vec<u32>,
    /// The output's slots, in declaration order.
    locals: Vec<Local>,
    /// Old slot to new slot, for binders already declared.
    renamed: Vec<Option<LocalId>>,
    /// For a linear slot used k > 1 times: the k copies its uses are renamed to.
    copies: Vec<Vec<LocalId>>,
    next_copy: Vec<usize>,
    fresh: Fresh<'a>,
}

impl<'a> Elaborator<'a> {
    fn declare(&mut self, old: LocalId) -> LocalId {
        let id = LocalId(self.locals.len() as u32);
        let local = self.f.local(old).cloned().unwrap_or(Local {
            name: format!("_slot{}", old.0),
            linear: false,
            span: Span::GENERATED,
        });
        self.locals.push(local);
        if let Some(r) = self.renamed.get_mut(old.0 as usize) {
            *r = Some(id);
        }
        id
    }

    fn declare_fresh(&mut self, name: String, span: Span) -> LocalId {
        let id = LocalId(self.locals.len() as u32);
        self.locals.push(Local {
            name,
            linear: true,
            span,
        });
        id
    }

    fn param(&mut self, p: &Param) -> Param {
        Param {
            var: self.declare(p.var),
            ty: p.ty.clone(),
        }
    }

    /// The bindings that follow binder `old`: a drop if it is unused, dups if it is linear and
    /// used more than once.
    fn after_binding(&mut self, old: LocalId, out: &mut Vec<Bind>) {
        let f = self.f;
        let Some(local) = f.local(old) else {
            return;
        };
        let (linear, span) = (local.linear, local.span);
        let uses = self.uses.get(old.0 as usize).copied().unwrap_or(0);
        let var = Var {
            id: self.renamed(old),
            span,
        };
        if uses == 0 {
            let ret = if linear {
                Expr::Ret {
                    nl: vec![],
                    lin: vec![Atom::Var(var)],
                    span,
                }
            } else {
                Expr::Ret {
                    nl: vec![Atom::Var(var)],
                    lin: vec![],
                    span,
                }
            };
            out.push(Bind::Let {
                nl: vec![],
                lin: vec![],
                rhs: Expr::Drop {
                    body: Box::new(Block {
                        binds: vec![],
                        tail: ret,
                    }),
                    span,
                },
                span,
            });
        } else if linear && uses > 1 {
            let mut copies = Vec::with_capacity(uses as usize);
            let mut src = var.id;
            for i in 1..uses {
                let first = self.fresh.linear(&local.name);
                let second = self.fresh.linear(&local.name);
                let a = self.declare_fresh(first, span);
                let b = self.declare_fresh(second, span);
                out.push(Bind::Let {
                    nl: vec![],
                    lin: vec![a, b],
                    rhs: Expr::Dup {
                        arg: Atom::Var(Var { id: src, span }),
                        span,
                    },
                    span,
                });
                copies.push(a);
                if i + 1 == uses {
                    copies.push(b);
                } else {
                    src = b;
                }
            }
            if let Some(c) = self.copies.get_mut(old.0 as usize) {
                *c = copies;
            }
        }
    }

    fn renamed(&self, old: LocalId) -> LocalId {
        self.renamed
            .get(old.0 as usize)
            .copied()
            .flatten()
            .unwrap_or(old)
    }

    /// An occurrence: a copy for a duplicated linear variable, else the binder's new slot.
    fn var(&mut self, v: Var) -> Var {
        let i = v.id.0 as usize;
        let copy = self.copies.get(i).and_then(|c| {
            let k = self.next_copy[i];
            c.get(k).copied()
        });
        let id = match copy {
            Some(id) => {
                self.next_copy[i] += 1;
                id
            }
            None => self.renamed(v.id),
        };
        Var { id, span: v.span }
    }

    fn atom(&mut self, a: &Atom) -> Atom {
        match a {
            Atom::Var(v) => Atom::Var(self.var(*v)),
            Atom::Lit(..) => *a,
        }
    }

    fn atoms(&mut self, xs: &[Atom]) -> Vec<Atom> {
        xs.iter().map(|a| self.atom(a)).collect()
    }

    /// How many bindings [`Elaborator::after_binding`] adds after binder `old`.
    fn added_after(&self, old: LocalId) -> usize {
        let uses = self.uses.get(old.0 as usize).copied().unwrap_or(0);
        match uses {
            0 => 1,
            1 => 0,
            k if self.f.is_linear(old) => k as usize - 1,
            _ => 0,
        }
    }

    fn block(&mut self, b: &Block, prologue: Vec<Bind>) -> Block {
        let mut binds = prologue;
        // The exact size: growing a million-binding vector by doubling copied it twenty times.
        let added: usize = b
            .binds
            .iter()
            .map(|bind| match bind {
                Bind::Let { nl, lin, .. } => nl
                    .iter()
                    .chain(lin)
                    .map(|&x| self.added_after(x))
                    .sum::<usize>(),
                Bind::Unpack { binders, .. } => {
                    binders.iter().map(|&x| self.added_after(x)).sum::<usize>()
                }
            })
            .sum::<usize>();
        binds.reserve_exact(b.binds.len() + added);
        for bind in &b.binds {
            match bind {
                Bind::Let { nl, lin, rhs, span } => {
                    let rhs = self.expr(rhs);
                    let new_nl = nl.iter().map(|&x| self.declare(x)).collect();
                    let new_lin = lin.iter().map(|&y| self.declare(y)).collect();
                    binds.push(Bind::Let {
                        nl: new_nl,
                        lin: new_lin,
                        rhs,
                        span: *span,
                    });
                    for &x in nl.iter().chain(lin) {
                        self.after_binding(x, &mut binds);
                    }
                }
                Bind::Unpack { binders, src, span } => {
                    let src = self.var(*src);
                    let new = binders.iter().map(|&x| self.declare(x)).collect();
                    binds.push(Bind::Unpack {
                        binders: new,
                        src,
                        span: *span,
                    });
                    for &x in binders {
                        self.after_binding(x, &mut binds);
                    }
                }
            }
        }
        let tail = self.expr(&b.tail);
        Block { binds, tail }
    }

    fn expr(&mut self, e: &Expr) -> Expr {
        match e {
            Expr::Ret { nl, lin, span } => Expr::Ret {
                nl: self.atoms(nl),
                lin: self.atoms(lin),
                span: *span,
            },
            Expr::Tuple { items, span } => Expr::Tuple {
                items: self.atoms(items),
                span: *span,
            },
            Expr::LTuple { items, span } => Expr::LTuple {
                items: self.atoms(items),
                span: *span,
            },
            Expr::Call {
                func,
                nl,
                lin,
                span,
            } => Expr::Call {
                func: *func,
                nl: self.atoms(nl),
                lin: self.atoms(lin),
                span: *span,
            },
            Expr::Prim { prim, args, span } => Expr::Prim {
                prim: *prim,
                args: self.atoms(args),
                span: *span,
            },
            Expr::LAdd { lhs, rhs, span } => Expr::LAdd {
                lhs: self.atom(lhs),
                rhs: self.atom(rhs),
                span: *span,
            },
            Expr::Scale { scalar, lin, span } => Expr::Scale {
                scalar: self.atom(scalar),
                lin: self.atom(lin),
                span: *span,
            },
            Expr::Zero { .. } => e.clone(),
            Expr::Dup { arg, span } => Expr::Dup {
                arg: self.atom(arg),
                span: *span,
            },
            Expr::Drop { body, span } => Expr::Drop {
                body: Box::new(self.block(body, Vec::new())),
                span: *span,
            },
            Expr::Block(b) => Expr::Block(Box::new(self.block(b, Vec::new()))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_form_is_the_spelling_of_a_copy() {
        for name in ["x_1'", "dy_20'", "a_b_7'", "_3'"] {
            assert!(fresh_form(name), "{name}");
        }
        for name in ["x_1", "x_1''", "x1'", "x_'", "x_a'", "x'"] {
            assert!(!fresh_form(name), "{name}");
        }
    }

    #[test]
    fn push_decimal_writes_what_display_writes() {
        for n in [0, 7, 10, 99, 1000, 123_456_789, u32::MAX] {
            let mut s = String::from("v");
            push_decimal(&mut s, n);
            assert_eq!(s, format!("v{n}"));
        }
    }

    #[test]
    fn copies_avoid_the_names_of_their_form_only() {
        let prims = PrimTable::standard();
        let prog = semantics::parse("def f(; x': R, x_1': R) -> (; R) = x' + x' + x_1'").unwrap();
        let out = elaborate(&prog, prims).unwrap();
        let names: Vec<&str> = out.funcs[0]
            .locals
            .iter()
            .map(|l| l.name.as_str())
            .collect();
        assert!(
            names.contains(&"x_2'") && names.contains(&"x_3'"),
            "{names:?}"
        );
        assert_eq!(
            names.iter().filter(|n| **n == "x_1'").count(),
            1,
            "{names:?}"
        );
        crate::check(&out, prims, crate::Options::default()).unwrap();
    }
}
