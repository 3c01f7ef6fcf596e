//! Canonical JSON (OLPC's, as TUF uses it): what a signature covers is
//! the `signed` object written this way, so that any writer's spacing and
//! key order sign the same bytes.
//!
//! Keys sorted by their bytes, no whitespace, strings with only `"` and
//! `\` escaped, integers only (a float has no canonical form and is
//! refused).

use serde_json::Value;

/// Why a value has no canonical form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotCanonical;

/// Writes `value` as canonical JSON.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, NotCanonical> {
    let mut out = Vec::new();
    write(value, &mut out, 0)?;
    Ok(out)
}

/// Deeper than this is refused: nothing TUF writes nests so deep, and
/// recursion on untrusted input must stay bounded.
const MAX_DEPTH: u32 = 64;

fn write(value: &Value, out: &mut Vec<u8>, depth: u32) -> Result<(), NotCanonical> {
    if depth > MAX_DEPTH {
        return Err(NotCanonical);
    }
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                out.extend_from_slice(i.to_string().as_bytes());
            } else if let Some(u) = n.as_u64() {
                out.extend_from_slice(u.to_string().as_bytes());
            } else {
                return Err(NotCanonical);
            }
        }
        Value::String(s) => string(s, out),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(item, out, depth + 1)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // serde_json's map without `preserve_order` is a BTreeMap of
            // Strings: already sorted by bytes. Sorting again keeps this
            // right should a dependency turn that feature on.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(k, out);
                out.push(b':');
                write(v, out, depth + 1)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

fn string(s: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    for b in s.bytes() {
        if b == b'"' || b == b'\\' {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_compact_minimal_escapes() {
        let v: Value =
            serde_json::from_str(r#"{ "b": [1, -2, true, null], "a": "q\"\\\n", "A": {} }"#)
                .unwrap();
        assert_eq!(
            to_vec(&v).unwrap(),
            b"{\"A\":{},\"a\":\"q\\\"\\\\\n\",\"b\":[1,-2,true,null]}".to_vec()
        );
    }

    #[test]
    fn floats_refused() {
        let v: Value = serde_json::from_str("[1.5]").unwrap();
        assert_eq!(to_vec(&v), Err(NotCanonical));
    }
}
