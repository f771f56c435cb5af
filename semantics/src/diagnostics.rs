//! Diagnostics: the one data type every phase reports faults in, and the one place that
//! renders them (as text with source context through `codespan-reporting`, or as JSON).
//!
//! A diagnostic has a stable `code` (documented in `docs/errors.md`), a message, the typing
//! rule that failed (for type errors), and labelled spans; the first primary label gives the
//! line and column.

use crate::span::{LineIndex, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::term;
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub message: String,
    /// The rule that failed, for typing errors (`T-Let`, ...).
    pub rule: Option<&'static str>,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            rule: None,
            labels: Vec::new(),
            notes: Vec::new(),
        }
    }

    pub fn with_primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn with_rule(mut self, rule: &'static str) -> Diagnostic {
        self.rule = Some(rule);
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// The position the diagnostic is about: its first primary label.
    pub fn primary_span(&self) -> Option<Span> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| l.span)
    }
}

/// At most this many diagnostics are kept per file; the rest are counted in a final `E0100`
/// (as compilers do: clang's `-ferror-limit`). Rendering each diagnostic costs its source
/// context, so without a cap a file of many faults renders in time quadratic in its size.
pub const MAX_DIAGNOSTICS: usize = 50;

/// Source lines longer than this many bytes are shown as a window around the labels.
pub const MAX_SHOWN_LINE: usize = 160;

/// Keeps the first [`MAX_DIAGNOSTICS`] of `diags` (which are in source order) and, when
/// `total` is larger, says how many more there were in a last diagnostic `E0100`.
pub fn cap(mut diags: Vec<Diagnostic>, total: usize) -> Vec<Diagnostic> {
    let total = total.max(diags.len());
    if total > MAX_DIAGNOSTICS {
        diags.truncate(MAX_DIAGNOSTICS);
        diags.push(Diagnostic::error(
            "E0100",
            format!(
                "too many errors: {} more not shown (the first {MAX_DIAGNOSTICS} are)",
                total - MAX_DIAGNOSTICS
            ),
        ));
    }
    diags
}

/// Renders diagnostics as text with source context, as a terminal shows them. At most
/// [`MAX_DIAGNOSTICS`] are rendered, and a long line is shown as a window around the labels,
/// so the output is linear in the number of diagnostics, whatever the lines' lengths.
pub fn render(diags: &[Diagnostic], file_name: &str, src: &str) -> String {
    let config = term::Config::default();
    let line_starts: Vec<usize> = codespan_reporting::files::line_starts(src).collect();
    let mut out = String::new();
    // One more than the cap: a capped list ends in its `E0100`.
    let (shown, more) = diags.split_at(diags.len().min(MAX_DIAGNOSTICS + 1));
    for d in shown {
        let mut file = Windowed {
            name: file_name,
            src,
            line_starts: &line_starts,
            windows: Vec::new(),
        };
        let mut labels = Vec::new();
        for l in &d.labels {
            let range = file.show(clamp(l.span, src));
            let label = if l.primary {
                cs::Label::primary((), range)
            } else {
                cs::Label::secondary((), range)
            };
            labels.push(label.with_message(l.message.clone()));
        }
        let mut notes = d.notes.clone();
        if let Some(rule) = d.rule {
            notes.insert(0, format!("rule: {rule}"));
        }
        let diag = cs::Diagnostic::error()
            .with_code(d.code)
            .with_message(d.message.clone())
            .with_labels(labels)
            .with_notes(notes);
        match term::emit_into_string(&config, &file, &diag) {
            Ok(s) => out.push_str(&s),
            // Rendering cannot fail on clamped spans; should it ever, the message still shows.
            Err(_) => out.push_str(&format!("error[{}]: {}\n", d.code, d.message)),
        }
    }
    if !more.is_empty() {
        out.push_str(&format!(
            "error: {} more diagnostics not shown\n",
            more.len()
        ));
    }
    out
}

/// The source as one diagnostic shows it: a line longer than [`MAX_SHOWN_LINE`] is cut to a
/// window around the first label on it (labels are clamped into it), while line and column
/// numbers stay those of the whole file.
struct Windowed<'a> {
    name: &'a str,
    src: &'a str,
    line_starts: &'a [usize],
    /// (line index, window) for the long lines labels fall on.
    windows: Vec<(usize, std::ops::Range<usize>)>,
}

