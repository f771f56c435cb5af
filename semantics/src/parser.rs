//! The parser: tokens to core syntax, desugaring as it goes. It writes the flat form
//! ([`crate::flat`]) directly: a body's bindings straight onto the program's binding vector,
//! argument lists on one stack until they end; [`parse`] converts that to the public syntax.
//!
//! Surface sugar (SPEC §1) never becomes a tree: a nested expression in an atom position is
//! bound on the spot to a fresh variable by a `let` pushed onto the enclosing block, left to
//! right. So `sin(x * y) + x` parses to `let _t1 = x * y in let _t2 = sin(_t1) in _t2 + x`, and
//! a chain `a + b + ... + z` of any length is a loop, not a left-nested tree.
//!
//! Names are resolved here, once: each binder gets a slot of its function, each occurrence the
//! slot of the innermost binder in scope, each call the callee's index (a user function defined
//! above shadows a primitive of the same name; operators always mean primitives).
//!
//! Recursion follows only bracket nesting, bounded by [`MAX_NESTING`], so no input can exhaust
//! the stack. Errors are collected: a bad definition is reported and skipped, and parsing goes
//! on at the next `def`.

use crate::diagnostics::{Diagnostic, MAX_DIAGNOSTICS, cap};
use crate::flat::{Atoms, BlockId, FlatBind, FlatExpr, FlatFn, FlatProgram};
use crate::fresh::Fresh;
use crate::lexer::{self, Lexer, Tok, Token};
use crate::names::Scope;
use crate::prims::PrimTable;
use crate::span::Span;
use crate::syntax::*;
use crate::types::Type;

/// The deepest bracket nesting the parser accepts (parentheses, tuples, calls, types).
pub const MAX_NESTING: usize = 200;

/// The largest source accepted (512 MiB; spans are `u32` byte offsets, and the lexer's tokens
/// take up to 9 bytes per input byte). A million-`let` program is about 40 MB, and its JVP,
/// which `lina unzip` must read, about 300 MB.
pub const MAX_SOURCE_BYTES: usize = 512 << 20;

/// Parses a whole program with the standard primitive table.
pub fn parse(src: &str) -> Result<Program, Vec<Diagnostic>> {
    parse_with(src, PrimTable::standard())
}

/// Parses a whole program, resolving primitive names in `prims`.
pub fn parse_with(src: &str, prims: &PrimTable) -> Result<Program, Vec<Diagnostic>> {
    parse_flat_with(src, prims).map(|flat| flat.to_program())
}

/// Parses a whole program into its flat form ([`FlatProgram`]), with the standard table.
pub fn parse_flat(src: &str) -> Result<FlatProgram, Vec<Diagnostic>> {
    parse_flat_with(src, PrimTable::standard())
}

/// Parses a whole program into its flat form, resolving primitive names in `prims`: what
/// [`parse_with`] converts to the public syntax.
pub fn parse_flat_with(src: &str, prims: &PrimTable) -> Result<FlatProgram, Vec<Diagnostic>> {
    parse_flat_by(src, prims, true)
}

/// [`parse_flat_with`], taking the descent's shortcuts for lone atoms ([`Parser::lone_atom`])
/// or not (`shortcuts: false`, for the tests that both ways give the same program).
fn parse_flat_by(
    src: &str,
    prims: &PrimTable,
    shortcuts: bool,
) -> Result<FlatProgram, Vec<Diagnostic>> {
    if src.len() > MAX_SOURCE_BYTES {
        return Err(vec![Diagnostic::error(
            "E0112",
            format!(
                "the source is {} bytes; the largest lina reads is {MAX_SOURCE_BYTES}",
                src.len()
            ),
        )]);
    }
    let mut p = Parser::new(src, prims, Fresh::new());
    p.shortcuts = shortcuts;
    p.program();
    if p.reparse {
        // A name of the temporaries' form came after a temporary was made: parse again with
        // every such name of the file avoided from the start, as if they had all been known.
        let mut fresh = Fresh::new();
        let mut lexer = Lexer::new(src);
        let mut window = Vec::with_capacity(WINDOW + 8);
        while !lexer.done() {
            window.clear();
            lexer.fill(&mut window, WINDOW);
            for t in &window {
                let text = &src[t.span.range()];
                if is_temp_form(t.tok, text) {
                    fresh.avoid(text);
                }
            }
        }
        p = Parser::new(src, prims, fresh);
        p.shortcuts = shortcuts;
        p.program();
    }
    p.resolve_forward();
    let (mut errors, lex_faults) = p.lexer.finish();
    errors.append(&mut p.errors);
    if errors.is_empty() {
        Ok(p.flat)
    } else {
        // Both lists hold the first faults of their phase in source order, so after sorting
        // the first MAX_DIAGNOSTICS of the union are the first of the file.
        errors.sort_by_key(|d| d.primary_span().map_or(0, |s| s.start));
        Err(cap(errors, lex_faults + p.faults))
    }
}

/// A parse failure whose diagnostic is already recorded; the caller skips to the next `def`.
struct Bail;
type PResult<T> = Result<T, Bail>;

/// A parsed sub-expression: still an atom, or a core expression not yet bound to a name.
enum Operand {
    Atom(Atom),
    Expr(FlatExpr),
}

#[derive(Clone, Copy, PartialEq)]
enum Side {
    Nl,
    Lin,
}

/// How many tokens the lexer adds to the parser's window at a time.
const WINDOW: usize = 4096;

/// How many tokens the parser reads ahead of the current one (`peek_at(2)`), plus the one
/// before it (a definition's end).
const LOOKAHEAD: usize = 4;

/// The first [`FuncId`] standing for a call of a function not yet lexed ([`Forward`]); no
/// file has this many definitions (a source is at most [`MAX_SOURCE_BYTES`]).
const FORWARD: u32 = 1 << 31;

/// A call whose callee is neither defined above nor a primitive, met before the whole file
/// was lexed: resolved at the end to the first definition of its name, or reported (E0110).
struct Forward<'s> {
    name: &'s str,
    span: Span,
    /// How many parser faults were recorded before it: where its E0110 goes among them.
    after: usize,
}

/// What a call's name resolved to: a user function or a primitive.
#[derive(Clone, Copy)]
enum Callee {
    Func(FuncId),
    Prim(PrimId),
}

/// The last call's resolution, with what it depended on: the name, `%`, the definitions
/// entered by name so far and the one being parsed. A million calls of `sin` in a row are resolved once.
#[derive(Clone, Copy)]
struct CalleeMemo<'s> {
    name: &'s str,
    primitive: bool,
    defs_entered: usize,
    current: usize,
    callee: Callee,
}

/// Whether a token is a name the desugaring's temporaries must avoid.
fn is_temp_form(tok: Tok, text: &str) -> bool {
    matches!(tok, Tok::Ident | Tok::LinIdent)
        && text.starts_with(TEMP_STEM)
        && Fresh::could_be_fresh(text)
}

