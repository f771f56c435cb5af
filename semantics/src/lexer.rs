//! The lexer: source text to tokens. Tokens carry spans only (9 bytes each, packed); their text is
//! sliced from the source when needed, and a number's value is read from its text
//! ([`number`]), so lexing a million-`let` file allocates one vector.

use crate::diagnostics::{Diagnostic, MAX_DIAGNOSTICS};
use crate::span::Span;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tok {
    /// `x`, `f.jvp`: a nonlinear variable or a function name.
    Ident,
    /// `x'`, `dy''`: a linear variable.
    LinIdent,
    /// A number literal; [`number`] reads its value.
    Num,
    Def,
    /// `type`, which declares a type alias (`type f.res = <R, R>`).
    TypeKw,
    Let,
    In,
    Dup,
    Drop,
    Zero,
    Real,
    LParen,
    RParen,
    Lt,
    Gt,
    Comma,
    Semi,
    Colon,
    Eq,
    Plus,
    Minus,
    Star,
    Slash,
    Arrow,
    /// `@`, which starts an attribute (`@checkpoint`).
    At,
    /// `%`, which makes the name after it a primitive that no user function shadows (`%cos`).
    Percent,
    Eof,
}

/// Packed (9 bytes, not 12): a million-`let` file has about ten million tokens, and the
/// vector is written and faulted in whole. Fields are read by value (no references into a
/// packed struct), which every reader does.
#[derive(Clone, Copy, Debug)]
#[repr(C, packed)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
}

impl Tok {
    pub fn describe(self) -> &'static str {
        match self {
            Tok::Ident => "a name",
            Tok::LinIdent => "a linear variable",
            Tok::Num => "a number",
            Tok::Def => "`def`",
            Tok::TypeKw => "`type`",
            Tok::Let => "`let`",
            Tok::In => "`in`",
            Tok::Dup => "`dup`",
            Tok::Drop => "`drop`",
            Tok::Zero => "`zero`",
            Tok::Real => "`R`",
            Tok::LParen => "`(`",
            Tok::RParen => "`)`",
            Tok::Lt => "`<`",
            Tok::Gt => "`>`",
            Tok::Comma => "`,`",
            Tok::Semi => "`;`",
            Tok::Colon => "`:`",
            Tok::Eq => "`=`",
            Tok::Plus => "`+`",
            Tok::Minus => "`-`",
            Tok::Star => "`*`",
            Tok::Slash => "`/`",
            Tok::Arrow => "`->`",
            Tok::At => "`@`",
            Tok::Percent => "`%`",
            Tok::Eof => "the end of the input",
        }
    }
}

/// Lexes the whole source. Bad characters and malformed numbers are reported and skipped, so
/// the parser still sees the rest of the file.
///
/// Memory is linear in the input: at most one token per byte, and at most
/// [`MAX_DIAGNOSTICS`] diagnostics (the third result counts every fault).
pub fn lex(src: &str) -> (Vec<Token>, Vec<Diagnostic>, usize) {
    let mut lexer = Lexer::new(src);
    let mut tokens = Vec::with_capacity(src.len() / 3);
    while !lexer.done() {
        lexer.fill(&mut tokens, usize::MAX);
    }
    let (errors, faults) = lexer.finish();
    (tokens, errors, faults)
}

/// A lexer that resumes where it stopped: the parser takes tokens a window at a time
/// ([`Lexer::fill`]), so a million-`let` file's ten million tokens never exist at once (their
/// vector was 90 MB, written and faulted in whole, then read again).
pub struct Lexer<'s> {
    src: &'s str,
    /// The next byte to read.
    at: usize,
    errors: Vec<Diagnostic>,
    faults: usize,
    done: bool,
    /// Where the last [`Lexer::fill`] put its `def` tokens and its names starting with `_`
    /// (indices into its vector, ascending): the tokens the parser looks at as they are lexed
    /// ([`Lexer::noted`]), so that it need not read every token twice.
    noted: Vec<usize>,
}

