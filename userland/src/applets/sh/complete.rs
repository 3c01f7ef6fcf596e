//! Tab completion for the line editor: command names in the first word of
//! a command (builtins, functions, ibox applets, programs in `$PATH`),
//! variable names after `$`, and file names elsewhere.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;

use super::exec::Shell;

/// One possible completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The text that replaces the word, quoted for the shell.
    pub text: Vec<u8>,
    /// What a listing of the matches shows.
    pub show: Vec<u8>,
    /// Whether it names a directory (completed with `/`, not a space).
    pub dir: bool,
}

/// The completions of the word that ends at `pos` in `line`: where the word
/// starts and the candidates, sorted.
pub fn complete(sh: &Shell, line: &[u8], pos: usize) -> (usize, Vec<Candidate>) {
    let start = word_start(line, pos);
    let word = unquote(&line[start..pos]);
    let cands = if let Some(dollar) = word.iter().rposition(|&c| c == b'$') {
        let name = &word[dollar + 1..];
        let name = name.strip_prefix(b"{").unwrap_or(name);
        if name.iter().all(|&c| super::lexer::is_name_char(c)) {
            variables(sh, &word[..word.len() - name.len()], name)
        } else {
            Vec::new()
        }
    } else if command_position(&line[..start]) && !word.contains(&b'/') {
        commands(sh, &word)
    } else {
        files(sh, &word, command_position(&line[..start]))
    };
    (start, cands)
}

/// Characters that end a word for completion.
fn is_break(c: u8) -> bool {
    matches!(
        c,
        b' ' | b'\t' | b'\n' | b';' | b'|' | b'&' | b'<' | b'>' | b'(' | b')'
    )
}

/// Where the word before `pos` begins; a backslash-escaped break
/// character belongs to the word.
fn word_start(line: &[u8], pos: usize) -> usize {
    let mut i = pos;
    while i > 0 {
        let c = line[i - 1];
        if is_break(c) && !(i >= 2 && line[i - 2] == b'\\') {
            break;
        }
        i -= 1;
    }
    i
}

