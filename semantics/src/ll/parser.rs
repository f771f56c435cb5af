//! The λLL text syntax: a lexer and a recursive-descent parser that resolves names to slots.
//!
//! ```text
//! program ::= def*                      def  ::= 'def' NAME ':' type '=' block
//! type    ::= base ['-o' type]          base ::= 'R' | '1' | '!' base | '(' type ')'
//!           | '(' type '*' ')' | '(' type '*' type ('*' type)* ')'
//! block   ::= 'let' pat '=' expr 'in' block | expr
//! pat     ::= x | '!' x | '(' ')' | '(' q ',' ')' | '(' q (',' q)+ ')'      q ::= x | '!' x
//! expr    ::= '!' ('{' block '}' | expr) | 'fun' '(' x ':' type ')' '{' block '}' | '{' block '}'
//!           | 'zero' '[' type ']' | 'dup' atom | 'drop' atom | PRIM '(' atom,* ')'
//!           | '(' atom,* ')' | atom | atom '+' atom | atom '*' atom | atom atom
//! atom    ::= x | NUMBER
//! ```
//! Sorts come from binders: `!x` binds into Γ, `x` into Δ. Binders of one definition are
//! distinct (E0753). Nesting is bounded by [`crate::MAX_NESTING`] (E0752), so recursion here
//! never follows program length: a `let` sequence is a loop.

use super::syntax::*;
use crate::diagnostics::Diagnostic;
use crate::prims::PrimTable;
use crate::span::Span;
use std::collections::HashMap;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Tok {
    Ident,
    Num(f64),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBrack,
    RBrack,
    Comma,
    Colon,
    Eq,
    Bang,
    Star,
    Plus,
    Lolli,
    Eof,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    tok: Tok,
    span: Span,
}

fn syntax(span: Span, message: impl Into<String>) -> Diagnostic {
    Diagnostic::error("E0750", message).with_primary(span, "here")
}

fn lex(src: &str) -> Result<Vec<Token>, Diagnostic> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        let one = |t| Some((t, 1));
        let simple = match c {
            b'(' => one(Tok::LParen),
            b')' => one(Tok::RParen),
            b'{' => one(Tok::LBrace),
            b'}' => one(Tok::RBrace),
            b'[' => one(Tok::LBrack),
            b']' => one(Tok::RBrack),
            b',' => one(Tok::Comma),
            b':' => one(Tok::Colon),
            b'=' => one(Tok::Eq),
            b'!' => one(Tok::Bang),
            b'*' => one(Tok::Star),
            b'+' => one(Tok::Plus),
            b'-' if bytes.get(i + 1) == Some(&b'o') => Some((Tok::Lolli, 2)),
            _ => None,
        };
        if let Some((t, n)) = simple {
            out.push(Token {
                tok: t,
                span: Span::new(i, i + n),
            });
            i += n;
        } else if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if c.is_ascii_digit() || c == b'-' {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'.'
                    || ((bytes[i] == b'-' || bytes[i] == b'+')
                        && matches!(bytes[i - 1], b'e' | b'E')))
            {
                i += 1;
            }
            let text = &src[start..i];
            let x: f64 = match text {
                "inf" => f64::INFINITY,
                _ => text.parse().map_err(|_| {
                    syntax(Span::new(start, i), format!("`{text}` is not a number"))
                })?,
            };
            out.push(Token {
                tok: Tok::Num(x),
                span: Span::new(start, i),
            });
        } else if c.is_ascii_alphabetic() || c == b'_' {
            i += 1;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
            {
                i += 1;
            }
            while i < bytes.len() && bytes[i] == b'\'' {
                i += 1;
            }
            out.push(Token {
                tok: Tok::Ident,
                span: Span::new(start, i),
            });
        } else {
            let ch = src[i..].chars().next().unwrap_or('?');
            return Err(syntax(
                Span::new(i, i + ch.len_utf8()),
                format!("`{ch}` is not part of λLL"),
            ));
        }
    }
    out.push(Token {
        tok: Tok::Eof,
        span: Span::new(src.len(), src.len()),
    });
    Ok(out)
}

const KEYWORDS: [&str; 8] = ["def", "let", "in", "fun", "zero", "dup", "drop", "R"];

