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

/// A binary operator (also the operation of a compound assignment).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Or,
    And,
    BitOr,
    Xor,
    BitAnd,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Shl,
    Shr,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
}

impl Op {
    /// Precedence: higher binds tighter.
    fn prec(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 2,
            Op::BitOr => 3,
            Op::Xor => 4,
            Op::BitAnd => 5,
            Op::Eq | Op::Ne => 6,
            Op::Lt | Op::Le | Op::Gt | Op::Ge => 7,
            Op::Shl | Op::Shr => 8,
            Op::Add | Op::Sub => 9,
            Op::Mul | Op::Div | Op::Rem => 10,
            Op::Pow => 11,
        }
    }

    /// Whether the spelling ends in `=` (the comparisons `<=`, `>=`, `==`
    /// and `!=`), so that a following `=` does not make it an assignment.
    fn ends_with_eq(self) -> bool {
        matches!(self, Op::Le | Op::Ge | Op::Eq | Op::Ne)
    }
}

/// The binary operator `rest` starts with and its length. Decided on the
/// first two bytes, longest spelling first (`<<` is not read as `<`):
/// every step of a loop evaluates this, and a table of spellings compared
/// in turn cost a `memcmp` call per entry in the device build.
fn binary_op(rest: &[u8]) -> Option<(Op, usize)> {
    let c = *rest.first()?;
    let two = match (c, rest.get(1).copied()) {
        (b'*', Some(b'*')) => Some(Op::Pow),
        (b'|', Some(b'|')) => Some(Op::Or),
        (b'&', Some(b'&')) => Some(Op::And),
        (b'<', Some(b'<')) => Some(Op::Shl),
        (b'>', Some(b'>')) => Some(Op::Shr),
        (b'<', Some(b'=')) => Some(Op::Le),
        (b'>', Some(b'=')) => Some(Op::Ge),
        (b'=', Some(b'=')) => Some(Op::Eq),
        (b'!', Some(b'=')) => Some(Op::Ne),
        _ => None,
    };
    if let Some(op) = two {
        return Some((op, 2));
    }
    let op = match c {
        b'|' => Op::BitOr,
        b'^' => Op::Xor,
        b'&' => Op::BitAnd,
        b'<' => Op::Lt,
        b'>' => Op::Gt,
        b'+' => Op::Add,
        b'-' => Op::Sub,
        b'*' => Op::Mul,
        b'/' => Op::Div,
        b'%' => Op::Rem,
        _ => return None,
    };
    Some((op, 1))
}

/// The assignment operator `rest` starts with: `=` (no operation) or
/// `OP=`, with its length. `==` is a comparison, not an assignment.
fn assign_op(rest: &[u8]) -> Option<(Option<Op>, usize)> {
    match rest {
        [b'<', b'<', b'=', ..] => Some((Some(Op::Shl), 3)),
        [b'>', b'>', b'=', ..] => Some((Some(Op::Shr), 3)),
        [c, b'=', ..] => {
            let op = match c {
                b'+' => Op::Add,
                b'-' => Op::Sub,
                b'*' => Op::Mul,
                b'/' => Op::Div,
                b'%' => Op::Rem,
                b'&' => Op::BitAnd,
                b'^' => Op::Xor,
                b'|' => Op::BitOr,
                // `==`, and comparisons such as `<=`.
                _ => return None,
            };
            Some((Some(op), 2))
        }
        [b'=', ..] => Some((None, 1)),
        _ => None,
    }
}

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
    // The common case, a variable holding a counter, without the UTF-8
    // check, trimming and radix dispatch: at most 18 digits cannot
    // overflow, and a leading 0 (octal) takes the general path.
    if let Some(v) = small_decimal(s) {
        return Some(v);
    }
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

/// `s` as a number if it is 1 to 18 decimal digits without a leading 0
/// (or is `0`); `None` otherwise, which says nothing about `s`.
pub(super) fn small_decimal(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 18 || (s[0] == b'0' && s.len() > 1) {
        return None;
    }
    let mut v: i64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + i64::from(c - b'0');
    }
    Some(v)
}

/// Writes `v` in decimal into `buf`, returning the digits: the value of
/// every arithmetic expansion and assignment, without the formatting
/// machinery of `to_string`.
pub(super) fn format_int(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut n = v.unsigned_abs();
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}

/// The evaluator's state.
struct Arith<'a> {
    s: &'a [u8],
    pos: usize,
    vars: &'a mut Vars,
    skip: bool,
    depth: u32,
}

impl<'a> Arith<'a> {
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

