//! Splits awk program text into tokens. Whether `/` starts a regular
//! expression or divides depends on the token before it, as in every awk.

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// A number constant.
    Num(f64),
    /// A string constant, escapes already processed.
    Str(Vec<u8>),
    /// A regular expression constant, ready for the ERE compiler.
    Regex(Vec<u8>),
    /// A variable or function name.
    Name(String),
    /// A function name directly followed by `(` (a user call).
    FuncName(String),
    /// A built-in function.
    Builtin(String),
    /// A keyword (`if`, `print`, `getline`, `in` …).
    Kw(&'static str),
    /// Punctuation or an operator.
    Op(&'static str),
    /// A newline (or `;` is `Op(";")`).
    Newline,
    /// End of the program.
    Eof,
}

/// A token and the line it is on.
#[derive(Clone, Debug)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// 1-based line number.
    pub line: u32,
}

const KEYWORDS: &[&str] = &[
    "BEGIN", "END", "function", "func", "if", "else", "while", "for", "do", "break", "continue",
    "next", "nextfile", "exit", "return", "delete", "getline", "print", "printf", "in",
];

/// Built-in functions.
pub const BUILTINS: &[&str] = &[
    "length", "substr", "index", "split", "sub", "gsub", "match", "sprintf", "sin", "cos", "atan2",
    "exp", "log", "sqrt", "int", "rand", "srand", "tolower", "toupper", "system", "close",
    "fflush",
];

/// Operators, longest first.
const OPS: &[&str] = &[
    "**=", "&&", "||", "==", "!=", "<=", ">=", "!~", "++", "--", "+=", "-=", "*=", "/=", "%=",
    "^=", ">>", "**", "{", "}", "(", ")", "[", "]", ";", ",", "+", "-", "*", "/", "%", "^", "!",
    ">", "<", "|", "?", ":", "~", "$", "=",
];

/// Tokenizes `src`; an error is `(line, message)`.
pub fn lex(src: &[u8]) -> Result<Vec<Token>, (u32, String)> {
    let mut toks: Vec<Token> = Vec::new();
    let mut i = 0;
    let mut line = 1u32;
    while i < src.len() {
        let c = src[i];
        match c {
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if src.get(i + 1) == Some(&b'\n') => {
                i += 2;
                line += 1;
            }
            b'\\' if src.get(i + 1) == Some(&b'\r') && src.get(i + 2) == Some(&b'\n') => {
                i += 3;
                line += 1;
            }
            b'\n' => {
                toks.push(Token {
                    tok: Tok::Newline,
                    line,
                });
                line += 1;
                i += 1;
            }
            b'#' => {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                let mut s = Vec::new();
                loop {
                    match src.get(i) {
                        None | Some(b'\n') => return Err((line, "unterminated string".into())),
                        Some(b'"') => {
                            i += 1;
                            break;
                        }
                        Some(b'\\') => {
                            i += 1;
                            i = escape(src, i, &mut s, &mut line);
                        }
                        Some(&b) => {
                            s.push(b);
                            i += 1;
                        }
                    }
                }
                toks.push(Token {
                    tok: Tok::Str(s),
                    line,
                });
            }
            b'/' if regex_allowed(toks.last().map(|t| &t.tok)) => {
                i += 1;
                let mut s = Vec::new();
                let mut in_bracket = false;
                loop {
                    match src.get(i) {
                        None | Some(b'\n') => return Err((line, "unterminated regexp".into())),
                        Some(b'/') if !in_bracket => {
                            i += 1;
                            break;
                        }
                        Some(b'[') if !in_bracket => {
                            in_bracket = true;
                            s.push(b'[');
                            i += 1;
                            if src.get(i) == Some(&b'^') {
                                s.push(b'^');
                                i += 1;
                            }
                            if src.get(i) == Some(&b']') {
                                s.push(b']');
                                i += 1;
                            }
                        }
                        Some(b']') if in_bracket => {
                            in_bracket = false;
                            s.push(b']');
                            i += 1;
                        }
                        Some(b'\\') => {
                            match src.get(i + 1) {
                                Some(b'/') => s.push(b'/'),
                                Some(b'"') => s.push(b'"'),
                                Some(b'n') => s.push(b'\n'),
                                Some(b't') => s.push(b'\t'),
                                Some(b'r') => s.push(b'\r'),
                                Some(b'f') => s.push(b'\x0c'),
                                Some(b'v') => s.push(b'\x0b'),
                                Some(b'a') => s.push(b'\x07'),
                                Some(b'b') => s.push(b'\x08'),
                                Some(&b) => {
                                    s.push(b'\\');
                                    s.push(b);
                                }
                                None => return Err((line, "unterminated regexp".into())),
                            }
                            i += 2;
                        }
                        Some(&b) => {
                            s.push(b);
                            i += 1;
                        }
                    }
                }
                toks.push(Token {
                    tok: Tok::Regex(s),
                    line,
                });
            }
            b'0'..=b'9' | b'.' if c != b'.' || src.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                let start = i;
                if c == b'0'
                    && matches!(src.get(i + 1), Some(b'x' | b'X'))
                    && src.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
                {
                    i += 2;
                    let hs = i;
                    while i < src.len() && src[i].is_ascii_hexdigit() {
                        i += 1;
                    }
                    let v = std::str::from_utf8(&src[hs..i])
                        .ok()
                        .and_then(|h| u64::from_str_radix(h, 16).ok())
                        .unwrap_or(u64::MAX);
                    toks.push(Token {
                        tok: Tok::Num(v as f64),
                        line,
                    });
                    continue;
                }
                while i < src.len() && src[i].is_ascii_digit() {
                    i += 1;
                }
                if i < src.len() && src[i] == b'.' {
                    i += 1;
                    while i < src.len() && src[i].is_ascii_digit() {
                        i += 1;
                    }
                }
                if i < src.len() && (src[i] == b'e' || src[i] == b'E') {
                    let mut j = i + 1;
                    if j < src.len() && (src[j] == b'+' || src[j] == b'-') {
                        j += 1;
                    }
                    if j < src.len() && src[j].is_ascii_digit() {
                        while j < src.len() && src[j].is_ascii_digit() {
                            j += 1;
                        }
                        i = j;
                    }
                }
                let text = std::str::from_utf8(&src[start..i]).unwrap_or("0");
                toks.push(Token {
                    tok: Tok::Num(text.parse().unwrap_or(0.0)),
                    line,
                });
            }
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                let start = i;
                while i < src.len() && (src[i].is_ascii_alphanumeric() || src[i] == b'_') {
                    i += 1;
                }
                let word = std::str::from_utf8(&src[start..i])
                    .unwrap_or("")
                    .to_string();
                let tok = if let Some(k) = KEYWORDS.iter().find(|k| **k == word) {
                    Tok::Kw(if *k == "func" { "function" } else { k })
                } else if BUILTINS.contains(&word.as_str()) {
                    Tok::Builtin(word)
                } else if src.get(i) == Some(&b'(') {
                    Tok::FuncName(word)
                } else {
                    Tok::Name(word)
                };
                toks.push(Token { tok, line });
            }
            _ => {
                let Some(op) = OPS.iter().find(|o| src[i..].starts_with(o.as_bytes())) else {
                    return Err((line, format!("unexpected character '{}'", c as char)));
                };
                i += op.len();
                let op: &'static str = match *op {
                    "**" => "^",
                    "**=" => "^=",
                    o => o,
                };
                toks.push(Token {
                    tok: Tok::Op(op),
                    line,
                });
            }
        }
    }
    toks.push(Token {
        tok: Tok::Eof,
        line,
    });
    Ok(toks)
}