struct Parser<'s> {
    src: &'s str,
    toks: Vec<Token>,
    pos: usize,
    depth: usize,
    prims: &'s PrimTable,
    globals: HashMap<&'s str, DefId>,
    // Per definition:
    slots: Vec<SlotInfo>,
    scope: HashMap<String, Slot>,
    /// Every name bound so far in the definition (binders are distinct).
    bound: HashMap<String, Slot>,
}

type P<T> = Result<T, Diagnostic>;

/// Parses a λLL program (primitives from the standard table).
pub fn parse(src: &str) -> Result<LlProgram, Vec<Diagnostic>> {
    let toks = lex(src).map_err(|d| vec![d])?;
    let mut p = Parser {
        src,
        toks,
        pos: 0,
        depth: 0,
        prims: PrimTable::standard(),
        globals: HashMap::new(),
        slots: Vec::new(),
        scope: HashMap::new(),
        bound: HashMap::new(),
    };
    p.program().map_err(|d| vec![d])
}

impl<'s> Parser<'s> {
    fn peek(&self) -> Token {
        self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn peek2(&self) -> Tok {
        self.toks[(self.pos + 1).min(self.toks.len() - 1)].tok
    }

    fn text(&self, t: Token) -> &'s str {
        &self.src[t.span.range()]
    }

