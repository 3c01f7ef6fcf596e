//! Arithmetic expansion `$((...))` (XCU 2.6.4): signed 64-bit integers
//! with the C operators, including assignments, `++`/`--` and `?:`.
//!
//! The expression has already been through parameter and command
//! expansion; what remains names variables directly. Evaluation is done
//! while parsing (no tree), with a `skip` flag that suppresses side effects
//! and errors in the branches `&&`, `||` and `?:` do not take.

use super::lexer::{is_name_char, is_name_start};
use super::vars::Vars;

/// How deeply expressions (and variables holding expressions) may nest
/// before evaluation gives up, instead of exhausting the stack.
const MAX_DEPTH: u32 = 200;

/// Whether `rest` starts with operator `op`. The first bytes are compared
/// first: that turns most entries of the operator tables away without a
/// call to `memcmp`, which the device build (opt-level `z`) makes for
/// every `starts_with`.
#[inline]
fn starts_with_op(rest: &[u8], op: &[u8]) -> bool {
    rest.first() == op.first() && rest.starts_with(op)
}

/// Binary operators with their precedence (higher binds tighter), longest
/// spellings first so that `<<` is not read as `<`.
const BINARY: &[(&[u8], u8)] = &[
    (b"**", 11),
    (b"||", 1),
    (b"&&", 2),
    (b"<<", 8),
    (b">>", 8),
    (b"<=", 7),
    (b">=", 7),
    (b"==", 6),
    (b"!=", 6),
    (b"|", 3),
    (b"^", 4),
    (b"&", 5),
    (b"<", 7),
    (b">", 7),
    (b"+", 9),
    (b"-", 9),
    (b"*", 10),
    (b"/", 10),
    (b"%", 10),
];

/// Assignment operators, longest first.
const ASSIGN: &[&[u8]] = &[
    b"<<=", b">>=", b"+=", b"-=", b"*=", b"/=", b"%=", b"&=", b"^=", b"|=", b"=",
];

/// Evaluates `expr`, reading and assigning variables in `vars`. The error
/// is the message to print.
pub fn eval(vars: &mut Vars, expr: &[u8]) -> Result<i64, String> {
    // `$(( ))` is 0, as in dash and bash.
    if expr.iter().all(|c| c.is_ascii_whitespace()) {
        return Ok(0);
    }
    let mut a = Arith {
        s: expr,
        pos: 0,
        vars,
        skip: false,
        depth: 0,
    };
    let v = a.comma()?;
    a.blank();
    if a.pos < a.s.len() {
        return Err(a.syntax());
    }
    Ok(v)
}

/// Parses an integer constant: decimal, `0x` hexadecimal or `0` octal,
/// with optional sign and surrounding blanks. `None` if not one.
pub fn number(s: &[u8]) -> Option<i64> {
    let s = std::str::from_utf8(s).ok()?.trim();
    let (neg, s) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let v = if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16).ok()? as i64
    } else if s.len() > 1 && s.starts_with('0') {
        u64::from_str_radix(&s[1..], 8).ok()? as i64
    } else {
        // Digits only: `parse` would also accept a second sign.
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse::<u64>().ok()? as i64
    };
    Some(if neg { v.wrapping_neg() } else { v })
}

/// The evaluator's state.
struct Arith<'a> {
    s: &'a [u8],
    pos: usize,
    vars: &'a mut Vars,
    skip: bool,
    depth: u32,
}

