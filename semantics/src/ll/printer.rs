//! λLL to text, in the syntax [`super::parse`] reads: `parse(print(p)) == p`.

use super::syntax::*;
use crate::prims::PrimTable;
use crate::value::fmt_real;
use std::fmt::Write;

pub fn print_type(t: &LType) -> String {
    let mut s = String::new();
    ty(&mut s, t);
    s
}

fn ty(s: &mut String, t: &LType) {
    match t {
        LType::Real => s.push('R'),
        LType::Tensor(ts) if ts.is_empty() => s.push('1'),
        LType::Tensor(ts) => {
            s.push('(');
            for (i, t) in ts.iter().enumerate() {
                if i > 0 {
                    s.push_str(" * ");
                }
                ty(s, t);
            }
            if ts.len() == 1 {
                s.push_str(" *");
            }
            s.push(')');
        }
        LType::Lolli(a, b) => {
            if matches!(**a, LType::Lolli(..)) {
                s.push('(');
                ty(s, a);
                s.push(')');
            } else {
                ty(s, a);
            }
            s.push_str(" -o ");
            ty(s, b);
        }
        LType::Bang(a) => {
            s.push('!');
            if matches!(**a, LType::Lolli(..)) {
                s.push('(');
                ty(s, a);
                s.push(')');
            } else {
                ty(s, a);
            }
        }
    }
}

/// The whole program, one definition after another.
pub fn print(p: &LlProgram) -> String {
    let mut s = String::new();
    for d in &p.defs {
        let pr = Printer { p, d, s: &mut s };
        pr.def();
    }
    s
}

struct Printer<'a> {
    p: &'a LlProgram,
    d: &'a Def,
    s: &'a mut String,
}

impl Printer<'_> {
    fn def(mut self) {
        let _ = writeln!(self.s, "def {} : {} =", self.d.name, print_type(&self.d.ty));
        self.block(&self.d.body, 1);
        self.s.push('\n');
    }

    fn indent(&mut self, n: usize) {
        for _ in 0..n {
            self.s.push_str("  ");
        }
    }

    fn block(&mut self, b: &Block, ind: usize) {
        for bind in &b.binds {
            self.indent(ind);
            self.s.push_str("let ");
            self.pat(&bind.pat);
            self.s.push_str(" = ");
            self.expr(&bind.rhs, ind);
            self.s.push_str(" in\n");
        }
        self.indent(ind);
        self.expr(&b.tail, ind);
        self.s.push('\n');
    }

    fn name(&mut self, x: Slot) {
        let n = self.d.name_of(x).to_string();
        self.s.push_str(&n);
    }

    fn pat(&mut self, p: &Pat) {
        match p {
            Pat::Lin(x) => self.name(*x),
            Pat::Bang(x) => {
                self.s.push('!');
                self.name(*x);
            }
            Pat::Tensor(items) => {
                self.s.push('(');
                for (i, (x, bang)) in items.iter().enumerate() {
                    if i > 0 {
                        self.s.push_str(", ");
                    }
                    if *bang {
                        self.s.push('!');
                    }
                    self.name(*x);
                }
                if items.len() == 1 {
                    self.s.push(',');
                }
                self.s.push(')');
            }
        }
    }

    fn atom(&mut self, a: &Atom) {
        match a {
            Atom::Var(x, _) => self.name(*x),
            Atom::Lit(x, _) => self.s.push_str(&fmt_real(*x)),
            Atom::Global(g, _) => {
                let n = self.p.def(*g).map_or("?", |d| d.name.as_str()).to_string();
                self.s.push_str(&n);
            }
        }
    }

    fn atoms(&mut self, xs: &[Atom]) {
        self.s.push('(');
        for (i, a) in xs.iter().enumerate() {
            if i > 0 {
                self.s.push_str(", ");
            }
            self.atom(a);
        }
        if xs.len() == 1 {
            self.s.push(',');
        }
        self.s.push(')');
    }

    fn braced(&mut self, b: &Block, ind: usize) {
        self.s.push_str("{\n");
        self.block(b, ind + 1);
        self.indent(ind);
        self.s.push('}');
    }

    fn expr(&mut self, e: &Expr, ind: usize) {
        match e {
            Expr::Atom(a) => self.atom(a),
            Expr::Bang(b, _) => {
                self.s.push('!');
                if b.binds.is_empty() {
                    self.expr(&b.tail, ind);
                } else {
                    self.braced(b, ind);
                }
            }
            Expr::Tuple(xs, _) => self.atoms(xs),
            Expr::Lam(l, _) => {
                self.s.push_str("fun (");
                self.name(l.param);
                let _ = write!(self.s, " : {}) ", print_type(&l.ty));
                self.braced(&l.body, ind);
            }
            Expr::App(a, b, _) => {
                self.atom(a);
                self.s.push(' ');
                self.atom(b);
            }
            Expr::Prim(p, xs, _) => {
                self.s.push_str(PrimTable::standard().name(*p));
                self.s.push('(');
                for (i, a) in xs.iter().enumerate() {
                    if i > 0 {
                        self.s.push_str(", ");
                    }
                    self.atom(a);
                }
                self.s.push(')');
            }
            Expr::Zero(t, _) => {
                let _ = write!(self.s, "zero[{}]", print_type(t));
            }
            Expr::Add(a, b, _) => {
                self.atom(a);
                self.s.push_str(" + ");
                self.atom(b);
            }
            Expr::Scale(a, b, _) => {
                self.atom(a);
                self.s.push_str(" * ");
                self.atom(b);
            }
            Expr::Dup(a, _) => {
                self.s.push_str("dup ");
                self.atom(a);
            }
            Expr::Drop(a, _) => {
                self.s.push_str("drop ");
                self.atom(a);
            }
            Expr::Block(b) => self.braced(b, ind),
        }
    }
}