struct Parser<'s> {
    src: &'s str,
    /// The tokens not yet read (and the one before), lexed a window at a time.
    lexer: Lexer<'s>,
    toks: Vec<Token>,
    pos: usize,
    /// `def` tokens lexed so far, and whether the last token lexed was one (its name is next).
    defs_lexed: usize,
    def_pending: bool,
    /// Definitions entered in [`Parser::defs_by_name`] so far.
    defs_entered: usize,
    /// `def` tokens consumed so far.
    defs_read: usize,
    /// Calls of functions not yet lexed.
    forward: Vec<Forward<'s>>,
    /// The last call resolved to a function or primitive.
    callee_memo: Option<CalleeMemo<'s>>,
    /// A temporary was made.
    made_temp: bool,
    /// A name of the temporaries' form was lexed after a temporary was made, so the
    /// temporaries made may differ from those of a parse that knew every name in advance.
    reparse: bool,
    prims: &'s PrimTable,
    errors: Vec<Diagnostic>,
    /// Every fault found, kept or not.
    faults: usize,
    /// The index ([`FuncId`]) of every `def` lexed so far, by name, ascending.
    defs_by_name: NameMap<&'s str, Vec<usize>>,
    /// Result arities (nonlinear, linear) of the definitions parsed so far.
    sigs: Vec<Option<(usize, usize)>>,
    /// The definition being parsed: the one whose `def` token was consumed last (counting
    /// attempts instead goes wrong when error recovery after a stray attribute stops before a
    /// `def` it has not consumed).
    current: usize,
    /// The type aliases declared so far.
    aliases: NameMap<&'s str, Type>,
    /// The desugaring's temporaries (`_t1`, `_t2'`), avoiding the file's names that start
    /// with [`TEMP_STEM`] (only those can be spelled as one; avoiding every identifier was one
    /// hash insertion per token and the parser's largest cost on a million `let`s). Names are
    /// avoided as they are lexed, a window ahead of the parser; one lexed after a temporary
    /// was made sets [`Parser::reparse`].
    fresh: Fresh,
    /// The program so far.
    flat: FlatProgram,
    /// Atoms of the argument lists being parsed (a stack: a nested list pushes above and
    /// moves its own to [`FlatProgram::atoms`] when it ends).
    args: Vec<Atom>,
    // Per-function state.
    /// The function's first slot in [`FlatProgram::locals`].
    locals_start: usize,
    /// The innermost binder of each name in scope.
    scope: Scope,
    /// Binder tokens of the `let`s being parsed (a stack: a right-hand side's own `let`s push
    /// above), declared once the right-hand side is parsed.
    pending: Vec<Token>,
    depth: usize,
    /// Lone atoms and a leading call are read without the full descent (always, except in
    /// the tests comparing both ways).
    shortcuts: bool,
}

/// The spelling of slot `slot` of the function whose slots start at `start`.
fn slot_name(flat: &FlatProgram, start: usize, slot: u32) -> &str {
    flat.locals
        .get(start + slot as usize)
        .map_or("", |l| flat.spelling(l))
}

/// Whether a name has a dot (`f.jvp`: a function's name, never a variable's). A plain loop:
/// the names are a few bytes long, where `str::contains` calls `memchr`.
fn is_dotted(name: &str) -> bool {
    name.bytes().any(|b| b == b'.')
}

/// The stem of the desugaring's temporaries: `_t1`, `_t2'`, ... (numbered per function).
const TEMP_STEM: &str = "_t";
// The lexer window's scan for names of the temporaries' form tests the first byte only.
const _: () = assert!(TEMP_STEM.as_bytes()[0] == b'_');

impl<'s> Parser<'s> {
    fn new(src: &'s str, prims: &'s PrimTable, fresh: Fresh) -> Self {
        // Room from the source's size: a core binding takes at least 16 bytes of source, a
        // slot, binder or atom at least 8 (a name or number and what separates it), on every
        // program lina writes or the harness generates. These are estimates, not bounds: a
        // denser file grows the vectors. Capacity never written costs no memory (the
        // allocator's pages are only backed when touched), so a million bindings are not
        // copied through twenty doublings.
        let n = src.len();
        let mut flat = FlatProgram::default();
        flat.binds.reserve(n / 16 + 16);
        flat.atoms.reserve(n / 8 + 16);
        flat.locals.reserve(n / 8 + 16);
        flat.binders.reserve(n / 8 + 16);
        flat.names.reserve(n + n / 2 + 64);
        let mut p = Parser {
            src,
            lexer: Lexer::new(src),
            toks: Vec::with_capacity(WINDOW + 2 * LOOKAHEAD),
            pos: 0,
            defs_lexed: 0,
            def_pending: false,
            defs_entered: 0,
            defs_read: 0,
            forward: Vec::new(),
            callee_memo: None,
            made_temp: false,
            reparse: false,
            prims,
            errors: Vec::new(),
            faults: 0,
            defs_by_name: NameMap::default(),
            sigs: Vec::new(),
            current: 0,
            fresh,
            aliases: NameMap::default(),
            flat,
            args: Vec::new(),
            locals_start: 0,
            scope: Scope::default(),
            pending: Vec::new(),
            depth: 0,
            shortcuts: true,
        };
        p.refill();
        p
    }

    /// Lexes the next window of tokens, keeping the unread ones and the one before them. Each
    /// new `def` is entered by name (a call may name a function defined below), each name of
    /// the temporaries' form avoided.
    fn refill(&mut self) {
        let keep = self.pos.saturating_sub(1);
        self.toks.drain(..keep);
        self.pos -= keep;
        let from = self.toks.len();
        self.lexer.fill(&mut self.toks, WINDOW);
        // A `def` last in the window before: its name is the first token of this one.
        if std::mem::take(&mut self.def_pending)
            && let Some(&t) = self.toks.get(from)
        {
            self.enter_def(t);
        }
        // Only the tokens the lexer noted matter here: `def`s and names starting with `_`
        // (only those can have the temporaries' form, `_t`).
        for k in 0..self.lexer.noted().len() {
            let t = self.toks[self.lexer.noted()[k]];
            match t.tok {
                Tok::Def => {
                    self.defs_lexed += 1;
                    match self.toks.get(self.lexer.noted()[k] + 1) {
                        Some(&name) => self.enter_def(name),
                        None => self.def_pending = true,
                    }
                }
                Tok::Ident | Tok::LinIdent => {
                    let text = &self.src[t.span.range()];
                    if is_temp_form(t.tok, text) && self.fresh.take(&[text]) && self.made_temp {
                        self.reparse = true;
                    }
                }
                _ => {}
            }
        }
    }

    /// The token after the latest `def` lexed: its name, if it is one, is entered.
    fn enter_def(&mut self, t: Token) {
        if t.tok == Tok::Ident {
            self.defs_by_name
                .entry(&self.src[t.span.range()])
                .or_default()
                .push(self.defs_lexed - 1);
            self.defs_entered += 1;
        }
    }

    /// After the whole file: each call of a function that was not yet lexed names the first
    /// definition of its name, or is reported (in the place among the faults it was met).
    fn resolve_forward(&mut self) {
        if self.forward.is_empty() {
            return;
        }
        let forward = std::mem::take(&mut self.forward);
        let target: Vec<FuncId> = forward
            .iter()
            .map(
                |c| match self.defs_by_name.get(c.name).and_then(|ids| ids.first()) {
                    Some(&i) => FuncId(i as u32),
                    None => FuncId(u32::MAX),
                },
            )
            .collect();
        let patch = |e: &mut FlatExpr| {
            if let FlatExpr::Call { func, .. } = e
                && func.0 >= FORWARD
                && let Some(&t) = target.get((func.0 - FORWARD) as usize)
            {
                *func = t;
            }
        };
        for b in self.flat.binds.iter_mut().chain(self.flat.inner.iter_mut()) {
            if let FlatBind::Let { rhs, .. } = b {
                patch(rhs);
            }
        }
        for b in &mut self.flat.blocks {
            patch(&mut b.tail);
        }
        // The faults recorded are the first of the parse, in order: merge the unknown
        // functions in where they were met, and keep the first MAX_DIAGNOSTICS.
        let recorded = std::mem::take(&mut self.errors);
        let mut recorded = recorded.into_iter().enumerate().peekable();
        let mut merged = Vec::new();
        for (c, t) in forward.iter().zip(&target) {
            if t.0 != u32::MAX {
                continue;
            }
            while let Some((_, d)) = recorded.next_if(|(i, _)| *i < c.after) {
                merged.push(d);
            }
            self.faults += 1;
            merged.push(
                Diagnostic::error("E0110", format!("unknown function `{}`", c.name))
                    .with_primary(c.span, "no function or primitive has this name"),
            );
        }
        merged.extend(recorded.map(|(_, d)| d));
        merged.truncate(MAX_DIAGNOSTICS);
        self.errors = merged;
    }

    // ---- token helpers ----

    fn peek(&self) -> Tok {
        self.toks[self.pos].tok
    }

    fn peek_at(&self, k: usize) -> Tok {
        self.toks.get(self.pos + k).map_or(Tok::Eof, |t| t.tok)
    }