impl<'s> Lexer<'s> {
    pub fn new(src: &'s str) -> Lexer<'s> {
        Lexer {
            src,
            at: 0,
            errors: Vec::new(),
            faults: 0,
            done: false,
            noted: Vec::new(),
        }
    }

    /// The positions, in the vector the last [`Lexer::fill`] appended to, of the `def` tokens
    /// and the names starting with `_` it appended, ascending.
    pub fn noted(&self) -> &[usize] {
        &self.noted
    }

    /// [`Tok::Eof`] has been produced: nothing more comes.
    pub fn done(&self) -> bool {
        self.done
    }

    /// The faults found so far (the first [`MAX_DIAGNOSTICS`]) and how many there were.
    pub fn finish(&mut self) -> (Vec<Diagnostic>, usize) {
        (std::mem::take(&mut self.errors), self.faults)
    }

    /// Appends the next tokens to `tokens`, stopping after at least `n` (or at the end, with
    /// [`Tok::Eof`] last).
    ///
    /// Each byte is dispatched by its class ([`CLASS`], one load), so a punctuation token is
    /// a table read and a push; a single space after a name or a punctuation token is skipped
    /// where it is met rather than dispatched.
    pub fn fill(&mut self, tokens: &mut Vec<Token>, n: usize) {
        self.noted.clear();
        if self.done {
            return;
        }
        let noted = &mut self.noted;
        let src = self.src;
        let bytes = src.as_bytes();
        let len = bytes.len();
        let mut faults = 0;
        let errors = &mut self.errors;
        let stop = tokens.len().saturating_add(n);
        let mut i = self.at;
        while i < len {
            if tokens.len() >= stop {
                self.at = i;
                self.faults += faults;
                return;
            }
            let c = bytes[i];
            let start = i;
            match CLASS[c as usize] {
                Class::Space => {
                    // A run of white space at once (it makes no token, so the window's count
                    // need not be checked inside it).
                    i += 1;
                    while i < len && CLASS[bytes[i] as usize] == Class::Space {
                        i += 1;
                    }
                }
                Class::Hash => {
                    i += match bytes[i..].iter().position(|&b| b == b'\n') {
                        Some(k) => k,
                        None => len - i,
                    };
                }
                Class::Punct => {
                    i += 1;
                    tokens.push(Token {
                        tok: PUNCT[c as usize],
                        span: Span::new(start, i),
                    });
                    if i < len && bytes[i] == b' ' {
                        i += 1;
                    }
                }
                Class::Minus => {
                    let tok = if bytes.get(i + 1) == Some(&b'>') {
                        i += 2;
                        Tok::Arrow
                    } else {
                        i += 1;
                        Tok::Minus
                    };
                    tokens.push(Token {
                        tok,
                        span: Span::new(start, i),
                    });
                }
                Class::Digit => {
                    i = scan_number(bytes, i);
                    let text = &src[start..i];
                    let v = text.parse::<f64>().ok().filter(|v| v.is_finite());
                    if v.is_none() {
                        faults += 1;
                    }
                    if v.is_none() && errors.len() < MAX_DIAGNOSTICS {
                        errors.push(
                            Diagnostic::error(
                                "E0102",
                                format!("the number `{text}` is out of range for f64"),
                            )
                            .with_primary(Span::new(start, i), "not a finite f64"),
                        );
                    }
                    // [`number`] reads 0.0 for it, which keeps the parser from reporting a second,
                    // spurious error.
                    tokens.push(Token {
                        tok: Tok::Num,
                        span: Span::new(start, i),
                    });
                }
                Class::Word => {
                    i += 1;
                    while i < len && WORD[bytes[i] as usize] {
                        i += 1;
                    }
                    let unprimed = if matches!(bytes.get(i), Some(b'.' | b'\'')) {
                        if bytes[i] == b'.' {
                            // A dotted name (`f.jvp`), rare: scanned again from its start.
                            i = scan_ident(bytes, start);
                        }
                        let unprimed = i;
                        while i < len && bytes[i] == b'\'' {
                            i += 1;
                        }
                        unprimed
                    } else {
                        // The common name: one test of the byte after it for both.
                        i
                    };
                    let tok = if i != unprimed {
                        Tok::LinIdent
                    } else if i - start > 4 {
                        Tok::Ident
                    } else {
                        match &bytes[start..i] {
                            b"def" => {
                                noted.push(tokens.len());
                                Tok::Def
                            }
                            b"type" => Tok::TypeKw,
                            b"let" => Tok::Let,
                            b"in" => Tok::In,
                            b"dup" => Tok::Dup,
                            b"drop" => Tok::Drop,
                            b"zero" => Tok::Zero,
                            b"R" => Tok::Real,
                            _ => Tok::Ident,
                        }
                    };
                    if c == b'_' {
                        noted.push(tokens.len());
                    }
                    tokens.push(Token {
                        tok,
                        span: Span::new(start, i),
                    });
                    if i < len && bytes[i] == b' ' {
                        i += 1;
                    }
                }
                Class::Bad => {
                    // A run of characters that are not Linear A is one fault (100 MB of NUL bytes
                    // is one diagnostic, not 10^8).
                    let bad = |i: usize| {
                        let b = bytes[i];
                        !(b.is_ascii_alphanumeric()
                            || b.is_ascii_whitespace()
                            || b"#()<>,;:=+*/@%-_'".contains(&b))
                    };
                    let first = src[i..].chars().next().unwrap_or('?');
                    i += first.len_utf8();
                    while i < len && bad(i) {
                        i += 1;
                    }
                    while !src.is_char_boundary(i) {
                        i += 1;
                    }
                    let message = if i - start == first.len_utf8() {
                        format!("unexpected character `{}`", first.escape_debug())
                    } else {
                        let n = src[start..i].chars().count();
                        format!(
                            "{n} unexpected characters, starting with `{}`",
                            first.escape_debug()
                        )
                    };
                    faults += 1;
                    if errors.len() < MAX_DIAGNOSTICS {
                        errors.push(
                            Diagnostic::error("E0101", message)
                                .with_primary(Span::new(start, i), "not part of Linear A"),
                        );
                    }
                }
            }
        }
        tokens.push(Token {
            tok: Tok::Eof,
            span: Span::new(src.len(), src.len()),
        });
        self.at = bytes.len();
        self.faults += faults;
        self.done = true;
    }
}

/// What a byte starts: the lexer's dispatch, one table load per token (a plain byte, so the
/// dispatch is one jump table).
#[derive(Clone, Copy, PartialEq)]
#[repr(u8)]
enum Class {
    /// ` `, `\t`, `\r`, `\n`.
    Space,
    /// `#`, a comment to the end of the line.
    Hash,
    /// A one-byte token, [`PUNCT`]'s.
    Punct,
    /// `-`, or `->` with the next byte.
    Minus,
    Digit,
    /// `[A-Za-z_]`, a name or a keyword.
    Word,
    /// Not Linear A.
    Bad,
}

static CLASS: [Class; 256] = {
    let mut t = [Class::Bad; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = match c {
            b' ' | b'\t' | b'\r' | b'\n' => Class::Space,
            b'#' => Class::Hash,
            b'-' => Class::Minus,
            b'0'..=b'9' => Class::Digit,
            b'A'..=b'Z' | b'a'..=b'z' | b'_' => Class::Word,
            _ => match punct(c) {
                Some(_) => Class::Punct,
                None => Class::Bad,
            },
        };
        b += 1;
    }
    t
};

/// The one-byte tokens, by their byte ([`Tok::Eof`] for the others, never read).
static PUNCT: [Tok; 256] = {
    let mut t = [Tok::Eof; 256];
    let mut b = 0;
    while b < 256 {
        if let Some(tok) = punct(b as u8) {
            t[b] = tok;
        }
        b += 1;
    }
    t
};

const fn punct(c: u8) -> Option<Tok> {
    Some(match c {
        b'(' => Tok::LParen,
        b')' => Tok::RParen,
        b'<' => Tok::Lt,
        b'>' => Tok::Gt,
        b',' => Tok::Comma,
        b';' => Tok::Semi,
        b':' => Tok::Colon,
        b'=' => Tok::Eq,
        b'+' => Tok::Plus,
        b'*' => Tok::Star,
        b'/' => Tok::Slash,
        b'@' => Tok::At,
        b'%' => Tok::Percent,
        _ => return None,
    })
}

/// The value of a [`Tok::Num`] token at `span` of `src`: 0.0 for a number out of range, which
/// the lexer has already reported.
pub fn number(src: &str, span: Span) -> f64 {
    src.get(span.range())
        .and_then(|t| t.parse::<f64>().ok())
        .filter(|v| v.is_finite())
        .unwrap_or(0.0)
}

fn scan_digits(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && bytes[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// `digits [. digits] [(e|E) [+|-] digits]`.
fn scan_number(bytes: &[u8], i: usize) -> usize {
    let mut i = scan_digits(bytes, i);
    if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
        i = scan_digits(bytes, i + 1);
    }
    if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
        let mut j = i + 1;
        if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
            j += 1;
        }
        if j < bytes.len() && bytes[j].is_ascii_digit() {
            i = scan_digits(bytes, j);
        }
    }
    i
}