/// Whether a word after `before` is a command name: it follows nothing,
/// an operator, or a keyword that starts a command.
fn command_position(before: &[u8]) -> bool {
    let trimmed = {
        let mut end = before.len();
        while end > 0 && matches!(before[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        &before[..end]
    };
    match trimmed.last() {
        None => true,
        Some(b';' | b'|' | b'&' | b'(' | b'\n') => true,
        Some(_) => {
            let start = word_start(trimmed, trimmed.len());
            matches!(
                &trimmed[start..],
                b"then" | b"do" | b"else" | b"elif" | b"if" | b"while" | b"until" | b"!" | b"{"
            )
        }
    }
}

/// The word with quotes and backslashes removed.
fn unquote(w: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(w.len());
    let mut quote = None;
    let mut i = 0;
    while i < w.len() {
        let c = w[i];
        match (quote, c) {
            (None, b'\\') if i + 1 < w.len() => {
                out.push(w[i + 1]);
                i += 1;
            }
            (None, b'\'' | b'"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// `s` with the characters special to the shell backslash-escaped.
pub fn quote(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        if matches!(
            c,
            b' ' | b'\t'
                | b'\n'
                | b'\''
                | b'"'
                | b'\\'
                | b'$'
                | b'`'
                | b'&'
                | b'|'
                | b';'
                | b'<'
                | b'>'
                | b'('
                | b')'
                | b'*'
                | b'?'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'!'
                | b'#'
        ) {
            out.push(b'\\');
        }
        out.push(c);
    }
    out
}

/// Variable names starting with `prefix`; `lead` is the word up to the
/// name (`$` or `${`, possibly after other text).
fn variables(sh: &Shell, lead: &[u8], prefix: &[u8]) -> Vec<Candidate> {
    let braced = lead.ends_with(b"{");
    sh.vars
        .iter()
        .filter(|(name, var)| name.starts_with(prefix) && var.value.is_some())
        .map(|(name, _)| {
            let mut text = quote(&lead[..lead.len() - 1 - braced as usize]);
            text.extend_from_slice(if braced { b"${" } else { b"$" });
            text.extend_from_slice(name);
            if braced {
                text.push(b'}');
            }
            Candidate {
                text,
                show: name.to_vec(),
                dir: false,
            }
        })
        .collect()
}

/// Command names starting with `prefix`.
fn commands(sh: &Shell, prefix: &[u8]) -> Vec<Candidate> {
    let mut names: BTreeSet<Vec<u8>> = BTreeSet::new();
    let mut add = |n: &[u8]| {
        if n.starts_with(prefix) {
            names.insert(n.to_vec());
        }
    };
    for n in super::builtins::names() {
        add(n);
    }
    for n in sh.functions.keys() {
        add(n);
    }
    for a in crate::applets::APPLETS {
        add(a.name.as_bytes());
    }
    let path = sh.vars.get(b"PATH").unwrap_or(super::exec::DEFAULT_PATH);
    for dir in path.split(|&c| c == b':') {
        let dir = if dir.is_empty() { &b"."[..] } else { dir };
        let Ok(rd) = std::fs::read_dir(OsStr::from_bytes(dir)) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name();
            let name = name.as_bytes();
            if !name.starts_with(prefix) {
                continue;
            }
            // Follows symlinks: most of /bin is links to one binary.
            if std::fs::metadata(e.path())
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            {
                add(name);
            }
        }
    }
    names
        .into_iter()
        .map(|n| Candidate {
            text: quote(&n),
            show: n,
            dir: false,
        })
        .collect()
}

/// File names completing `word`; in command position only directories and
/// executables.
fn files(sh: &Shell, word: &[u8], executables_only: bool) -> Vec<Candidate> {
    let (dir, prefix) = match word.iter().rposition(|&c| c == b'/') {
        Some(i) => (&word[..=i], &word[i + 1..]),
        None => (&b""[..], word),
    };
    // `~/x` reads $HOME but keeps the `~` in the completed word.
    let read_dir: Vec<u8> = if dir.is_empty() {
        b".".to_vec()
    } else if let Some(rest) = dir.strip_prefix(b"~/") {
        let mut d = sh.vars.get(b"HOME").unwrap_or(b"").to_vec();
        d.push(b'/');
        d.extend_from_slice(rest);
        d
    } else {
        dir.to_vec()
    };
    let Ok(rd) = std::fs::read_dir(OsStr::from_bytes(&read_dir)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.as_bytes();
        if !name.starts_with(prefix) || (name.starts_with(b".") && !prefix.starts_with(b".")) {
            continue;
        }
        let meta = std::fs::metadata(e.path());
        let is_dir = meta.as_ref().is_ok_and(|m| m.is_dir());
        if executables_only && !is_dir && !meta.is_ok_and(|m| m.permissions().mode() & 0o111 != 0) {
            continue;
        }
        let mut full = dir.to_vec();
        full.extend_from_slice(name);
        let mut text = match full.strip_prefix(b"~/") {
            Some(rest) => {
                let mut t = b"~/".to_vec();
                t.extend_from_slice(&quote(rest));
                t
            }
            None => quote(&full),
        };
        let mut show = name.to_vec();
        if is_dir {
            text.push(b'/');
            show.push(b'/');
        }
        out.push(Candidate {
            text,
            show,
            dir: is_dir,
        });
    }
    ibex_sort::sort_by(&mut out, |a, b| a.text.cmp(&b.text));
    out
}

/// The longest common prefix of the candidates' texts, never ending in
/// the middle of a backslash escape.
pub fn common_prefix(cands: &[Candidate]) -> Vec<u8> {
    let Some(first) = cands.first() else {
        return Vec::new();
    };
    let mut n = first.text.len();
    for c in &cands[1..] {
        n = n.min(
            first
                .text
                .iter()
                .zip(&c.text)
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    let mut p = first.text[..n].to_vec();
    // A trailing lone backslash would escape whatever is typed next.
    let backslashes = p.iter().rev().take_while(|&&c| c == b'\\').count();
    if backslashes % 2 == 1 {
        p.pop();
    }
    p
}

/// Lays out `items` in columns for a terminal `width` wide, ls-style
/// (down the columns).
pub fn columns(items: &[Vec<u8>], width: usize) -> Vec<u8> {
    let longest = items.iter().map(|s| s.len()).max().unwrap_or(0) + 2;
    let ncols = (width / longest).max(1);
    let nrows = items.len().div_ceil(ncols);
    let mut out = Vec::new();
    for r in 0..nrows {
        for c in 0..ncols {
            let Some(item) = items.get(c * nrows + r) else {
                continue;
            };
            out.extend_from_slice(item);
            if (c + 1) * nrows + r < items.len() {
                out.resize(out.len() + longest - item.len(), b' ');
            }
        }
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_positions() {
        assert_eq!(word_start(b"ls foo", 6), 3);
        assert_eq!(word_start(b"ls a\\ b", 7), 3);
        assert!(command_position(b""));
        assert!(command_position(b"ls | "));
        assert!(command_position(b"if "));
        assert!(!command_position(b"ls "));
        assert_eq!(unquote(b"'a b'\\ c"), b"a b c");
        assert_eq!(quote(b"a b$"), b"a\\ b\\$");
    }

    #[test]
    fn prefixes_and_columns() {
        let c = |t: &[u8]| Candidate {
            text: t.to_vec(),
            show: t.to_vec(),
            dir: false,
        };
        assert_eq!(common_prefix(&[c(b"abc"), c(b"abd")]), b"ab");
        assert_eq!(common_prefix(&[c(b"a\\ b"), c(b"a\\ c")]), b"a\\ ");
        assert_eq!(common_prefix(&[c(b"a\\ b"), c(b"a\\(c")]), b"a");
        let items = [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
        assert_eq!(columns(&items, 80), b"a  b  c\r\n");
        assert_eq!(columns(&items, 6), b"a  c\r\nb\r\n");
    }
}
