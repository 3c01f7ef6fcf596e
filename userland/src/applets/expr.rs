//! `expr EXPRESSION`: evaluate a POSIX expression given as separate
//! arguments and print the result. Exit status: 0 if the result is neither
//! empty nor 0, 1 if it is, 2 for an invalid expression, 3 for other errors.

use crate::common::error_msg;
use std::ffi::OsString;
use std::io::Write;
use std::os::unix::ffi::OsStrExt;

/// Usage text for `--help` and usage errors (after "Usage: NAME ").
pub const USAGE: &str = "EXPRESSION\n\nPrint the value of EXPRESSION to stdout\n\nEXPRESSION may be:\n\tARG1 | ARG2\tARG1 if it is neither null nor 0, otherwise ARG2\n\tARG1 & ARG2\tARG1 if neither argument is null or 0, otherwise 0\n\tARG1 < ARG2\t1 if ARG1 is less than ARG2, else 0. Similarly:\n\tARG1 <= ARG2\n\tARG1 = ARG2\n\tARG1 != ARG2\n\tARG1 >= ARG2\n\tARG1 > ARG2\n\tARG1 + ARG2\tSum of ARG1 and ARG2. Similarly:\n\tARG1 - ARG2\n\tARG1 * ARG2\n\tARG1 / ARG2\n\tARG1 % ARG2\n\tSTRING : REGEXP\t\tAnchored pattern match of REGEXP in STRING\n\tmatch STRING REGEXP\tSame as STRING : REGEXP\n\tsubstr STRING POS LENGTH Substring of STRING, POS counted from 1\n\tindex STRING CHARS\tIndex in STRING where any CHARS is found, or 0\n\tlength STRING\t\tLength of STRING\n\tquote TOKEN\t\tInterpret TOKEN as a string, even if\n\t\t\t\tit is a keyword like 'match' or an\n\t\t\t\toperator like '/'\n\t(EXPRESSION)\t\tValue of EXPRESSION";

/// A value: integers are kept apart so that `10 < 9` compares numbers.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Int(i64),
    Str(Vec<u8>),
}

/// Why evaluation stopped: (message, exit status).
type Error = (String, i32);

fn syntax() -> Error {
    ("syntax error".to_string(), 2)
}

impl Value {
    /// The integer this value is or spells (`-12`), if any.
    fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Str(s) => {
                let digits = s.strip_prefix(b"-").unwrap_or(s);
                if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                    return None;
                }
                std::str::from_utf8(s).ok()?.parse().ok()
            }
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Int(i) => i.to_string().into_bytes(),
            Value::Str(s) => s.clone(),
        }
    }

    /// Null: the empty string or zero.
    fn is_null(&self) -> bool {
        match self {
            Value::Int(i) => *i == 0,
            Value::Str(s) => s.is_empty() || self.as_int() == Some(0),
        }
    }
}