impl Windowed<'_> {
    fn line_of(&self, byte: usize) -> usize {
        self.line_starts
            .partition_point(|&s| s <= byte)
            .saturating_sub(1)
    }

    fn full_line(&self, line: usize) -> std::ops::Range<usize> {
        let start = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.src.len());
        let end = self
            .line_starts
            .get(line + 1)
            .map_or(self.src.len(), |&n| n.saturating_sub(1))
            .max(start);
        start..end
    }

    /// The window of `line`: the one a label fixed, else its first [`MAX_SHOWN_LINE`] bytes.
    fn window(&self, line: usize) -> std::ops::Range<usize> {
        if let Some((_, w)) = self.windows.iter().find(|(l, _)| *l == line) {
            return w.clone();
        }
        let full = self.full_line(line);
        let end = floor_char(self.src, (full.start + MAX_SHOWN_LINE).min(full.end));
        full.start..end
    }

    /// Fixes the windows of the lines `range` touches and clamps `range` into them.
    fn show(&mut self, range: std::ops::Range<usize>) -> std::ops::Range<usize> {
        let (l0, l1) = (self.line_of(range.start), self.line_of(range.end));
        for (line, anchor) in [(l0, range.start), (l1, range.end)] {
            let full = self.full_line(line);
            if full.len() > MAX_SHOWN_LINE && !self.windows.iter().any(|(l, _)| *l == line) {
                let half = MAX_SHOWN_LINE / 2;
                let start = anchor.saturating_sub(half).max(full.start);
                let end = (start + MAX_SHOWN_LINE).min(full.end);
                let w = floor_char(self.src, start)..floor_char(self.src, end);
                self.windows.push((line, w));
            }
        }
        let (w0, w1) = (self.window(l0), self.window(l1));
        let start = range.start.clamp(w0.start, w0.end);
        let end = range
            .end
            .clamp(w1.start, w1.end)
            .max(if l0 == l1 { start } else { 0 });
        start..end
    }
}

fn floor_char(src: &str, mut i: usize) -> usize {
    i = i.min(src.len());
    while !src.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl<'a> codespan_reporting::files::Files<'a> for Windowed<'a> {
    type FileId = ();
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, _: ()) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.name)
    }

    fn source(&'a self, _: ()) -> Result<&'a str, codespan_reporting::files::Error> {
        Ok(self.src)
    }

    fn line_index(&'a self, _: (), byte: usize) -> Result<usize, codespan_reporting::files::Error> {
        Ok(self.line_of(byte))
    }

    fn column_number(
        &'a self,
        _: (),
        line: usize,
        byte: usize,
    ) -> Result<usize, codespan_reporting::files::Error> {
        let start = self.full_line(line).start;
        let byte = floor_char(self.src, byte.max(start));
        Ok(self.src[start..byte].chars().count() + 1)
    }

    fn line_range(
        &'a self,
        _: (),
        line: usize,
    ) -> Result<std::ops::Range<usize>, codespan_reporting::files::Error> {
        if line >= self.line_starts.len() {
            return Err(codespan_reporting::files::Error::LineTooLarge {
                given: line,
                max: self.line_starts.len().saturating_sub(1),
            });
        }
        Ok(self.window(line))
    }
}

/// Keeps a span inside the source and on character boundaries.
fn clamp(span: Span, src: &str) -> std::ops::Range<usize> {
    let mut start = (span.start as usize).min(src.len());
    let mut end = (span.end as usize).clamp(start, src.len());
    while !src.is_char_boundary(start) {
        start -= 1;
    }
    while !src.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// The JSON form of SPEC §8: `[{"code", "message", "rule", "line", "column"}]`.
pub fn to_json(diags: &[Diagnostic], src: &str) -> serde_json::Value {
    let index = LineIndex::new(src);
    let items = diags
        .iter()
        .map(|d| {
            let (line, column) = d
                .primary_span()
                .map_or((0, 0), |s| index.line_col(s.start as usize));
            serde_json::json!({
                "code": d.code,
                "message": d.message,
                "rule": d.rule,
                "line": line,
                "column": column,
            })
        })
        .collect();
    serde_json::Value::Array(items)
}
