//! Maps between field paths (`camera[2].url`) and places in the policy text, so that every
//! problem, whether found by the TOML parser or by validation, names its line and field.

use std::ops::Range;

use toml_edit::{ImDocument, Item, Table, Value};

use crate::Problem;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    Key(String),
    /// 0-based index into an array or array of tables; rendered 1-based for people.
    Index(usize),
}

/// A path to a field of the policy, e.g. `camera[2].url`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldPath(pub(crate) Vec<Step>);

impl FieldPath {
    pub(crate) fn key(mut self, key: &str) -> Self {
        self.0.push(Step::Key(key.to_owned()));
        self
    }

    pub(crate) fn index(mut self, i: usize) -> Self {
        self.0.push(Step::Index(i));
        self
    }

    pub(crate) fn render(&self) -> String {
        let mut out = String::new();
        for step in &self.0 {
            match step {
                Step::Key(k) => {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(k);
                }
                Step::Index(i) => out.push_str(&format!("[{}]", i + 1)),
            }
        }
        if out.is_empty() {
            out.push_str("(file)");
        }
        out
    }
}

/// The policy text with its syntax tree, kept for locating problems.
pub(crate) struct Source<'a> {
    text: &'a str,
    doc: Option<ImDocument<&'a str>>,
}

impl<'a> Source<'a> {
    pub(crate) fn new(text: &'a str) -> Self {
        Source {
            text,
            doc: ImDocument::parse(text).ok(),
        }
    }

    /// A problem at `path`, located at the deepest part of the path present in the file.
    pub(crate) fn problem_at(&self, path: &FieldPath, message: String) -> Problem {
        let span = self
            .doc
            .as_ref()
            .and_then(|doc| span_of(doc.as_table(), &path.0));
        self.problem(span, path.render(), message)
    }

    /// A problem the TOML parser found at a byte span: its field is whatever lies there.
    pub(crate) fn problem_at_span(&self, span: Option<Range<usize>>, message: String) -> Problem {
        let field = match (&self.doc, &span) {
            (Some(doc), Some(span)) => path_at(doc.as_table(), span.start).render(),
            _ => "(syntax)".to_owned(),
        };
        self.problem(span, field, message)
    }

    fn problem(&self, span: Option<Range<usize>>, field: String, message: String) -> Problem {
        let (line, column) = match span {
            Some(span) => {
                let (l, c) = line_column(self.text, span.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Problem {
            line,
            column,
            field,
            message,
        }
    }
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The span of the deepest item along `path` that exists in the table.
fn span_of(table: &Table, path: &[Step]) -> Option<Range<usize>> {
    let Some((Step::Key(key), rest)) = path.split_first() else {
        return table.span();
    };
    let Some(item) = table.get(key) else {
        return table.span();
    };
    let here = item
        .span()
        .or_else(|| table.key(key).and_then(|k| k.span()));
    span_in_item(item, rest).or(here)
}

fn span_in_item(item: &Item, path: &[Step]) -> Option<Range<usize>> {
    let Some(first) = path.first() else {
        return item.span();
    };
    match (item, first) {
        (Item::Table(t), Step::Key(_)) => span_of(t, path),
        (Item::ArrayOfTables(a), Step::Index(i)) => {
            let t = a.get(*i)?;
            span_of(t, &path[1..]).or_else(|| t.span())
        }
        (Item::Value(v), _) => span_in_value(v, path),
        _ => None,
    }
}

fn span_in_value(value: &Value, path: &[Step]) -> Option<Range<usize>> {
    match (value, path.first()) {
        (_, None) => value.span(),
        (Value::Array(a), Some(Step::Index(i))) => {
            a.get(*i).and_then(|v| span_in_value(v, &path[1..]))
        }
        (Value::InlineTable(t), Some(Step::Key(k))) => {
            t.get(k).and_then(|v| span_in_value(v, &path[1..]))
        }
        _ => value.span(),
    }
}

/// The path of the deepest field whose key or value covers `offset`.
fn path_at(table: &Table, offset: usize) -> FieldPath {
    let mut path = FieldPath::default();
    descend_table(table, offset, &mut path);
    path
}

fn covers(span: Option<Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.contains(&offset) || s.start == offset)
}

fn descend_table(table: &Table, offset: usize, path: &mut FieldPath) {
    for (key, item) in table.iter() {
        let key_span = table.key(key).and_then(|k| k.span());
        let hit = covers(key_span, offset) || covers(item.span(), offset);
        let inside = match item {
            Item::Table(t) => contains_offset(t, offset),
            Item::ArrayOfTables(a) => a.iter().any(|t| contains_offset(t, offset)),
            _ => false,
        };
        if !(hit || inside) {
            continue;
        }
        path.0.push(Step::Key(key.to_owned()));
        match item {
            Item::Table(t) => descend_table(t, offset, path),
            Item::ArrayOfTables(a) => {
                if let Some(i) = a.iter().position(|t| contains_offset(t, offset)) {
                    path.0.push(Step::Index(i));
                    descend_table(a.get(i).expect("index from position"), offset, path);
                }
            }
            _ => {}
        }
        return;
    }
}

/// Whether any key, value or header of this table covers `offset`.
fn contains_offset(table: &Table, offset: usize) -> bool {
    covers(table.span(), offset)
        || table.iter().any(|(key, item)| {
            covers(table.key(key).and_then(|k| k.span()), offset)
                || covers(item.span(), offset)
                || matches!(item, Item::Table(t) if contains_offset(t, offset))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        assert_eq!(line_column("a\nbc\n", 0), (1, 1));
        assert_eq!(line_column("a\nbc\n", 3), (2, 2));
    }

    #[test]
    fn finds_the_field_under_an_offset() {
        let text =
            "[ward]\nname = \"x\"\n\n[[camera]]\nid = \"a\"\n\n[[camera]]\nid = \"b\"\nurl = 5\n";
        let src = Source::new(text);
        let offset = text.find("5").unwrap();
        let p = src.problem_at_span(Some(offset..offset + 1), "bad".into());
        assert_eq!(p.field, "camera[2].url");
        assert_eq!(p.line, Some(9));
    }

    #[test]
    fn locates_a_path() {
        let text = "[retention]\ndays = 0\n";
        let src = Source::new(text);
        let p = src.problem_at(
            &FieldPath::default().key("retention").key("days"),
            "x".into(),
        );
        assert_eq!((p.line, p.column), (Some(2), Some(8)));
    }
}