    fn span(&self) -> Span {
        self.toks[self.pos].span
    }

    fn text(&self, span: Span) -> &'s str {
        &self.src[span.range()]
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos];
        if t.tok != Tok::Eof {
            self.pos += 1;
            self.defs_read += usize::from(t.tok == Tok::Def);
            if self.pos + LOOKAHEAD > self.toks.len() && !self.lexer.done() {
                self.refill();
            }
        }
        t
    }

    fn eat(&mut self, tok: Tok) -> bool {
        if self.peek() == tok {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, tok: Tok) -> PResult<Token> {
        if self.peek() == tok {
            Ok(self.bump())
        } else {
            self.unexpected(tok.describe())
        }
    }

    fn take(&mut self, toks: &[Tok], wanted: &str) -> PResult<Token> {
        if toks.contains(&self.peek()) {
            Ok(self.bump())
        } else {
            self.unexpected(wanted)
        }
    }

    fn unexpected<T>(&mut self, wanted: &str) -> PResult<T> {
        let t = self.toks[self.pos];
        let found = match t.tok {
            Tok::Eof => "the end of the input".to_string(),
            _ => format!("`{}`", self.text(t.span)),
        };
        self.fail(
            Diagnostic::error("E0103", format!("expected {wanted}, found {found}"))
                .with_primary(t.span, format!("expected {wanted}")),
        )
    }

    fn fail<T>(&mut self, d: Diagnostic) -> PResult<T> {
        self.record(d);
        Err(Bail)
    }

    /// Keeps the first [`MAX_DIAGNOSTICS`] faults (they arrive in source order) and counts all.
    fn record(&mut self, d: Diagnostic) {
        self.faults += 1;
        if self.errors.len() < MAX_DIAGNOSTICS {
            self.errors.push(d);
        }
    }

    /// One level deeper (a call's arguments, a group, a nested block): inlined, the fault
    /// apart.
    #[inline]
    fn nest(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return self.too_deep();
        }
        Ok(())
    }

    #[cold]
    #[inline(never)]
    fn too_deep(&mut self) -> PResult<()> {
        let span = self.span();
        self.fail(
            Diagnostic::error("E0104", format!("nesting deeper than {MAX_NESTING} levels"))
                .with_primary(span, "too deeply nested")
                .with_note("bind intermediate results with `let` instead"),
        )
    }

    fn unnest(&mut self) {
        self.depth -= 1;
    }

    // ---- program and definitions ----

    fn program(&mut self) {
        while self.peek() != Tok::Eof {
            if self.peek() == Tok::TypeKw {
                if self.type_decl().is_err() {
                    self.skip_to_def();
                }
                continue;
            }
            if !matches!(self.peek(), Tok::Def | Tok::At) {
                let _ = self.unexpected::<()>("`def` or `type`");
                self.skip_to_def();
                continue;
            }
            match self.def() {
                Ok(f) => self.flat.funcs.push(f),
                Err(Bail) => self.skip_to_def(),
            }
        }
    }

    fn skip_to_def(&mut self) {
        self.bump();
        while !matches!(self.peek(), Tok::Def | Tok::At | Tok::TypeKw | Tok::Eof) {
            self.bump();
        }
    }

    /// `type NAME = T`: an alias, usable in every type written below it.
    fn type_decl(&mut self) -> PResult<()> {
        self.bump();
        self.depth = 0;
        let name_tok = self.take(&[Tok::Ident], "a type name")?;
        let name = self.text(name_tok.span);
        self.expect(Tok::Eq)?;
        let def = self.ty()?;
        if self.aliases.contains_key(name) {
            return self.fail(
                Diagnostic::error("E0115", format!("the type `{name}` is declared twice"))
                    .with_primary(name_tok.span, "declared again here"),
            );
        }
        self.aliases.insert(name, Type::named(name, def));
        if !matches!(self.peek(), Tok::Def | Tok::At | Tok::TypeKw | Tok::Eof) {
            return self.unexpected("`def`, `type` or the end of the input");
        }
        Ok(())
    }

    fn def(&mut self) -> PResult<FlatFn> {
        self.locals_start = self.flat.locals.len();
        self.args.clear();
        self.scope.clear();
        self.pending.clear();
        self.fresh.restart();
        self.depth = 0;
        let mut checkpoint = false;
        while self.peek() == Tok::At {
            self.bump();
            let attr = self.take(&[Tok::Ident], "an attribute name")?;
            match self.text(attr.span) {
                "checkpoint" => checkpoint = true,
                other => {
                    return self.fail(
                        Diagnostic::error("E0109", format!("unknown attribute `@{other}`"))
                            .with_primary(attr.span, "the only attribute is `@checkpoint`"),
                    );
                }
            }
        }
        let start = self.expect(Tok::Def)?.span;
        self.current = self.defs_read - 1;
        if self.sigs.len() <= self.current {
            self.sigs.resize(self.current + 1, None);
        }
        let name_tok = self.take(&[Tok::Ident], "a function name")?;
        let name = self.text(name_tok.span).to_string();
        self.expect(Tok::LParen)?;
        let (params, lparams) = self.params()?;
        self.expect(Tok::Arrow)?;
        self.expect(Tok::LParen)?;
        let (results, lresults) = self.type_list()?;
        if let Some(sig) = self.sigs.get_mut(self.current) {
            *sig = Some((results.len(), lresults.len()));
        }
        self.expect(Tok::Eq)?;
        let body = self.block()?;
        let end = self.toks[self.pos.saturating_sub(1)].span;
        if !matches!(self.peek(), Tok::Def | Tok::At | Tok::TypeKw | Tok::Eof) {
            return self.unexpected("`def`, `type` or the end of the input");
        }
        Ok(FlatFn {
            name,
            checkpoint,
            name_span: name_tok.span,
            params,
            lparams,
            results,
            lresults,
            locals_start: self.locals_start as u32,
            locals_len: (self.flat.locals.len() - self.locals_start) as u32,
            body,
            span: start.to(end),
            // The desugaring's temporaries are distinct from each other and from the file's
            // names, so the binders the scope saw are all that can repeat.
            distinct: {
                let (flat, start) = (&self.flat, self.locals_start);
                self.scope.distinct(|i| slot_name(flat, start, i))
            },
        })
    }

    /// `x1: T1, ... [; y1': U1, ...] )`.
    fn params(&mut self) -> PResult<(Vec<Param>, Vec<Param>)> {
        let mut sides = (Vec::new(), Vec::new());
        let mut side = Side::Nl;
        loop {
            match self.peek() {
                Tok::RParen => {
                    self.bump();
                    break;
                }
                Tok::Semi if side == Side::Nl => {
                    self.bump();
                    side = Side::Lin;
                    continue;
                }
                _ => {}
            }
            let name = self.take(&[Tok::Ident, Tok::LinIdent], "a parameter name")?;
            self.expect(Tok::Colon)?;
            let ty = self.ty()?;
            let var = self.declare(name)?;
            let param = Param { var, ty };
            match side {
                Side::Nl => sides.0.push(param),
                Side::Lin => sides.1.push(param),
            }
            if !matches!(self.peek(), Tok::RParen | Tok::Semi) {
                self.expect(Tok::Comma)?;
            }
        }
        Ok(sides)
    }

    /// `T1, ... [; U1, ...] )`.
    fn type_list(&mut self) -> PResult<(Vec<Type>, Vec<Type>)> {
        let mut sides = (Vec::new(), Vec::new());
        let mut side = Side::Nl;
        loop {
            match self.peek() {
                Tok::RParen => {
                    self.bump();
                    return Ok(sides);
                }
                Tok::Semi if side == Side::Nl => {
                    self.bump();
                    side = Side::Lin;
                    continue;
                }
                _ => {}
            }
            let ty = self.ty()?;
            match side {
                Side::Nl => sides.0.push(ty),
                Side::Lin => sides.1.push(ty),
            }
            if !matches!(self.peek(), Tok::RParen | Tok::Semi) {
                self.expect(Tok::Comma)?;
            }
        }
    }

    fn ty(&mut self) -> PResult<Type> {
        match self.peek() {
            Tok::Real => {
                self.bump();
                Ok(Type::Real)
            }
            Tok::Lt => {
                self.bump();
                self.nest()?;
                let mut items = Vec::new();
                while !self.eat(Tok::Gt) {
                    items.push(self.ty()?);
                    if self.peek() != Tok::Gt {
                        self.expect(Tok::Comma)?;
                    }
                }
                self.unnest();
                Ok(Type::Tuple(items))
            }
            Tok::Ident => {
                let t = self.bump();
                let name = self.text(t.span);
                match self.aliases.get(name) {
                    Some(ty) => Ok(ty.clone()),
                    None => self.fail(
                        Diagnostic::error("E0114", format!("unknown type `{name}`"))
                            .with_primary(t.span, "no type of this name is declared above"),
                    ),
                }
            }
            _ => self.unexpected("a type (`R`, `<...>` or a declared type name)"),
        }
    }

    // ---- scopes ----

    /// Gives a binder token a new slot and brings it into scope (inlined, the fault apart).
    #[inline]
    fn declare(&mut self, tok: Token) -> PResult<LocalId> {
        let name = self.text(tok.span);
        if is_dotted(name) {
            return self.dotted(tok);
        }
        let id = self.new_local(name, tok.tok == Tok::LinIdent, tok.span);
        let (flat, start) = (&self.flat, self.locals_start);
        // Only a function body's own binders are at depth 0 (a nested block is entered one
        // level down), and only those are never removed before the function ends.
        let nested = self.depth > 0;
        self.scope
            .declare(name, id.0, nested, |i| slot_name(flat, start, i));
        Ok(id)
    }

    /// E0105 for a dotted name where a variable is named.
    #[cold]
    #[inline(never)]
    fn dotted<T>(&mut self, tok: Token) -> PResult<T> {
        let name = self.text(tok.span);
        self.fail(
            Diagnostic::error("E0105", format!("`{name}` is not a variable name"))
                .with_primary(tok.span, "dots are only allowed in function names"),
        )
    }

    fn new_local(&mut self, name: &str, linear: bool, span: Span) -> LocalId {
        let id = LocalId((self.flat.locals.len() - self.locals_start) as u32);
        self.flat.push_local(name, linear, span);
        id
    }

    fn fresh_local(&mut self, linear: bool, span: Span) -> LocalId {
        let name = self.fresh.make_static(TEMP_STEM, linear);
        let id = LocalId((self.flat.locals.len() - self.locals_start) as u32);
        self.flat.push_local(name, linear, span);
        self.made_temp = true;
        id
    }

    fn scope_mark(&self) -> usize {
        self.scope.mark()
    }

    /// Ends the scope opened at `mark`: each name declared since is bound again to what it hid.
    fn scope_pop(&mut self, mark: usize) {
        let (flat, start) = (&self.flat, self.locals_start);
        self.scope.pop(mark, |i| slot_name(flat, start, i));
    }

    /// The slot a name token stands for: inlined where names are read (forced: as a call its
    /// prologue and epilogue were a quarter of it), with the faults (a dotted name, an
    /// unbound one) apart in [`Parser::resolve_fault`].
    #[inline(always)]
    fn resolve(&mut self, tok: Token) -> PResult<Var> {
        let name = self.text(tok.span);
        if !is_dotted(name) {
            let (flat, start) = (&self.flat, self.locals_start);
            if let Some(id) = self.scope.get(name, |i| slot_name(flat, start, i)) {
                return Ok(Var {
                    id: LocalId(id),
                    span: tok.span,
                });
            }
        }
        self.resolve_fault(tok)
    }

    /// [`Parser::resolve`] of a dotted name or of one not in scope.
    #[cold]
    #[inline(never)]
    fn resolve_fault(&mut self, tok: Token) -> PResult<Var> {
        let name = self.text(tok.span);
        if is_dotted(name) {
            return self.dotted(tok);
        }
        self.record(
            Diagnostic::error("E0111", format!("unbound variable `{name}`"))
                .with_primary(tok.span, "not bound here"),
        );
        // Recover: bind it so that later uses are not reported again.
        let id = self.declare(tok)?;
        Ok(Var { id, span: tok.span })
    }

    fn is_linear(&self, a: &Atom) -> bool {
        matches!(a, Atom::Var(v) if self.flat.locals.get(self.locals_start + v.id.0 as usize).is_some_and(|l| l.linear()))
    }

    /// Moves the argument atoms stacked from `base` to the program; returns their run.
    fn take_args(&mut self, base: usize) -> Atoms {
        let start = self.flat.atoms.len() as u32;
        let len = self.args.len().saturating_sub(base) as u32;
        for a in self.args.drain(base.min(self.args.len())..) {
            self.flat.push_atom(a);
        }
        Atoms { start, len }
    }

    /// A block as an expression: its tail when it binds nothing (the block, stored last, is
    /// dropped again).
    fn block_expr(&mut self, id: BlockId) -> FlatExpr {
        match self.flat.block(id) {
            Some(b) if b.binds_len == 0 && id.0 as usize + 1 == self.flat.blocks.len() => {
                let tail = b.tail;
                self.flat.blocks.pop();
                tail
            }
            _ => FlatExpr::Block(id),
        }
    }

    // ---- blocks and bindings ----

    /// `let b1 in ... let bn in tail`, with its own scope.
    fn block(&mut self) -> PResult<BlockId> {
        if self.depth == 0 {
            // A function body's bindings go straight to the program's vector (reserved for the
            // whole file by `new`); its scope ends with the function, which clears it whole.
            let mut binds = std::mem::take(&mut self.flat.binds);
            let start = binds.len();
            let tail = self.block_items(&mut binds);
            self.flat.binds = binds;
            return Ok(self.flat.push_body(start, tail?));
        }
        let mark = self.scope_mark();
        let mut binds = Vec::new();
        let tail = self.block_items(&mut binds)?;
        self.scope_pop(mark);
        Ok(self.flat.push_nested(&mut binds, tail))
    }

    /// A block's bindings, pushed on `binds`, and its tail.
    fn block_items(&mut self, binds: &mut Vec<FlatBind>) -> PResult<FlatExpr> {
        let tail = loop {
            if self.peek() != Tok::Let {
                break self.tail(binds)?;
            }
            let let_span = self.bump().span;
            if self.peek() == Tok::Lt {
                self.unpack(let_span, binds)?;
            } else {
                self.let_bind(let_span, binds)?;
            }
        };
        Ok(tail)
    }

    /// The expression ending a block; a grouped block in tail position is spliced in, so
    /// blocks stay flat.
    fn tail(&mut self, binds: &mut Vec<FlatBind>) -> PResult<FlatExpr> {
        match self.rhs(binds)? {
            FlatExpr::Block(id) => {
                let Some(&inner) = self.flat.block(id) else {
                    return Ok(FlatExpr::Block(id));
                };
                let start = inner.binds_start as usize;
                let end = start + inner.binds_len as usize;
                if inner.nested
                    && id.0 as usize + 1 == self.flat.blocks.len()
                    && end == self.flat.inner.len()
                {
                    // The inner block was stored last, its bindings at the end: move them.
                    binds.extend(self.flat.inner.drain(start..));
                    self.flat.blocks.pop();
                } else {
                    binds.extend_from_slice(self.flat.binds_of(&inner));
                }
                Ok(inner.tail)
            }
            e => Ok(e),
        }
    }

    /// The right-hand side of a `let`: a nested block or an expression.
    fn rhs(&mut self, binds: &mut Vec<FlatBind>) -> PResult<FlatExpr> {
        if self.peek() == Tok::Let {
            self.nest()?;
            let b = self.block()?;
            self.unnest();
            return Ok(self.block_expr(b));
        }
        let sum_continues = |t| matches!(t, Tok::Plus | Tok::Minus | Tok::Star | Tok::Slash);
        let op = match self.lone_atom(sum_continues) {
            Some(a) => Operand::Atom(a?),
            // A call first (`sin(x) * x`): the sum's first factor, without the descent to it.
            None if self.shortcuts
                && matches!(self.peek(), Tok::Ident | Tok::LinIdent)
                && self.peek_at(1) == Tok::LParen =>
            {
                let call = self.call(binds, false)?;
                let product = self.product_rest(call, binds)?;
                self.sum_rest(product, binds)?
            }
            None => self.sum(binds)?,
        };
        Ok(self.operand_expr(op))
    }

    /// `let x = e in`, `let y' = e in`, `let (xs ; ys') = e in`.
    fn let_bind(&mut self, let_span: Span, binds: &mut Vec<FlatBind>) -> PResult<()> {
        let base = self.pending.len();
        let n_nl = if self.peek() == Tok::LParen {
            self.bump();
            self.binder_list(Tok::RParen)?
        } else {
            let t = self.take(&[Tok::Ident, Tok::LinIdent], "a binder")?;
            self.pending.push(t);
            usize::from(t.tok == Tok::Ident)
        };
        self.expect(Tok::Eq)?;
        let rhs = self.rhs(binds)?;
        let in_span = self.expect(Tok::In)?.span;
        let binders = self.declare_pending(base, self.pending.len())?;
        self.pending.truncate(base);
        binds.push(FlatBind::Let {
            binders,
            nl: n_nl as u32,
            rhs,
            span: let_span.to(in_span),
        });
        Ok(())
    }

    /// `let <b1, ..., bn> = e in`.
    fn unpack(&mut self, let_span: Span, binds: &mut Vec<FlatBind>) -> PResult<()> {
        self.expect(Tok::Lt)?;
        let base = self.pending.len();
        while !self.eat(Tok::Gt) {
            let t = self.take(&[Tok::Ident, Tok::LinIdent], "a binder")?;
            self.pending.push(t);
            if self.peek() != Tok::Gt {
                self.expect(Tok::Comma)?;
            }
        }
        self.expect(Tok::Eq)?;
        let src_span = self.span();
        let src = match self.sum_atom(binds)? {
            Atom::Var(v) => v,
            Atom::Lit(..) => {
                return self.fail(
                    Diagnostic::error("E0108", "only a tuple can be destructured")
                        .with_primary(src_span, "this is a number"),
                );
            }
        };
        let in_span = self.expect(Tok::In)?.span;
        let binders = self.declare_pending(base, self.pending.len())?;
        self.pending.truncate(base);
        binds.push(FlatBind::Unpack {
            binders,
            src,
            span: let_span.to(in_span),
        });
        Ok(())
    }

    /// Declares the pending binders `from..to`, in order; returns their run of binders.
    fn declare_pending(&mut self, from: usize, to: usize) -> PResult<crate::flat::Binders> {
        let start = self.flat.binders.len() as u32;
        for i in from..to {
            let t = self.pending[i];
            let id = self.declare(t)?;
            self.flat.binders.push(id);
        }
        Ok(crate::flat::Binders {
            start,
            len: (to - from) as u32,
        })
    }

    /// Binder names up to `close`, split at an optional `;`, pushed on [`Parser::pending`]
    /// (nonlinear side first); returns how many are on the nonlinear side. Without `;`, a
    /// single primed name is linear (as `(y')` is `(; y')`); otherwise every name is on the
    /// nonlinear side.
    fn binder_list(&mut self, close: Tok) -> PResult<usize> {
        let base = self.pending.len();
        let mut n_nl = 0;
        let mut semi = false;
        loop {
            match self.peek() {
                t if t == close => {
                    self.bump();
                    break;
                }
                Tok::Semi if !semi => {
                    self.bump();
                    semi = true;
                    continue;
                }
                _ => {}
            }
            let t = self.take(&[Tok::Ident, Tok::LinIdent], "a binder")?;
            self.pending.push(t);
            if !semi {
                n_nl += 1;
            }
            if self.peek() != close && self.peek() != Tok::Semi {
                self.expect(Tok::Comma)?;
            }
        }
        if !semi && n_nl == 1 && self.pending[base].tok == Tok::LinIdent {
            n_nl = 0;
        }
        Ok(n_nl)
    }

    // ---- operands and desugaring ----

    /// The core expression of an operand; a lone atom is a single-value return.
    fn operand_expr(&mut self, op: Operand) -> FlatExpr {
        match op {
            Operand::Expr(e) => e,
            Operand::Atom(a) => {
                let span = a.span();
                let nl = u32::from(!self.is_linear(&a));
                let atoms = self.flat.push_atoms(&[a]);
                FlatExpr::Ret { atoms, nl, span }
            }
        }
    }

    /// Result arity (nonlinear, linear) of an expression, as far as the parser can tell.
    fn shape(&self, e: &FlatExpr) -> (usize, usize) {
        match e {
            FlatExpr::Ret { atoms, nl, .. } => (*nl as usize, (atoms.len - nl) as usize),
            FlatExpr::Tuple { .. } | FlatExpr::Prim { .. } => (1, 0),
            FlatExpr::LTuple { .. }
            | FlatExpr::LAdd { .. }
            | FlatExpr::Scale { .. }
            | FlatExpr::Zero { .. } => (0, 1),
            FlatExpr::Call { func, .. } => self
                .sigs
                .get(func.0 as usize)
                .copied()
                .flatten()
                .unwrap_or((1, 0)),
            FlatExpr::Dup { .. } => (0, 2),
            FlatExpr::Drop { .. } => (0, 0),
            FlatExpr::Block(b) => match self.flat.block(*b) {
                // A block's tail is never a block: one level.
                Some(b) if !matches!(b.tail, FlatExpr::Block(_)) => self.shape(&b.tail),
                _ => (1, 0),
            },
        }
    }

    /// Turns an operand into an atom, binding a compound expression to a fresh variable.
    fn atom_of(&mut self, op: Operand, binds: &mut Vec<FlatBind>) -> PResult<Atom> {
        let e = match op {
            Operand::Atom(a) => return Ok(a),
            Operand::Expr(e) => e,
        };
        let span = self.flat.expr_span(&e);
        // A single-value return is its atom.
        if let FlatExpr::Ret { atoms, .. } = e
            && let Some(a) = self.flat.atoms(atoms).one()
        {
            return Ok(a);
        }
        let (n, l) = self.shape(&e);
        let linear = match (n, l) {
            (1, 0) => false,
            (0, 1) => true,
            _ => {
                return self.fail(
                    Diagnostic::error(
                        "E0107",
                        format!(
                            "an expression with {} results used as a single value",
                            n + l
                        ),
                    )
                    .with_primary(span, "bind its results with `let (...) = ... in` first"),
                );
            }
        };
        let id = self.fresh_local(linear, span);
        let binders = self.flat.push_binders(&[id]);
        binds.push(FlatBind::Let {
            binders,
            nl: u32::from(!linear),
            rhs: e,
            span,
        });
        Ok(Atom::Var(Var { id, span }))
    }

    /// The operand at the current token when it is a lone name or number that the token after
    /// it does not continue at the level asking (`continues`: the operators binding at least
    /// as tightly as that level's; a name followed by `(` is always a call): the common
    /// operand, whose descent through [`Parser::sum`], [`Parser::product`], [`Parser::unary`]
    /// and [`Parser::primary`] would return it unchanged, read directly. `None`, having read
    /// nothing, otherwise.
    fn lone_atom(&mut self, continues: fn(Tok) -> bool) -> Option<PResult<Atom>> {
        if !self.shortcuts {
            return None;
        }
        let t = self.toks[self.pos];
        let next = self.peek_at(1);
        match t.tok {
            Tok::Num if !continues(next) => {
                let v = lexer::number(self.src, t.span);
                self.bump();
                Some(Ok(Atom::Lit(v, t.span)))
            }
            Tok::Ident | Tok::LinIdent if next != Tok::LParen && !continues(next) => {
                self.bump();
                Some(self.resolve(t).map(Atom::Var))
            }
            _ => None,
        }
    }

    /// A sum as an atom: [`Parser::sum`] then [`Parser::atom_of`], a lone atom directly.
    fn sum_atom(&mut self, binds: &mut Vec<FlatBind>) -> PResult<Atom> {
        let sum_continues = |t| matches!(t, Tok::Plus | Tok::Minus | Tok::Star | Tok::Slash);
        if let Some(a) = self.lone_atom(sum_continues) {
            return a;
        }
        let op = self.sum(binds)?;
        self.atom_of(op, binds)
    }

    /// A product as an atom (the right operand of `+`, `-`).
    fn product_atom(&mut self, binds: &mut Vec<FlatBind>) -> PResult<Atom> {
        if let Some(a) = self.lone_atom(|t| matches!(t, Tok::Star | Tok::Slash)) {
            return a;
        }
        let op = self.product(binds)?;
        self.atom_of(op, binds)
    }

    /// A unary operand as an atom (the right operand of `*`, `/`).
    fn unary_atom(&mut self, binds: &mut Vec<FlatBind>) -> PResult<Atom> {
        if let Some(a) = self.lone_atom(|_| false) {
            return a;
        }
        let op = self.unary(binds)?;
        self.atom_of(op, binds)
    }

    fn sum(&mut self, binds: &mut Vec<FlatBind>) -> PResult<Operand> {
        let lhs = self.product(binds)?;
        self.sum_rest(lhs, binds)
    }

    /// The rest of a sum whose first product is `lhs`.
    fn sum_rest(&mut self, mut lhs: Operand, binds: &mut Vec<FlatBind>) -> PResult<Operand> {
        while matches!(self.peek(), Tok::Plus | Tok::Minus) {
            let op = self.bump().tok;
            let a = self.atom_of(lhs, binds)?;
            let b = self.product_atom(binds)?;
            let span = a.span().to(b.span());
            let both_linear = self.is_linear(&a) && self.is_linear(&b);
            lhs = Operand::Expr(match (op, both_linear) {
                (Tok::Plus, true) => FlatExpr::LAdd {
                    atoms: self.flat.push_atoms(&[a, b]),
                    span,
                },
                (Tok::Plus, false) => FlatExpr::Prim {
                    prim: PrimId::ADD,
                    args: self.flat.push_atoms(&[a, b]),
                    span,
                },
                (_, true) => {
                    // y1' - y2' is y1' + (-1) * y2'.
                    let neg = FlatExpr::Scale {
                        atoms: self.flat.push_atoms(&[Atom::Lit(-1.0, span), b]),
                        span,
                    };
                    let nb = self.atom_of(Operand::Expr(neg), binds)?;
                    FlatExpr::LAdd {
                        atoms: self.flat.push_atoms(&[a, nb]),
                        span,
                    }
                }
                (_, false) => FlatExpr::Prim {
                    prim: PrimId::SUB,
                    args: self.flat.push_atoms(&[a, b]),
                    span,
                },
            });
        }
        Ok(lhs)
    }

    fn product(&mut self, binds: &mut Vec<FlatBind>) -> PResult<Operand> {
        let lhs = self.unary(binds)?;
        self.product_rest(lhs, binds)
    }

    /// The rest of a product whose first factor is `lhs`.
    fn product_rest(&mut self, mut lhs: Operand, binds: &mut Vec<FlatBind>) -> PResult<Operand> {
        while matches!(self.peek(), Tok::Star | Tok::Slash) {
            let op = self.bump().tok;
            let a = self.atom_of(lhs, binds)?;
            let b = self.unary_atom(binds)?;
            let span = a.span().to(b.span());
            let (la, lb) = (self.is_linear(&a), self.is_linear(&b));
            lhs = Operand::Expr(match (op, la, lb) {
                (Tok::Star, false, true) => FlatExpr::Scale {
                    atoms: self.flat.push_atoms(&[a, b]),
                    span,
                },
                (Tok::Star, true, false) => FlatExpr::Scale {
                    atoms: self.flat.push_atoms(&[b, a]),
                    span,
                },
                (Tok::Star, ..) => FlatExpr::Prim {
                    prim: PrimId::MUL,
                    args: self.flat.push_atoms(&[a, b]),
                    span,
                },
                _ => FlatExpr::Prim {
                    prim: PrimId::DIV,
                    args: self.flat.push_atoms(&[a, b]),
                    span,
                },
            });
        }
        Ok(lhs)
    }

    fn unary(&mut self, binds: &mut Vec<FlatBind>) -> PResult<Operand> {
        if self.peek() != Tok::Minus {
            return self.primary(binds);
        }
        let minus = self.bump().span;
        // A `-` directly before a number is part of a negative literal.
        if self.peek() == Tok::Num && self.span().start == minus.end {
            let v = lexer::number(self.src, self.span());
            let span = minus.to(self.bump().span);
            return Ok(Operand::Atom(Atom::Lit(-v, span)));
        }
        self.nest()?;
        let inner = self.unary(binds)?;
        self.unnest();
        let a = self.atom_of(inner, binds)?;
        let span = minus.to(a.span());
        Ok(Operand::Expr(if self.is_linear(&a) {
            FlatExpr::Scale {
                atoms: self.flat.push_atoms(&[Atom::Lit(-1.0, span), a]),
                span,
            }
        } else {
            FlatExpr::Prim {
                prim: PrimId::NEG,
                args: self.flat.push_atoms(&[a]),
                span,
            }
        }))
    }

    fn primary(&mut self, binds: &mut Vec<FlatBind>) -> PResult<Operand> {
        let t = self.toks[self.pos];
        match t.tok {
            Tok::Num => {
                let v = lexer::number(self.src, t.span);
                self.bump();
                Ok(Operand::Atom(Atom::Lit(v, t.span)))
            }
            Tok::Ident | Tok::LinIdent if self.peek_at(1) == Tok::LParen => self.call(binds, false),
            Tok::Percent if self.peek_at(1) == Tok::Ident && self.peek_at(2) == Tok::LParen => {
                self.bump();
                self.call(binds, true)
            }
            Tok::Ident | Tok::LinIdent => {
                self.bump();
                Ok(Operand::Atom(Atom::Var(self.resolve(t)?)))
            }
            Tok::LParen => self.group(binds),
            Tok::Lt => {
                self.bump();
                self.nest()?;
                let base = self.args.len();
                while self.peek() != Tok::Gt {
                    let a = self.sum_atom(binds)?;
                    self.args.push(a);
                    if self.peek() != Tok::Gt {
                        self.expect(Tok::Comma)?;
                    }
                }
                let end = self.bump().span;
                self.unnest();
                let span = t.span.to(end);
                let stacked = self.args.get(base..).unwrap_or(&[]);
                let linear = !stacked.is_empty() && stacked.iter().all(|a| self.is_linear(a));
                let items = self.take_args(base);
                Ok(Operand::Expr(if linear {
                    FlatExpr::LTuple { items, span }
                } else {
                    FlatExpr::Tuple { items, span }
                }))
            }
            Tok::Zero => {
                self.bump();
                let mut span = t.span;
                let ty = if self.eat(Tok::Lt) {
                    self.nest()?;
                    let ty = self.ty()?;
                    span = span.to(self.expect(Tok::Gt)?.span);
                    self.unnest();
                    ty
                } else {
                    Type::Real
                };
                self.flat.types.push(ty);
                Ok(Operand::Expr(FlatExpr::Zero {
                    ty: self.flat.types.len() as u32 - 1,
                    span,
                }))
            }
            Tok::Dup => {
                self.bump();
                self.expect(Tok::LParen)?;
                self.nest()?;
                let arg = self.sum_atom(binds)?;
                let end = self.expect(Tok::RParen)?.span;
                self.unnest();
                Ok(Operand::Expr(FlatExpr::Dup {
                    arg: self.flat.push_atoms(&[arg]),
                    span: t.span.to(end),
                }))
            }
            Tok::Drop => {
                self.bump();
                self.expect(Tok::LParen)?;
                self.nest()?;
                let body = self.block()?;
                let end = self.expect(Tok::RParen)?.span;
                self.unnest();
                Ok(Operand::Expr(FlatExpr::Drop {
                    body,
                    span: t.span.to(end),
                }))
            }
            _ => self.unexpected("an expression"),
        }
    }

    /// `( ... )`: grouping of one expression (or of a `let` block), or a multi-value return.
    fn group(&mut self, binds: &mut Vec<FlatBind>) -> PResult<Operand> {
        let open = self.bump().span;
        self.nest()?;
        if self.peek() == Tok::Let {
            let b = self.block()?;
            self.expect(Tok::RParen)?;
            self.unnest();
            return Ok(Operand::Expr(self.block_expr(b)));
        }
        let base = self.args.len();
        let mut n_nl = 0;
        let mut semi = false;
        let mut first = true;
        let close = loop {
            match self.peek() {
                Tok::RParen => break self.bump().span,
                Tok::Semi if !semi => {
                    self.bump();
                    semi = true;
                    first = false;
                    continue;
                }
                _ => {}
            }
            let op = self.sum(binds)?;
            if first && self.peek() == Tok::RParen {
                // `(e)` is grouping.
                self.bump();
                self.unnest();
                return Ok(op);
            }
            first = false;
            let a = self.atom_of(op, binds)?;
            self.args.push(a);
            if !semi {
                n_nl += 1;
            }
            if !matches!(self.peek(), Tok::RParen | Tok::Semi) {
                self.expect(Tok::Comma)?;
            }
        };
        self.unnest();
        let atoms = self.take_args(base);
        Ok(Operand::Expr(FlatExpr::Ret {
            atoms,
            nl: n_nl,
            span: open.to(close),
        }))
    }

    /// What a call of `name` names (`primitive`: written `%name`): a user function defined
    /// above, else a primitive, else a user function defined below (which the checker
    /// rejects); `None` when none is known yet.
    fn callee(&self, name: &str, primitive: bool) -> Option<Callee> {
        let ids = self.defs_by_name.get(name).map_or(&[][..], Vec::as_slice);
        let split = ids.partition_point(|&i| i < self.current);
        let prim = self.prims.lookup(name);
        if primitive {
            return prim.map(Callee::Prim);
        }
        if split > 0 {
            return Some(Callee::Func(FuncId(ids[split - 1] as u32)));
        }
        if let Some(prim) = prim {
            return Some(Callee::Prim(prim));
        }
        ids.get(split).map(|&i| Callee::Func(FuncId(i as u32)))
    }

    /// `name(args)`: a call of a user function defined above, else of a primitive, else of a
    /// later user function (which the checker rejects). `%name(args)` (`primitive`) is always
    /// the primitive: the printer's spelling of a primitive shadowed by a user function.
    fn call(&mut self, binds: &mut Vec<FlatBind>, primitive: bool) -> PResult<Operand> {
        let name_tok = self.bump();
        let name = self.text(name_tok.span);
        if name_tok.tok == Tok::LinIdent {
            return self.fail(
                Diagnostic::error("E0105", format!("`{name}` is not a function name"))
                    .with_primary(name_tok.span, "function names have no primes"),
            );
        }
        self.expect(Tok::LParen)?;
        self.nest()?;
        let base = self.args.len();
        let mut n_nl = 0u32;
        let mut semi = false;
        let close = loop {
            match self.peek() {
                Tok::RParen => break self.bump().span,
                Tok::Semi if !semi => {
                    self.bump();
                    semi = true;
                    continue;
                }
                _ => {}
            }
            let a = self.sum_atom(binds)?;
            self.args.push(a);
            if !semi {
                n_nl += 1;
            }
            if !matches!(self.peek(), Tok::RParen | Tok::Semi) {
                self.expect(Tok::Comma)?;
            }
        };
        self.unnest();
        let span = name_tok.span.to(close);
        let has_lin = self.args.len() > base + n_nl as usize;
        let atoms = self.take_args(base);
        let (defs_entered, current) = (self.defs_entered, self.current);
        let memo = self.callee_memo.filter(|m| {
            m.name == name
                && m.primitive == primitive
                && m.defs_entered == defs_entered
                && m.current == current
        });
        let callee = match memo {
            Some(m) => Some(m.callee),
            None => {
                let c = self.callee(name, primitive);
                if let Some(callee) = c {
                    self.callee_memo = Some(CalleeMemo {
                        name,
                        primitive,
                        defs_entered,
                        current,
                        callee,
                    });
                }
                c
            }
        };
        if primitive && !matches!(callee, Some(Callee::Prim(_))) {
            return self.fail(
                Diagnostic::error("E0113", format!("`%{name}` is not a primitive"))
                    .with_primary(name_tok.span, "`%` names a primitive of the table"),
            );
        }
        if let Some(Callee::Func(func)) = callee {
            return Ok(Operand::Expr(FlatExpr::Call {
                func,
                atoms,
                nl: n_nl,
                span,
            }));
        }
        if let Some(Callee::Prim(prim)) = callee {
            if has_lin {
                return self.fail(
                    Diagnostic::error(
                        "E0106",
                        format!("the primitive `{name}` takes no linear arguments"),
                    )
                    .with_primary(span, "primitives are nonlinear"),
                );
            }
            return Ok(Operand::Expr(FlatExpr::Prim {
                prim,
                args: atoms,
                span,
            }));
        }
        if !self.lexer.done() {
            // Perhaps defined further down, not yet lexed: decided at the end.
            self.forward.push(Forward {
                name,
                span: name_tok.span,
                after: self.faults,
            });
            return Ok(Operand::Expr(FlatExpr::Call {
                func: FuncId(FORWARD + self.forward.len() as u32 - 1),
                atoms,
                nl: n_nl,
                span,
            }));
        }
        self.record(
            Diagnostic::error("E0110", format!("unknown function `{name}`"))
                .with_primary(name_tok.span, "no function or primitive has this name"),
        );
        Ok(Operand::Expr(FlatExpr::Call {
            func: FuncId(u32::MAX),
            atoms,
            nl: n_nl,
            span,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_descents_shortcuts_give_the_programs_and_errors_of_the_full_descent() {
        let bodies = [
            "sin(x) * x",
            "x",
            "x'",
            "2.5",
            "-2.5",
            "- 2.5",
            "-x",
            "--x",
            "x - 1.0",
            "x -1.0",
            "x * -1.0",
            "1.0 * x + y / 2.0",
            "x * y * x - y",
            "x + y * x",
            "x - 2.0 * y / x",
            "x + sin(y) * x",
            "sin(cos(x)) * exp(x + y) / sin(x * y)",
            "sin(x, y)",
            "sin(-x) + cos(1.0)",
            "g(x, y)",
            "g(x * y, sin(x))",
            "(x)",
            "(x, y)",
            "<x, y>",
            "<x * y, sin(x)>",
            "dup(x)",
            "dup(x')",
            "2.0 * y'",
            "y' * 2.0",
            "y' + y'",
            "y' - y'",
            "x + y'",
            "let z = x in z",
            "let z = sin(x) * x in let w = z * z in w + x",
            "let <a, b> = <x, y> in a * b",
            "let <a, b> = g(x, y) in a",
            "let <a, b> = x * y in a",
            "let <a, b> = 2.0 in a",
            "let (a, b) = g(x, y) in a * b",
            "let z = (let u = x in u) in z",
            "let z = (let u = sin(x) in u * x) in z",
            "let x = x' in x",
            "sin(x.y)",
            "x.y * 2.0",
            "f.jvp(x)",
            "sin(x) x",
            "sin(x",
            "sin(x,)",
            "sin(,x)",
            "u * v",
            "sin(u) * u",
            "y'(x)",
            "x(y)",
            "sin(x)(y)",
            "x y",
            "2.0(x)",
            "2.0 + (x)",
            "x +",
            "x * (y + 1.0)",
            "zero * x",
            "%sin(x) * x",
            "_t1 * sin(x)",
            "sin(x) * _t2",
            "let _t1 = sin(x) in sin(_t1) * x",
            "1e400 * x",
        ];
        for body in bodies {
            for src in [
                format!(
                    "def g(a: R, b: R) -> (R, R) = (a, b)\ndef f(x: R, y: R ; y': R) -> (R) = {body}\n"
                ),
                format!(
                    "def f(x: R, y: R) -> (R) = {body}\ndef g(a: R, b: R) -> (R, R) = (a, b)\n"
                ),
                format!("def f(x: R) -> (R) =\n  let x1 = {body} in\n  x1\n"),
            ] {
                let prims = PrimTable::standard();
                assert_eq!(
                    parse_flat_by(&src, prims, true),
                    parse_flat_by(&src, prims, false),
                    "{src}"
                );
            }
        }
    }

    #[test]
    fn fresh_names_avoid_the_names_of_their_form_in_the_file() {
        let p = parse("def f(_t1: R, x: R ; _t2': R) -> (R ; R) = (sin(x) * x ; 2.0 * (x * _t2'))")
            .unwrap();
        let names: Vec<&str> = p.funcs[0].locals.iter().map(|l| l.name.as_str()).collect();
        // `_t1` is taken (nonlinear) and `_t2'` (linear), so `sin(x)` gets `_t2`.
        assert_eq!(names, ["_t1", "x", "_t2'", "_t2", "_t3", "_t4'", "_t5'"]);
        // Names merely near that form (`_t012`, `_t1''`) are not avoided and do not matter.
        let p =
            parse("def f(_t012: R ; _t1'': R) -> (R ; R) = (sin(_t012) ; 2.0 * _t1'')").unwrap();
        let names: Vec<&str> = p.funcs[0].locals.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["_t012", "_t1''", "_t1", "_t2'"]);
    }

    /// `FlatFn::distinct` is true only where no two slots share a name (checked by sorting,
    /// `repeated_names`), and true on the long bodies it exists for: on the corpus, and on
    /// bodies past the scope's held limit with a repeat early, late, across the limit, inside
    /// a nested block and in sibling blocks.
    #[test]
    fn a_function_is_marked_distinct_only_when_no_two_slots_share_a_name() {
        let body = |n: usize, extra: &str| {
            let mut s = String::from("def f(x0: R) -> (R) =\n");
            for i in 1..=n {
                s += &format!("let x{i} = sin(x{}) in\n", i - 1);
            }
            s + extra + &format!("x{n}\n")
        };
        let cases = [
            (body(5000, ""), true),
            (body(10, ""), true),
            (body(5000, "let x7 = 1.0 in\n"), false),
            (body(5000, "let x4990 = 1.0 in\n"), false),
            (body(5000, "let x2040 = 1.0 in\n"), false),
            (body(5000, "let x0 = 1.0 in\n"), false),
            (body(10, "let x3 = 1.0 in\n"), false),
            (body(3000, "let q = (let x9 = 2.0 in x9) in\n"), false),
            (
                body(
                    3000,
                    "let q = (let y = 2.0 in y) in let r = (let y = 3.0 in y) in\n",
                ),
                false,
            ),
        ];
        let mut sources: Vec<(String, Option<bool>)> =
            cases.into_iter().map(|(s, d)| (s, Some(d))).collect();
        for dir in ["", "linear", "ill"] {
            for f in crate::corpus::load(dir).unwrap() {
                sources.push((f.src, None));
            }
        }
        let mut marked = 0;
        for (src, want) in &sources {
            let Ok(flat) = parse_flat(src) else { continue };
            for f in &flat.funcs {
                let locals = flat.locals_of(f);
                let repeats = crate::repeated_names(locals.len(), |i| flat.spelling(&locals[i]));
                assert!(!f.distinct || repeats.is_empty(), "{}: {repeats:?}", f.name);
                marked += usize::from(f.distinct);
            }
            if let Some(want) = want {
                assert_eq!(flat.funcs[0].distinct, *want, "{}", &src[src.len() - 60..]);
            }
        }
        assert!(marked > 50, "{marked} functions marked distinct");
    }

    /// Each call names what its name means where it stands, however calls of one name follow
    /// each other (the parser remembers the last resolution): the primitive before a user
    /// function of its name is defined, the user function after it, the primitive again
    /// under `%`, a function defined below by its index.
    #[test]
    fn calls_in_a_row_resolve_where_each_stands() {
        let src = "def h(x: R) -> (R) = let a = sin(x) in let b = sin(a) in b\n\
                   def sin(x: R) -> (R) = x\n\
                   def f(x: R) -> (R) = let a = sin(x) in let b = %sin(a) in let c = sin(b) in \
                   let d = %sin(c) in let e = cos(d) in let k = g(e) in let m = g(k) in \
                   let n = sin(m) in n\n\
                   def g(x: R) -> (R) = let a = sin(x) in a\n";
        let p = parse(src).unwrap();
        let prim = |name| format!("prim {}", PrimTable::standard().lookup(name).unwrap().0);
        let callees = |i: usize| -> Vec<String> {
            p.funcs[i]
                .body
                .binds
                .iter()
                .map(|b| match b {
                    Bind::Let {
                        rhs: Expr::Call { func, .. },
                        ..
                    } => format!("func {}", func.0),
                    Bind::Let {
                        rhs: Expr::Prim { prim, .. },
                        ..
                    } => format!("prim {}", prim.0),
                    _ => "other".to_string(),
                })
                .collect()
        };
        let func = |i: u32| format!("func {i}");
        assert_eq!(callees(0), [prim("sin"), prim("sin")]);
        assert_eq!(
            callees(2),
            [
                func(1),
                prim("sin"),
                func(1),
                prim("sin"),
                prim("cos"),
                func(3),
                func(3),
                func(1)
            ]
        );
        assert_eq!(callees(3), [func(1)]);
    }

    /// Definitions and names of the temporaries' form are seen wherever the lexer's windows
    /// split the file: a `def` and its name at every position around the first window's end
    /// (the name is entered, so a later call finds it), and a parameter `_t1` there (avoided,
    /// so the temporary made for `sin(_t1)` is `_t2`).
    #[test]
    fn definitions_and_temporaries_are_seen_across_the_lexers_windows() {
        let mut boundary = false;
        for lets in 810..=818 {
            for terms in 0..5 {
                let mut src = String::from("def f(x0: R) -> (R) =\n");
                for i in 1..=lets {
                    src += &format!("let x{i} = x{} in\n", i - 1);
                }
                src += &format!("x{lets}");
                src += &" + x0".repeat(terms);
                let def_at = 11 + 5 * lets + 2 * terms;
                boundary |= def_at == WINDOW - 1;
                src += "\ndef g(_t1: R) -> (R) = sin(_t1) * _t1\ndef h(x: R) -> (R) = g(x)\n";
                let p = parse(&src).unwrap();
                let names: Vec<&str> = p.funcs[1].locals.iter().map(|l| l.name.as_str()).collect();
                assert_eq!(names, ["_t1", "_t2"], "{lets} lets, {terms} terms");
                assert!(
                    matches!(&p.funcs[2].body.tail, Expr::Call { func, .. } if func.0 == 1),
                    "{lets} lets, {terms} terms"
                );
            }
        }
        // Among them, the `def` last in the first window and its name first in the next.
        assert!(boundary);
    }

    #[test]
    fn an_inner_scope_ends_and_the_outer_binder_is_seen_again() {
        let p = parse(
            "def f(x: R) -> (R) = let y = (let x = 2.0 in let z = (let x = 3.0 in x) in x + z) in x * y",
        )
        .unwrap();
        let f = &p.funcs[0];
        let Expr::Prim { args, .. } = &f.body.tail else {
            panic!("a product")
        };
        // The tail's `x` is the parameter (slot 0), not either inner `x`.
        assert_eq!(args[0].var().map(|v| v.id), Some(LocalId(0)));
        assert_eq!(f.name_of(LocalId(1)), "x");
        assert_eq!(f.locals.len(), 5);
    }
}