/// Recursive-descent parser over the argument words.
struct Parser<'a> {
    toks: &'a [Vec<u8>],
    pos: usize,
    /// Above 0 inside the unevaluated side of `|` or `&`: only syntax
    /// errors count there (`expr 1 \| 1 / 0` is 1, as in GNU expr).
    quiet: u32,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&[u8]> {
        self.toks.get(self.pos).map(|t| t.as_slice())
    }

    /// Consumes the next token if it is one of `ops`.
    fn eat(&mut self, ops: &[&[u8]]) -> Option<Vec<u8>> {
        let t = self.peek()?.to_vec();
        if ops.contains(&t.as_slice()) {
            self.pos += 1;
            Some(t)
        } else {
            None
        }
    }

    fn next(&mut self) -> Result<Vec<u8>, Error> {
        let t = self.toks.get(self.pos).ok_or_else(syntax)?.clone();
        self.pos += 1;
        Ok(t)
    }

    fn or(&mut self) -> Result<Value, Error> {
        let mut l = self.and()?;
        while self.eat(&[b"|"]).is_some() {
            let r = self.side(!l.is_null(), Self::and)?;
            l = if !l.is_null() {
                l
            } else if !r.is_null() {
                r
            } else {
                Value::Int(0)
            };
        }
        Ok(l)
    }

    /// Parses one operand of `|`/`&`, quietly when it is not needed.
    fn side(
        &mut self,
        skip: bool,
        f: fn(&mut Self) -> Result<Value, Error>,
    ) -> Result<Value, Error> {
        if skip {
            self.quiet += 1;
        }
        let r = f(self);
        if skip {
            self.quiet -= 1;
        }
        r
    }

    /// Passes `r` on, except that run-time errors (not syntax errors) in
    /// an unevaluated operand become 0.
    fn check(&self, r: Result<Value, Error>) -> Result<Value, Error> {
        match r {
            Err((msg, _)) if self.quiet > 0 && !msg.starts_with("syntax error") => {
                Ok(Value::Int(0))
            }
            other => other,
        }
    }

    fn and(&mut self) -> Result<Value, Error> {
        let mut l = self.compare()?;
        while self.eat(&[b"&"]).is_some() {
            let r = self.side(l.is_null(), Self::compare)?;
            l = if l.is_null() || r.is_null() {
                Value::Int(0)
            } else {
                l
            };
        }
        Ok(l)
    }

    fn compare(&mut self) -> Result<Value, Error> {
        let mut l = self.sum()?;
        while let Some(op) = self.eat(&[b"=", b"==", b"!=", b"<", b"<=", b">", b">="]) {
            let r = self.sum()?;
            let ord = match (l.as_int(), r.as_int()) {
                (Some(a), Some(b)) => a.cmp(&b),
                _ => l.bytes().cmp(&r.bytes()),
            };
            let truth = match op.as_slice() {
                b"=" | b"==" => ord.is_eq(),
                b"!=" => ord.is_ne(),
                b"<" => ord.is_lt(),
                b"<=" => ord.is_le(),
                b">" => ord.is_gt(),
                _ => ord.is_ge(),
            };
            l = Value::Int(i64::from(truth));
        }
        Ok(l)
    }

    fn sum(&mut self) -> Result<Value, Error> {
        let mut l = self.product()?;
        while let Some(op) = self.eat(&[b"+", b"-"]) {
            let r = self.product()?;
            l = self.check(arith(&l, &r, op[0]))?;
        }
        Ok(l)
    }

    fn product(&mut self) -> Result<Value, Error> {
        let mut l = self.colon()?;
        while let Some(op) = self.eat(&[b"*", b"/", b"%"]) {
            let r = self.colon()?;
            l = self.check(arith(&l, &r, op[0]))?;
        }
        Ok(l)
    }

    fn colon(&mut self) -> Result<Value, Error> {
        let mut l = self.primary()?;
        while self.eat(&[b":"]).is_some() {
            let r = self.primary()?;
            l = self.check(regex_match(&l.bytes(), &r.bytes()))?;
        }
        Ok(l)
    }

    fn primary(&mut self) -> Result<Value, Error> {
        let t = self.next()?;
        // As in GNU expr: keywords always take their arguments, a lone ")"
        // is an error, and any other operator here is a plain string.
        match t.as_slice() {
            b"(" => {
                let v = self.or()?;
                if self.eat(&[b")"]).is_none() {
                    return Err(syntax());
                }
                Ok(v)
            }
            b"+" | b"quote" => Ok(Value::Str(self.next()?)),
            b"length" => {
                let s = self.primary()?.bytes();
                Ok(Value::Int(s.len() as i64))
            }
            b"match" => {
                let s = self.primary()?.bytes();
                let re = self.primary()?.bytes();
                self.check(regex_match(&s, &re))
            }
            b"index" => {
                let s = self.primary()?.bytes();
                let chars = self.primary()?.bytes();
                let at = s
                    .iter()
                    .position(|c| chars.contains(c))
                    .map_or(0, |p| p + 1);
                Ok(Value::Int(at as i64))
            }
            b"substr" => {
                let s = self.primary()?.bytes();
                let pos = self.primary()?.as_int();
                let len = self.primary()?.as_int();
                let (Some(pos), Some(len)) = (pos, len) else {
                    return Ok(Value::Str(Vec::new()));
                };
                if pos < 1 || len < 1 || pos as u64 > s.len() as u64 {
                    return Ok(Value::Str(Vec::new()));
                }
                let start = (pos - 1) as usize;
                let end = start.saturating_add(len as usize).min(s.len());
                Ok(Value::Str(s[start..end].to_vec()))
            }
            b")" => Err(syntax()),
            _ => Ok(Value::Str(t)),
        }
    }
}