    fn bump(&mut self) -> Token {
        let t = self.peek();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn is_kw(&self, kw: &str) -> bool {
        let t = self.peek();
        t.tok == Tok::Ident && self.text(t) == kw
    }

    fn expect(&mut self, tok: Tok, what: &str) -> P<Token> {
        let t = self.peek();
        if t.tok == tok {
            Ok(self.bump())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn keyword(&mut self, kw: &str) -> P<Token> {
        if self.is_kw(kw) {
            Ok(self.bump())
        } else {
            Err(self.unexpected(&format!("`{kw}`")))
        }
    }

    fn unexpected(&self, what: &str) -> Diagnostic {
        let t = self.peek();
        let found = if t.tok == Tok::Eof {
            "the end".to_string()
        } else {
            format!("`{}`", self.text(t))
        };
        syntax(t.span, format!("expected {what}, found {found}"))
    }

    fn name(&mut self) -> P<Token> {
        let t = self.peek();
        if t.tok == Tok::Ident && !KEYWORDS.contains(&self.text(t)) {
            Ok(self.bump())
        } else {
            Err(self.unexpected("a name"))
        }
    }

    fn nest<T>(&mut self, f: impl FnOnce(&mut Self) -> P<T>) -> P<T> {
        if self.depth >= crate::parser::MAX_NESTING {
            return Err(Diagnostic::error(
                "E0752",
                format!("nested deeper than {} levels", crate::parser::MAX_NESTING),
            )
            .with_primary(self.peek().span, "here"));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    fn program(&mut self) -> P<LlProgram> {
        let mut defs = Vec::new();
        while self.peek().tok != Tok::Eof {
            let start = self.keyword("def")?.span;
            let name = self.name()?;
            self.expect(Tok::Colon, "`:`")?;
            let ty = self.ty()?;
            self.expect(Tok::Eq, "`=`")?;
            self.slots = Vec::new();
            self.scope = HashMap::new();
            self.bound = HashMap::new();
            let body = self.block()?;
            let mut def = Def {
                name: self.text(name).to_string(),
                ty,
                slots: std::mem::take(&mut self.slots),
                body,
                span: start.to(name.span),
            };
            close(&mut def);
            self.globals
                .insert(self.text(name), DefId(defs.len() as u32));
            defs.push(def);
        }
        Ok(LlProgram { defs })
    }

    fn ty(&mut self) -> P<LType> {
        self.nest(|p| {
            let a = p.base_ty()?;
            if p.peek().tok == Tok::Lolli {
                p.bump();
                Ok(LType::lolli(a, p.ty()?))
            } else {
                Ok(a)
            }
        })
    }

    fn base_ty(&mut self) -> P<LType> {
        let t = self.peek();
        match t.tok {
            Tok::Ident if self.text(t) == "R" => {
                self.bump();
                Ok(LType::Real)
            }
            Tok::Num(x) if x == 1.0 && self.text(t) == "1" => {
                self.bump();
                Ok(LType::one())
            }
            Tok::Bang => {
                self.bump();
                self.nest(|p| Ok(LType::bang(p.base_ty()?)))
            }
            Tok::LParen => {
                self.bump();
                let first = self.ty()?;
                if self.peek().tok == Tok::RParen {
                    self.bump();
                    return Ok(first);
                }
                let mut items = vec![first];
                while self.peek().tok == Tok::Star {
                    self.bump();
                    if self.peek().tok == Tok::RParen {
                        break;
                    }
                    items.push(self.ty()?);
                }
                self.expect(Tok::RParen, "`*` or `)`")?;
                Ok(LType::Tensor(items))
            }
            _ => Err(self.unexpected("a type")),
        }
    }

    /// A new slot for a binder (distinct within the definition).
    fn bind(&mut self, t: Token, intuitionistic: bool) -> P<Slot> {
        let name = self.text(t).to_string();
        if let Some(prev) = self
            .bound
            .get(&name)
            .and_then(|x| self.slots.get(x.0 as usize))
        {
            return Err(Diagnostic::error(
                "E0753",
                format!("`{name}` is bound twice in one definition"),
            )
            .with_primary(t.span, "bound again here")
            .with_secondary(prev.span, "first bound here"));
        }
        let x = Slot(self.slots.len() as u32);
        self.slots.push(SlotInfo {
            name: name.clone(),
            intuitionistic,
            span: t.span,
        });
        self.scope.insert(name.clone(), x);
        self.bound.insert(name, x);
        Ok(x)
    }

    /// Removes the binders made since `mark` from scope (leaving a block).
    fn unscope(&mut self, mark: usize) {
        for s in &self.slots[mark..] {
            self.scope.remove(&s.name);
        }
    }

    fn block(&mut self) -> P<Block> {
        let mark = self.slots.len();
        let mut binds = Vec::new();
        while self.is_kw("let") {
            let start = self.bump().span;
            // The right-hand side is parsed before the pattern's binders enter scope.
            let pat_start = self.pos;
            self.skip_pattern()?;
            self.expect(Tok::Eq, "`=`")?;
            let rhs = self.expr()?;
            let after = self.pos;
            self.pos = pat_start;
            let pat = self.pattern()?;
            self.pos = after;
            let end = self.keyword("in")?.span;
            binds.push(Bind {
                pat,
                rhs,
                span: start.to(end),
            });
        }
        let tail = self.expr()?;
        self.unscope(mark);
        let tail = match tail {
            Expr::Block(b) if binds.is_empty() => return Ok(*b),
            Expr::Block(b) => {
                return Err(syntax(
                    b.tail.span(),
                    "a block's result cannot be another `{ ... }` block",
                ));
            }
            t => t,
        };
        Ok(Block { binds, tail })
    }

    fn skip_pattern(&mut self) -> P<()> {
        match self.peek().tok {
            Tok::LParen => {
                while !matches!(self.peek().tok, Tok::RParen | Tok::Eof) {
                    self.bump();
                }
                self.expect(Tok::RParen, "`)`")?;
            }
            Tok::Bang => {
                self.bump();
                self.name()?;
            }
            _ => {
                self.name()?;
            }
        }
        Ok(())
    }

    fn pattern(&mut self) -> P<Pat> {
        match self.peek().tok {
            Tok::LParen => {
                self.bump();
                let mut items = Vec::new();
                while self.peek().tok != Tok::RParen {
                    let bang = self.peek().tok == Tok::Bang;
                    if bang {
                        self.bump();
                    }
                    let t = self.name()?;
                    items.push((self.bind(t, bang)?, bang));
                    if self.peek().tok == Tok::Comma {
                        self.bump();
                    } else {
                        break;
                    }
                }
                self.expect(Tok::RParen, "`,` or `)`")?;
                Ok(Pat::Tensor(items))
            }
            Tok::Bang => {
                self.bump();
                let t = self.name()?;
                Ok(Pat::Bang(self.bind(t, true)?))
            }
            _ => {
                let t = self.name()?;
                Ok(Pat::Lin(self.bind(t, false)?))
            }
        }
    }

    fn atom(&mut self) -> P<Atom> {
        let t = self.peek();
        match t.tok {
            Tok::Num(x) => {
                self.bump();
                Ok(Atom::Lit(x, t.span))
            }
            Tok::Ident if !KEYWORDS.contains(&self.text(t)) => {
                self.bump();
                let name = self.text(t);
                if let Some(&x) = self.scope.get(name) {
                    Ok(Atom::Var(x, t.span))
                } else if let Some(&g) = self.globals.get(name) {
                    Ok(Atom::Global(g, t.span))
                } else {
                    Err(
                        Diagnostic::error("E0751", format!("`{name}` is not bound here"))
                            .with_primary(t.span, "unbound"),
                    )
                }
            }
            _ => Err(self.unexpected("a variable or a number")),
        }
    }

    fn starts_atom(&self) -> bool {
        let t = self.peek();
        matches!(t.tok, Tok::Num(_)) || (t.tok == Tok::Ident && !KEYWORDS.contains(&self.text(t)))
    }

    fn atoms_until_rparen(&mut self) -> P<(Vec<Atom>, Span)> {
        let open = self.expect(Tok::LParen, "`(`")?.span;
        let mut items = Vec::new();
        while self.peek().tok != Tok::RParen {
            items.push(self.atom()?);
            if self.peek().tok == Tok::Comma {
                self.bump();
            } else {
                break;
            }
        }
        let close = self.expect(Tok::RParen, "`,` or `)`")?.span;
        Ok((items, open.to(close)))
    }

    fn braced(&mut self) -> P<Block> {
        self.expect(Tok::LBrace, "`{`")?;
        let b = self.nest(|p| p.block())?;
        self.expect(Tok::RBrace, "`}`")?;
        Ok(b)
    }

    fn expr(&mut self) -> P<Expr> {
        let t = self.peek();
        match t.tok {
            Tok::Bang => {
                self.bump();
                let body = if self.peek().tok == Tok::LBrace {
                    self.braced()?
                } else {
                    Block::of(self.nest(|p| p.expr())?)
                };
                Ok(Expr::Bang(Box::new(body), t.span))
            }
            Tok::LBrace => Ok(Expr::Block(Box::new(self.braced()?))),
            Tok::LParen => {
                let (items, span) = self.atoms_until_rparen()?;
                Ok(Expr::Tuple(items, span))
            }
            Tok::Ident => match self.text(t) {
                "fun" => {
                    self.bump();
                    self.expect(Tok::LParen, "`(`")?;
                    let x = self.name()?;
                    self.expect(Tok::Colon, "`:`")?;
                    let ty = self.ty()?;
                    self.expect(Tok::RParen, "`)`")?;
                    let mark = self.slots.len();
                    let param = self.bind(x, false)?;
                    let body = self.braced()?;
                    self.unscope(mark);
                    Ok(Expr::Lam(
                        Rc::new(Lam {
                            param,
                            ty,
                            body,
                            captures: Vec::new(),
                        }),
                        t.span,
                    ))
                }
                "zero" => {
                    self.bump();
                    self.expect(Tok::LBrack, "`[`")?;
                    let ty = self.ty()?;
                    self.expect(Tok::RBrack, "`]`")?;
                    Ok(Expr::Zero(ty, t.span))
                }
                "dup" => {
                    self.bump();
                    Ok(Expr::Dup(self.atom()?, t.span))
                }
                "drop" => {
                    self.bump();
                    Ok(Expr::Drop(self.atom()?, t.span))
                }
                name if self.peek2() == Tok::LParen => {
                    let Some(prim) = self.prims.lookup(name) else {
                        return Err(Diagnostic::error(
                            "E0754",
                            format!("`{name}` is not a primitive (apply a function as `f x`)"),
                        )
                        .with_primary(t.span, "not in the primitive table"));
                    };
                    self.bump();
                    let (args, span) = self.atoms_until_rparen()?;
                    Ok(Expr::Prim(prim, args, t.span.to(span)))
                }
                _ => self.operation(),
            },
            Tok::Num(_) => self.operation(),
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn operation(&mut self) -> P<Expr> {
        let a = self.atom()?;
        let t = self.peek();
        match t.tok {
            Tok::Plus => {
                self.bump();
                Ok(Expr::Add(a, self.atom()?, t.span))
            }
            Tok::Star => {
                self.bump();
                Ok(Expr::Scale(a, self.atom()?, t.span))
            }
            _ if self.starts_atom() => {
                let b = self.atom()?;
                Ok(Expr::App(a, b, a.span().to(b.span())))
            }
            _ => Ok(Expr::Atom(a)),
        }
    }
}