    /// The text after the cursor, blanks skipped.
    fn rest(&mut self) -> &'a [u8] {
        self.blank();
        let s: &'a [u8] = self.s;
        &s[self.pos..]
    }

    /// Consumes the one-byte operator `op` if it is next (after blanks).
    fn eat(&mut self, op: u8) -> bool {
        if self.rest().first() == Some(&op) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Consumes `++` or `--` if it is next, returning the step.
    fn eat_step(&mut self) -> Option<i64> {
        let step = match self.rest() {
            [b'+', b'+', ..] => 1,
            [b'-', b'-', ..] => -1,
            _ => return None,
        };
        self.pos += 2;
        Some(step)
    }

    /// `expr , expr ...`: the value of the last.
    fn comma(&mut self) -> Result<i64, String> {
        let mut v = self.assign()?;
        while self.eat(b',') {
            v = self.assign()?;
        }
        Ok(v)
    }

    /// Reads a variable name at the cursor, if there is one.
    fn name(&mut self) -> Option<&'a [u8]> {
        self.blank();
        let start = self.pos;
        if !self.s.get(start).copied().is_some_and(is_name_start) {
            return None;
        }
        while self.s.get(self.pos).copied().is_some_and(is_name_char) {
            self.pos += 1;
        }
        let s: &'a [u8] = self.s;
        Some(&s[start..self.pos])
    }

    /// The numeric value of variable `name`: unset or empty is 0, and a
    /// value that is not a number is evaluated as an expression.
    fn var(&mut self, name: &[u8]) -> Result<i64, String> {
        let value = self.vars.get(name).unwrap_or_default();
        // A number is never all blanks, so the order of these two tests
        // does not matter; the number is the common case.
        if let Some(n) = number(value) {
            return Ok(n);
        }
        if value.iter().all(|c| c.is_ascii_whitespace()) {
            return Ok(0);
        }
        if self.depth >= MAX_DEPTH {
            return Err("expression recursion level exceeded".into());
        }
        // Copied: evaluating it may assign to the variable it came from.
        let value = value.to_vec();
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
            self.vars.set_slice(name, format_int(v, &mut [0; 20]));
        }
        v
    }

    /// `name OP= expr`, or a conditional expression.
    fn assign(&mut self) -> Result<i64, String> {
        let start = self.pos;
        if let Some(name) = self.name() {
            if let Some((op, len)) = assign_op(self.rest()) {
                self.pos += len;
                let rhs = self.assign()?;
                let v = match op {
                    None => rhs,
                    Some(op) => {
                        let lhs = self.var(name)?;
                        self.apply(op, lhs, rhs)?
                    }
                };
                return Ok(self.set(name, v));
            }
        }
        self.pos = start;
        self.ternary()
    }

    /// `cond ? a : b`, evaluating only the branch taken.
    fn ternary(&mut self) -> Result<i64, String> {
        let cond = self.binary(1)?;
        if !self.eat(b'?') {
            return Ok(cond);
        }
        let skip = self.skip;
        self.skip = skip || cond == 0;
        let a = self.comma()?;
        self.skip = skip;
        if !self.eat(b':') {
            return Err(self.syntax());
        }
        self.skip = skip || cond != 0;
        let b = self.assign()?;
        self.skip = skip;
        Ok(if cond != 0 { a } else { b })
    }

    /// The binary operator at the cursor with precedence at least `min`,
    /// consumed.
    fn binop(&mut self, min: u8) -> Option<Op> {
        let rest = self.rest();
        let (op, len) = binary_op(rest)?;
        // `+=`, `<<=` and the like are assignments, not binary operators
        // (comparisons like `<=` were matched whole, so end in `=`).
        if op.prec() < min || (rest.get(len) == Some(&b'=') && !op.ends_with_eq()) {
            return None;
        }
        self.pos += len;
        Some(op)
    }

    /// Binary operators by precedence climbing.
    fn binary(&mut self, min: u8) -> Result<i64, String> {
        let mut lhs = self.unary()?;
        while let Some(op) = self.binop(min) {
            let skip = self.skip;
            // `&&` and `||` do not evaluate a right side that cannot matter.
            match op {
                Op::And => self.skip = skip || lhs == 0,
                Op::Or => self.skip = skip || lhs != 0,
                _ => {}
            }
            // `**` is right-associative, the others left-associative.
            let prec = op.prec();
            let rhs = self.binary(if op == Op::Pow { prec } else { prec + 1 })?;
            self.skip = skip;
            lhs = self.apply(op, lhs, rhs)?;
        }
        Ok(lhs)
    }

    /// Applies binary operator `op`.
    fn apply(&self, op: Op, a: i64, b: i64) -> Result<i64, String> {
        Ok(match op {
            Op::Or => (a != 0 || b != 0) as i64,
            Op::And => (a != 0 && b != 0) as i64,
            Op::BitOr => a | b,
            Op::Xor => a ^ b,
            Op::BitAnd => a & b,
            Op::Eq => (a == b) as i64,
            Op::Ne => (a != b) as i64,
            Op::Lt => (a < b) as i64,
            Op::Le => (a <= b) as i64,
            Op::Gt => (a > b) as i64,
            Op::Ge => (a >= b) as i64,
            Op::Shl => a.wrapping_shl(b as u32),
            Op::Shr => a.wrapping_shr(b as u32),
            Op::Add => a.wrapping_add(b),
            Op::Sub => a.wrapping_sub(b),
            Op::Mul => a.wrapping_mul(b),
            Op::Div | Op::Rem if b == 0 => {
                if self.skip {
                    return Ok(0);
                }
                return Err("division by zero".into());
            }
            Op::Div => a.wrapping_div(b),
            Op::Rem => a.wrapping_rem(b),
            Op::Pow if b < 0 => return Err("exponent less than 0".into()),
            Op::Pow => a.wrapping_pow(b.min(u32::MAX as i64) as u32),
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
        if let Some(step) = self.eat_step() {
            let Some(name) = self.name() else {
                return Err(self.syntax());
            };
            let v = self.var(name)?.wrapping_add(step);
            return Ok(self.set(name, v));
        }
        // One look at the next byte decides among the prefix operators.
        match self.rest().first() {
            Some(b'-') => {
                self.pos += 1;
                return Ok(self.unary()?.wrapping_neg());
            }
            Some(b'+') => {
                self.pos += 1;
                return self.unary();
            }
            Some(b'!') => {
                self.pos += 1;
                return Ok((self.unary()? == 0) as i64);
            }
            Some(b'~') => {
                self.pos += 1;
                return Ok(!self.unary()?);
            }
            Some(b'(') => {
                self.pos += 1;
                let v = self.comma()?;
                if !self.eat(b')') {
                    return Err(self.syntax());
                }
                return Ok(v);
            }
            _ => {}
        }
        if let Some(name) = self.name() {
            let v = self.var(name)?;
            if let Some(step) = self.eat_step() {
                self.set(name, v.wrapping_add(step));
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
            ("x <= 5", 1),
            ("x >= 6", 0),
            ("x != 4 == 1", 1),
            ("1 << 2 >> 1", 2),
            ("x % 3 ^ 7 & 3", 1),
            ("-x + +2 - - 1", -2),
            ("~-1 | !0", 1),
            ("x--", 5),
            ("007 + 0X1f", 38),
            ("9223372036854775807 + 1", i64::MIN),
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
        assert_eq!(eval(&mut vars, b"y >>= 2, y |= 1, y ^= 3, y &= 7"), Ok(2));
        assert_eq!(eval(&mut vars, b"y -= 10, y /= 2, y %= 3"), Ok(-1));
        assert_eq!(eval(&mut vars, b"y == -1"), Ok(1));
        assert_eq!(eval(&mut vars, b"y--, --y"), Ok(-3));
        assert_eq!(vars.get(b"y"), Some(&b"-3"[..]));
        // Branches not taken have no side effects and no errors.
        assert_eq!(eval(&mut vars, b"0 && (z = 1/0)"), Ok(0));
        assert_eq!(eval(&mut vars, b"1 ? 2 : (z = 3)"), Ok(2));
        assert_eq!(vars.get(b"z"), None);
    }

    #[test]
    fn numbers() {
        for (s, v) in [
            ("0", Some(0)),
            ("12", Some(12)),
            (" 12 ", Some(12)),
            ("-12", Some(-12)),
            ("010", Some(8)),
            ("0x1F", Some(31)),
            ("999999999999999999", Some(999_999_999_999_999_999)),
            ("18446744073709551615", Some(-1)),
            ("", None),
            ("1a", None),
            ("--1", None),
        ] {
            assert_eq!(number(s.as_bytes()), v, "{s}");
        }
        for v in [0, 7, -7, 1234567890, i64::MAX, i64::MIN] {
            assert_eq!(format_int(v, &mut [0; 20]), v.to_string().as_bytes());
        }
    }

    #[test]
    fn errors() {
        assert_eq!(calc("1 / 0"), Err("division by zero".into()));
        assert_eq!(calc("5 % 0"), Err("division by zero".into()));
        for e in ["1 +", "(1", "1 2", "?", "08", "x **= 2", "x =+ ", "++1"] {
            assert!(calc(e).is_err(), "{e}");
        }
        let mut vars = Vars::default();
        vars.set(b"r", b"r+1".to_vec());
        assert!(eval(&mut vars, b"r").is_err());
    }
}