/// Integer arithmetic with overflow and division checks.
fn arith(l: &Value, r: &Value, op: u8) -> Result<Value, Error> {
    let (Some(a), Some(b)) = (l.as_int(), r.as_int()) else {
        return Err(("non-numeric argument".to_string(), 2));
    };
    if (op == b'/' || op == b'%') && b == 0 {
        return Err(("division by zero".to_string(), 2));
    }
    let v = match op {
        b'+' => a.checked_add(b),
        b'-' => a.checked_sub(b),
        b'*' => a.checked_mul(b),
        b'/' => a.checked_div(b),
        _ => a.checked_rem(b),
    };
    v.map(Value::Int)
        .ok_or_else(|| ("arithmetic overflow".to_string(), 2))
}

/// `STRING : REGEXP`: a basic regular expression anchored at the start.
/// With a `\(...\)` group the result is the group's text (empty if no
/// match), else the length of the match.
fn regex_match(s: &[u8], re: &[u8]) -> Result<Value, Error> {
    // ibox's own engine rather than glibc's regcomp, which would bring
    // about 70 KB of glibc (its regex and locale tables) into every ibox.
    let compiled = crate::regex::Regex::with_options(re, &crate::regex::Options::default())
        .map_err(|_| {
            (
                format!(
                    "invalid regular expression '{}'",
                    String::from_utf8_lossy(re)
                ),
                2,
            )
        })?;
    // The leftmost-longest match, which counts only if it starts at 0.
    let m = compiled
        .captures_at(s, 0)
        .filter(|m| matches!(m.first(), Some(Some((0, _)))));
    if count_groups(re) > 0 {
        return Ok(Value::Str(
            m.and_then(|m| m.get(1).copied().flatten())
                .map(|(a, b)| s[a..b].to_vec())
                .unwrap_or_default(),
        ));
    }
    Ok(Value::Int(
        match m.and_then(|m| m.first().copied().flatten()) {
            Some((_, end)) => end as i64,
            None => 0,
        },
    ))
}

/// Number of `\(` groups in a basic regular expression (bracket
/// expressions skipped), which decides what `:` returns.
fn count_groups(re: &[u8]) -> usize {
    let mut n = 0;
    let mut i = 0;
    while i < re.len() {
        match re[i] {
            b'\\' => {
                if re.get(i + 1) == Some(&b'(') {
                    n += 1;
                }
                i += 2;
            }
            b'[' => {
                // "[]...]" and "[^]...]" keep a leading "]" as a member.
                i += 1;
                if re.get(i) == Some(&b'^') {
                    i += 1;
                }
                if re.get(i) == Some(&b']') {
                    i += 1;
                }
                while i < re.len() && re[i] != b']' {
                    i += 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    n
}

/// Entry point.
pub fn main(args: Vec<OsString>) -> i32 {
    let toks: Vec<Vec<u8>> = args.iter().skip(1).map(|a| a.as_bytes().to_vec()).collect();
    if toks.first().map(|t| t.as_slice()) == Some(b"--help") && toks.len() == 1 {
        crate::common::print_usage("expr");
        return 0;
    }
    let toks = if toks.first().map(|t| t.as_slice()) == Some(b"--") {
        &toks[1..]
    } else {
        &toks[..]
    };
    if toks.is_empty() {
        error_msg("expr", "missing operand");
        return 2;
    }
    let mut p = Parser {
        toks,
        pos: 0,
        quiet: 0,
    };
    let result = p.or().and_then(|v| {
        if p.pos == toks.len() {
            Ok(v)
        } else {
            Err(syntax())
        }
    });
    match result {
        Ok(v) => {
            let mut line = v.bytes();
            line.push(b'\n');
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(&line).and_then(|_| out.flush()) {
                crate::text::write_failed("expr", &e);
                return 3;
            }
            i32::from(v.is_null())
        }
        Err((msg, code)) => {
            error_msg("expr", &msg);
            code
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(words: &[&str]) -> Result<Value, Error> {
        let toks: Vec<Vec<u8>> = words.iter().map(|w| w.as_bytes().to_vec()).collect();
        let mut p = Parser {
            toks: &toks,
            pos: 0,
            quiet: 0,
        };
        p.or()
    }

    #[test]
    fn precedence() {
        assert_eq!(eval(&["1", "+", "2", "*", "3"]), Ok(Value::Int(7)));
        assert_eq!(
            eval(&["(", "1", "+", "2", ")", "*", "3"]),
            Ok(Value::Int(9))
        );
        assert_eq!(eval(&["0", "|", "", "&", "1"]), Ok(Value::Int(0)));
        assert_eq!(eval(&["10", "<", "9"]), Ok(Value::Int(0)));
        assert_eq!(eval(&["a10", "<", "a9"]), Ok(Value::Int(1)));
    }
}
