//! Errors that name the file, line and field of every problem in a policy file.

use std::fmt;
use std::path::PathBuf;

/// One thing wrong with a policy file, located as precisely as the file allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line, when the problem can be pinned to a place in the file.
    pub line: Option<usize>,
    /// 1-based column on that line.
    pub column: Option<usize>,
    /// Dotted field path, e.g. `retention.days` or `camera[2].url` (1-based camera index).
    pub field: String,
    /// What is wrong and what is expected, in English and Japanese.
    pub message: String,
}

/// A policy file that was refused. Nothing may start from a refused policy.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("cannot read policy file {file}: {error} (ポリシーファイルを読み込めません)")]
    Read {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{}", render_problems(file, problems))]
    Invalid {
        file: PathBuf,
        problems: Vec<Problem>,
    },
}

impl PolicyError {
    /// The problems found, empty when the file could not be read at all.
    pub fn problems(&self) -> &[Problem] {
        match self {
            PolicyError::Read { .. } => &[],
            PolicyError::Invalid { problems, .. } => problems,
        }
    }
}

fn render_problems(file: &std::path::Path, problems: &[Problem]) -> String {
    let mut out = format!(
        "policy file {} refused: {} problem(s) (ポリシーファイルに誤りがあります)",
        file.display(),
        problems.len()
    );
    for p in problems {
        out.push('\n');
        out.push_str(&format!("  {}", Located { file, problem: p }));
    }
    out
}

struct Located<'a> {
    file: &'a std::path::Path,
    problem: &'a Problem,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = self.problem;
        write!(f, "{}", self.file.display())?;
        if let Some(line) = p.line {
            write!(f, ":{line}")?;
            if let Some(col) = p.column {
                write!(f, ":{col}")?;
            }
        }
        write!(f, ": {}: {}", p.field, p.message)
    }
}