/// Whether a `/` after `prev` begins a regular expression (rather than
/// dividing an operand that ends with `prev`).
fn regex_allowed(prev: Option<&Tok>) -> bool {
    !matches!(
        prev,
        Some(Tok::Num(_) | Tok::Str(_) | Tok::Name(_) | Tok::Builtin(_) | Tok::Regex(_))
            | Some(Tok::Op(")" | "]" | "$" | "++" | "--"))
    )
}

/// Processes the escape after a backslash at `src[i]` into `out`; returns
/// the index after it.
pub fn escape(src: &[u8], mut i: usize, out: &mut Vec<u8>, line: &mut u32) -> usize {
    let Some(&c) = src.get(i) else {
        out.push(b'\\');
        return i;
    };
    i += 1;
    match c {
        b'n' => out.push(b'\n'),
        b't' => out.push(b'\t'),
        b'r' => out.push(b'\r'),
        b'\\' => out.push(b'\\'),
        b'"' => out.push(b'"'),
        b'/' => out.push(b'/'),
        b'a' => out.push(7),
        b'b' => out.push(8),
        b'f' => out.push(12),
        b'v' => out.push(11),
        b'\n' => *line += 1,
        b'0'..=b'7' => {
            let mut v = u32::from(c - b'0');
            let mut n = 1;
            while n < 3 && i < src.len() && (b'0'..=b'7').contains(&src[i]) {
                v = v * 8 + u32::from(src[i] - b'0');
                i += 1;
                n += 1;
            }
            out.push(v as u8);
        }
        _ => {
            // Unknown escapes keep the backslash, so that "\." still
            // reaches a dynamic regular expression as an escaped dot.
            out.push(b'\\');
            out.push(c);
        }
    }
    i
}

/// Processes escapes in a command-line assignment value (`-v x='a\tb'`).
pub fn unescape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    let mut line = 0;
    while i < s.len() {
        if s[i] == b'\\' {
            i = escape(s, i + 1, &mut out, &mut line);
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}