impl Arith<'_> {
    fn syntax(&self) -> String {
        "arithmetic syntax error".into()
    }

    /// Skips blanks.
    fn blank(&mut self) {
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_whitespace())
        {
            self.pos += 1;
        }
    }

    /// Consumes `op` if it is next (after blanks).
    fn eat(&mut self, op: &[u8]) -> bool {
        self.blank();
        if starts_with_op(&self.s[self.pos..], op) {
            self.pos += op.len();
            true
        } else {
            false
        }
    }

    /// `expr , expr ...`: the value of the last.
    fn comma(&mut self) -> Result<i64, String> {
        let mut v = self.assign()?;
        while self.eat(b",") {
            v = self.assign()?;
        }
        Ok(v)
    }

    /// Reads a variable name at the cursor, if there is one.
    fn name(&mut self) -> Option<Vec<u8>> {
        self.blank();
        let start = self.pos;
        if !self.s.get(start).copied().is_some_and(is_name_start) {
            return None;
        }
        while self.s.get(self.pos).copied().is_some_and(is_name_char) {
            self.pos += 1;
        }
        Some(self.s[start..self.pos].to_vec())
    }

    /// The numeric value of variable `name`: unset or empty is 0, and a
    /// value that is not a number is evaluated as an expression.
    fn var(&mut self, name: &[u8]) -> Result<i64, String> {
        let value = self.vars.get(name).unwrap_or_default().to_vec();
        if value.iter().all(|c| c.is_ascii_whitespace()) {
            return Ok(0);
        }
        if let Some(n) = number(&value) {
            return Ok(n);
        }
        if self.depth >= MAX_DEPTH {
            return Err("expression recursion level exceeded".into());
        }
        let mut inner = Arith {
            s: &value,
            pos: 0,
            vars: self.vars,
            skip: self.skip,
            depth: self.depth + 1,
        };
        let v = inner.comma()?;
        inner.blank();
        if inner.pos < value.len() {
            return Err(inner.syntax());
        }
        Ok(v)
    }

    /// Sets variable `name` (unless skipping); returns the value.
    fn set(&mut self, name: &[u8], v: i64) -> i64 {
        if !self.skip {
            self.vars.set(name, v.to_string().into_bytes());
        }
        v
    }

    /// `name OP= expr`, or a conditional expression.
    fn assign(&mut self) -> Result<i64, String> {
        let start = self.pos;
        if let Some(name) = self.name() {
            self.blank();
            let rest = &self.s[self.pos..];
            if let Some(op) = ASSIGN.iter().find(|op| starts_with_op(rest, op)) {
                // `==` is a comparison, not an assignment.
                if !(*op == b"=" && rest.get(1) == Some(&b'=')) {
                    self.pos += op.len();
                    let rhs = self.assign()?;
                    let v = if op.len() == 1 {
                        rhs
                    } else {
                        let lhs = self.var(&name)?;
                        self.apply(&op[..op.len() - 1], lhs, rhs)?
                    };
                    return Ok(self.set(&name, v));
                }
            }
        }
        self.pos = start;
        self.ternary()
    }

    /// `cond ? a : b`, evaluating only the branch taken.
    fn ternary(&mut self) -> Result<i64, String> {
        let cond = self.binary(1)?;
        if !self.eat(b"?") {
            return Ok(cond);
        }
        let skip = self.skip;
        self.skip = skip || cond == 0;
        let a = self.comma()?;
        self.skip = skip;
        if !self.eat(b":") {
            return Err(self.syntax());
        }
        self.skip = skip || cond != 0;
        let b = self.assign()?;
        self.skip = skip;
        Ok(if cond != 0 { a } else { b })
    }

    /// The binary operator at the cursor with precedence at least `min`,
    /// consumed.
    fn binop(&mut self, min: u8) -> Option<(&'static [u8], u8)> {
        self.blank();
        let rest = &self.s[self.pos..];
        let &(op, prec) = BINARY.iter().find(|(op, _)| starts_with_op(rest, op))?;
        // `+=`, `<<=` and the like are assignments, not binary operators
        // (comparisons like `<=` were matched whole, so end in `=`).
        let after = rest.get(op.len()).copied();
        if prec < min || (after == Some(b'=') && !op.ends_with(b"=")) {
            return None;
        }
        self.pos += op.len();
        Some((op, prec))
    }

    /// Binary operators by precedence climbing.
    fn binary(&mut self, min: u8) -> Result<i64, String> {
        let mut lhs = self.unary()?;
        while let Some((op, prec)) = self.binop(min) {
            let skip = self.skip;
            // `&&` and `||` do not evaluate a right side that cannot matter.
            match op {
                b"&&" => self.skip = skip || lhs == 0,
                b"||" => self.skip = skip || lhs != 0,
                _ => {}
            }
            // `**` is right-associative, the others left-associative.
            let rhs = self.binary(if op == b"**" { prec } else { prec + 1 })?;
            self.skip = skip;
            lhs = self.apply(op, lhs, rhs)?;
        }
        Ok(lhs)
    }

    /// Applies binary operator `op`.
    fn apply(&self, op: &[u8], a: i64, b: i64) -> Result<i64, String> {
        Ok(match op {
            b"||" => (a != 0 || b != 0) as i64,
            b"&&" => (a != 0 && b != 0) as i64,
            b"|" => a | b,
            b"^" => a ^ b,
            b"&" => a & b,
            b"==" => (a == b) as i64,
            b"!=" => (a != b) as i64,
            b"<" => (a < b) as i64,
            b"<=" => (a <= b) as i64,
            b">" => (a > b) as i64,
            b">=" => (a >= b) as i64,
            b"<<" => a.wrapping_shl(b as u32),
            b">>" => a.wrapping_shr(b as u32),
            b"+" => a.wrapping_add(b),
            b"-" => a.wrapping_sub(b),
            b"*" => a.wrapping_mul(b),
            b"/" | b"%" if b == 0 => {
                if self.skip {
                    return Ok(0);
                }
                return Err("division by zero".into());
            }
            b"/" => a.wrapping_div(b),
            b"**" if b < 0 => return Err("exponent less than 0".into()),
            b"**" => a.wrapping_pow(b.min(u32::MAX as i64) as u32),
            b"%" => a.wrapping_rem(b),
            _ => return Err(self.syntax()),
        })
    }

    /// Prefix operators, then a primary with optional postfix `++`/`--`.
    fn unary(&mut self) -> Result<i64, String> {
        if self.depth >= MAX_DEPTH {
            return Err("expression recursion level exceeded".into());
        }
        self.depth += 1;
        let r = self.unary_inner();
        self.depth -= 1;
        r
    }

    fn unary_inner(&mut self) -> Result<i64, String> {
        for op in [&b"++"[..], b"--"] {
            if self.eat(op) {
                let Some(name) = self.name() else {
                    return Err(self.syntax());
                };
                let v = self.var(&name)?;
                let v = if op == b"++" {
                    v.wrapping_add(1)
                } else {
                    v.wrapping_sub(1)
                };
                return Ok(self.set(&name, v));
            }
        }
        if self.eat(b"-") {
            return Ok(self.unary()?.wrapping_neg());
        }
        if self.eat(b"+") {
            return self.unary();
        }
        if self.eat(b"!") {
            return Ok((self.unary()? == 0) as i64);
        }
        if self.eat(b"~") {
            return Ok(!self.unary()?);
        }
        if self.eat(b"(") {
            let v = self.comma()?;
            if !self.eat(b")") {
                return Err(self.syntax());
            }
            return Ok(v);
        }
        if let Some(name) = self.name() {
            let v = self.var(&name)?;
            for (op, d) in [(&b"++"[..], 1), (b"--", -1)] {
                if self.eat(op) {
                    self.set(&name, v.wrapping_add(d));
                    return Ok(v);
                }
            }
            return Ok(v);
        }
        self.blank();
        let start = self.pos;
        while self
            .s
            .get(self.pos)
            .is_some_and(|c| c.is_ascii_alphanumeric())
        {
            self.pos += 1;
        }
        number(&self.s[start..self.pos])
            .filter(|_| start < self.pos)
            .ok_or_else(|| self.syntax())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn calc(expr: &str) -> Result<i64, String> {
        let mut vars = Vars::default();
        vars.set(b"x", b"5".to_vec());
        vars.set(b"e", b"x*2".to_vec());
        eval(&mut vars, expr.as_bytes())
    }

    #[test]
    fn operators() {
        for (e, v) in [
            ("1 + 2 * 3", 7),
            ("(1 + 2) * 3", 9),
            ("7 / 2", 3),
            ("-7 % 3", -1),
            ("2 << 3 | 1", 17),
            ("1 < 2 && 3 > 2", 1),
            ("0 || 0", 0),
            ("!5 + ~0", -1),
            ("x > 3 ? 10 : 20", 10),
            ("x == 5", 1),
            ("x != 5", 0),
            ("0x10 + 010", 24),
            ("e + 1", 11),
            ("1, 2, 3", 3),
            ("5 >= 5 ^ 1", 0),
            ("  ", 0),
            ("2 ** 3 ** 2", 512),
        ] {
            assert_eq!(calc(e), Ok(v), "{e}");
        }
    }

    #[test]
    fn assignments() {
        let mut vars = Vars::default();
        assert_eq!(eval(&mut vars, b"y = 3, y += 4, y *= 2"), Ok(14));
        assert_eq!(vars.get(b"y"), Some(&b"14"[..]));
        assert_eq!(eval(&mut vars, b"y++ + ++y"), Ok(30));
        assert_eq!(eval(&mut vars, b"y <<= 1"), Ok(32));
        // Branches not taken have no side effects and no errors.
        assert_eq!(eval(&mut vars, b"0 && (z = 1/0)"), Ok(0));
        assert_eq!(eval(&mut vars, b"1 ? 2 : (z = 3)"), Ok(2));
        assert_eq!(vars.get(b"z"), None);
    }

    #[test]
    fn errors() {
        assert_eq!(calc("1 / 0"), Err("division by zero".into()));
        assert_eq!(calc("5 % 0"), Err("division by zero".into()));
        for e in ["1 +", "(1", "1 2", "?", "08"] {
            assert!(calc(e).is_err(), "{e}");
        }
        let mut vars = Vars::default();
        vars.set(b"r", b"r+1".to_vec());
        assert!(eval(&mut vars, b"r").is_err());
    }
}