/// The bytes of a name, `[A-Za-z0-9_]`, as a table (one load per byte).
static WORD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_';
        b += 1;
    }
    t
};

/// `[A-Za-z_][A-Za-z0-9_]*` followed by any number of `.[A-Za-z0-9_]+` (function names).
fn scan_ident(bytes: &[u8], mut i: usize) -> usize {
    let word = |b: &u8| WORD[*b as usize];
    i += 1;
    loop {
        let rest = bytes.get(i..).unwrap_or(&[]);
        i += rest.iter().position(|b| !word(b)).unwrap_or(rest.len());
        match bytes.get(i..i + 2) {
            Some([b'.', b]) if word(b) => i += 2,
            _ => return i,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_is_nine_bytes_and_a_number_is_read_from_its_text() {
        // docs/PERFORMANCE.md counts on it: a million-`let` file is ten million tokens.
        assert_eq!(std::mem::size_of::<Token>(), 9);
        let src = "let x = 2.5e3 in 1e999";
        let (toks, errors, faults) = lex(src);
        let nums: Vec<f64> = toks
            .iter()
            .filter(|t| t.tok == Tok::Num)
            .map(|t| number(src, t.span))
            .collect();
        assert_eq!(nums, [2500.0, 0.0]);
        assert_eq!((errors[0].code, faults), ("E0102", 1));
    }

    /// Every ASCII byte alone, then between two names: the class table sends it where the
    /// grammar says (white space makes no token, a one-byte token is itself, a letter or `_`
    /// starts a name, a digit a number, anything else is E0101).
    #[test]
    fn each_byte_is_lexed_as_its_class() {
        for b in 0u8..128 {
            let c = char::from(b);
            let one = c.to_string();
            let (toks, errors, _) = lex(&one);
            let kinds: Vec<Tok> = toks.iter().map(|t| t.tok).collect();
            match c {
                ' ' | '\t' | '\r' | '\n' | '#' => assert_eq!(kinds, [Tok::Eof], "{b}"),
                '(' | ')' | '<' | '>' | ',' | ';' | ':' | '=' | '+' | '-' | '*' | '/' | '@'
                | '%' => {
                    assert_eq!(kinds.len(), 2, "{b}");
                    assert_eq!(kinds[0].describe(), format!("`{c}`"));
                }
                'a'..='z' | 'A'..='Z' | '_' => {
                    let want = if c == 'R' { Tok::Real } else { Tok::Ident };
                    assert_eq!(kinds, [want, Tok::Eof], "{b}");
                }
                '0'..='9' => assert_eq!(kinds, [Tok::Num, Tok::Eof], "{b}"),
                _ => {
                    assert_eq!(kinds, [Tok::Eof], "{b}");
                    assert_eq!(errors[0].code, "E0101", "{b}");
                }
            }
            let src = format!("ab{c} cd");
            let (toks, _, _) = lex(&src);
            let spans: Vec<(usize, usize)> = toks
                .iter()
                .map(|t| (t.span.start as usize, t.span.end as usize))
                .collect();
            assert_eq!(
                spans.first(),
                Some(&(
                    0,
                    2 + usize::from(c.is_ascii_alphanumeric() || c == '_' || c == '\'')
                )),
                "{b}"
            );
            assert_eq!(spans.last(), Some(&(src.len(), src.len())), "{b}");
        }
        // A dotted name, a primed one, and a dot that does not continue a name.
        let src = "f.jvp x'' g. 3.5";
        let (toks, errors, _) = lex(src);
        let texts: Vec<&str> = toks.iter().map(|t| &src[t.span.range()]).collect();
        assert_eq!(texts, ["f.jvp", "x''", "g", "3.5", ""]);
        assert_eq!(errors.len(), 1);
        // What may follow a name: a dot, primes, both, a keyword's primes, the end.
        let src = "f.jvp' in' f.g.h'x def'(let.in x.'y x' y";
        let (toks, errors, _) = lex(src);
        let got: Vec<(&str, Tok)> = toks.iter().map(|t| (&src[t.span.range()], t.tok)).collect();
        let want = [
            ("f.jvp'", Tok::LinIdent),
            ("in'", Tok::LinIdent),
            ("f.g.h'", Tok::LinIdent),
            ("x", Tok::Ident),
            ("def'", Tok::LinIdent),
            ("(", Tok::LParen),
            ("let.in", Tok::Ident),
            ("x", Tok::Ident),
            // Neither `.` nor `'` begins a token: a fault each.
            ("y", Tok::Ident),
            ("x'", Tok::LinIdent),
            ("y", Tok::Ident),
            ("", Tok::Eof),
        ];
        assert_eq!(got, want);
        assert_eq!(errors.len(), 2);
    }

    /// A window's noted positions are its `def` tokens and its names starting with `_`
    /// (linear or not), found here by reading every token.
    #[test]
    fn a_window_notes_its_definitions_and_underscored_names() {
        let src = "def _f(_a: R ; _b': R) -> (R) = let def' = _a in let _c = def' in _c\n\
                   def g(x: R) -> (R) = x _ __ ";
        let mut lexer = Lexer::new(src);
        let mut window = Vec::new();
        let mut noted = 0;
        while !lexer.done() {
            window.clear();
            lexer.fill(&mut window, 7);
            let want: Vec<usize> = (0..window.len())
                .filter(|&k| {
                    let t = window[k];
                    t.tok == Tok::Def
                        || (matches!(t.tok, Tok::Ident | Tok::LinIdent)
                            && src[t.span.range()].starts_with('_'))
                })
                .collect();
            assert_eq!(lexer.noted(), want.as_slice());
            noted += want.len();
        }
        assert_eq!(noted, 10);
    }
}
