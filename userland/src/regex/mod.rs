//! POSIX regular expressions on bytes, for grep and sed.
//!
//! Patterns are parsed as BRE or ERE (with GNU's `\+ \? \| \< \> \b \w`
//! extensions) by [`parse`] and compiled into a Thompson NFA program by
//! [`compile`]. Yes/no questions go to a lazily built DFA ([`dfa`]); finding
//! where a match is and what its groups hold is the Pike VM's job
//! ([`pikevm`]), whose work is linear in the subject. Only patterns with
//! back-references use the backtracker ([`backtrack`]), which has a step
//! budget. Matches are leftmost-longest, as POSIX requires. Fixed strings,
//! literal prefixes and required substrings use fast byte searches
//! ([`literal`]).

mod backtrack;
mod compile;
mod dfa;
mod literal;
mod parse;
mod pikevm;

use parse::{Look, Node};
use std::cell::RefCell;
use std::fmt;

/// Fast byte search, shared with grep's line splitting.
pub use literal::{count, memchr, sum_lanes, word_at, zero_bytes};

/// Why a pattern was refused; the texts are the C library's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// `[` without `]`.
    UnmatchedBracket,
    /// `(` without `)` or the reverse.
    UnmatchedParen,
    /// `\{` without `\}`.
    UnmatchedBrace,
    /// Bad numbers in `{m,n}`.
    BadBrace,
    /// `*`, `+`, `?` or `{` with nothing to repeat.
    BadRepeat,
    /// `z-a` in a bracket.
    BadRange,
    /// `[:nosuch:]`.
    BadClass,
    /// `[.xy.]`.
    BadCollation,
    /// `\3` without three groups.
    BadBackref,
    /// A lone `\` at the end.
    TrailingBackslash,
    /// Expanded counts or nesting too large.
    TooBig,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::UnmatchedBracket => "Unmatched [, [^, [:, [., or [=",
            Error::UnmatchedParen => "Unmatched ( or \\(",
            Error::UnmatchedBrace => "Unmatched \\{",
            Error::BadBrace => "Invalid content of \\{\\}",
            Error::BadRepeat => "Invalid preceding regular expression",
            Error::BadRange => "Invalid range end",
            Error::BadClass => "Invalid character class name",
            Error::BadCollation => "Invalid collation character",
            Error::BadBackref => "Invalid back reference",
            Error::TrailingBackslash => "Trailing backslash",
            Error::TooBig => "Regular expression too big",
        })
    }
}

/// A compiled pattern.
pub struct Regex {
    kind: Kind,
    groups: usize,
}

/// How a pattern is matched.
enum Kind {
    /// A fixed string (`grep -F`, or a pattern with no special characters).
    Literal { needle: Vec<u8>, icase: bool },
    /// An automaton (Pike VM, or backtracker with back-references).
    Program(Box<Program>),
}

/// A compiled program and what speeds its search up.
struct Program {
    prog: compile::Prog,
    backrefs: bool,
    /// Every match starts with this (case-sensitive patterns only).
    prefix: Vec<u8>,
    /// Every match contains this; a subject without it cannot match.
    required: Vec<u8>,
    /// The pattern begins with `^`.
    anchored: bool,
    /// Whether `prefix` and `required` are compared ignoring case.
    icase: bool,
    /// The bytes a match can start with.
    first: Option<parse::ByteSet>,
    /// The lazy DFA for yes/no questions, when the program allows one.
    dfa: RefCell<Option<dfa::Dfa>>,
    /// Reusable VM memory: one for yes/no questions, one for positions.
    cache_test: RefCell<Option<pikevm::Cache>>,
    cache_find: RefCell<Option<pikevm::Cache>>,
}

/// The spans of a match: group 0 is the whole match, then each group
/// (`None` when it took no part).
pub type Captures = Vec<Option<(usize, usize)>>;

/// How a pattern is read and matched.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// ERE rather than BRE.
    pub extended: bool,
    /// The pattern is a fixed string.
    pub fixed: bool,
    /// Ignore ASCII case.
    pub icase: bool,
    /// Matches must not touch word characters on either side (`grep -w`).
    pub word: bool,
    /// Matches must span the whole subject (`grep -x`).
    pub line: bool,
}

impl Regex {
    /// Compiles `pat`, as an ERE if `extended`, else as a BRE.
    #[cfg(test)]
    pub fn new(pat: &[u8], extended: bool, icase: bool) -> Result<Regex, Error> {
        Regex::with_options(
            pat,
            &Options {
                extended,
                icase,
                ..Options::default()
            },
        )
    }

    /// Compiles `pat` as `opts` say.
    pub fn with_options(pat: &[u8], opts: &Options) -> Result<Regex, Error> {
        let parsed = Regex::parse_one(pat, opts)?;
        Regex::build(parsed, opts)
    }

    /// One pattern matching wherever any of `pats` would, with the
    /// leftmost-longest of their matches: one automaton instead of one per
    /// pattern (`grep -e A -e B`). Patterns with back-references cannot be
    /// combined (their group numbers would clash): None then.
    pub fn any_of(pats: &[Vec<u8>], opts: &Options) -> Option<Result<Regex, Error>> {
        let mut alts = Vec::new();
        let mut groups = 0;
        for pat in pats {
            match Regex::parse_one(pat, opts) {
                Ok(p) if p.backrefs => return None,
                Ok(p) => {
                    groups = groups.max(p.groups);
                    alts.push(p.node);
                }
                Err(e) => return Some(Err(e)),
            }
        }
        let node = if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Empty)
        } else {
            Node::Alt(alts)
        };
        let parsed = parse::Parsed {
            node,
            groups,
            backrefs: false,
        };
        Some(Regex::build(parsed, opts))
    }

    /// Parses one pattern (or takes it as a fixed string).
    fn parse_one(pat: &[u8], opts: &Options) -> Result<parse::Parsed, Error> {
        if opts.fixed {
            return Ok(parse::Parsed {
                node: Node::Concat(pat.iter().map(|&b| Node::Byte(b)).collect()),
                groups: 0,
                backrefs: false,
            });
        }
        parse::parse(pat, opts.extended, opts.icase)
    }

    /// Compiles a parsed pattern, adding -w / -x edges.
    fn build(mut parsed: parse::Parsed, opts: &Options) -> Result<Regex, Error> {
        let icase = opts.icase;
        if opts.word || opts.line {
            let (before, after) = if opts.line {
                (Look::Start, Look::End)
            } else {
                (Look::NoWordBefore, Look::NoWordAfter)
            };
            let mut items = vec![Node::Look(before)];
            match std::mem::replace(&mut parsed.node, Node::Empty) {
                Node::Concat(inner) => items.extend(inner),
                other => items.push(other),
            }
            items.push(Node::Look(after));
            parsed.node = Node::Concat(items);
        }
        if let Some(needle) = plain_literal(&parsed.node) {
            return Ok(Regex::literal(&needle, icase));
        }
        let prog = compile::compile(&parsed.node, parsed.groups, icase)?;
        let (prefix, required, anchored) = hints(&parsed.node);
        Ok(Regex {
            kind: Kind::Program(Box::new(Program {
                backrefs: parsed.backrefs,
                first: pikevm::first_bytes(&prog),
                dfa: RefCell::new(if parsed.backrefs {
                    None
                } else {
                    dfa::Dfa::new(&prog, anchored)
                }),
                prog,
                prefix,
                required,
                anchored,
                icase,
                cache_test: RefCell::new(None),
                cache_find: RefCell::new(None),
            })),
            groups: parsed.groups,
        })
    }

    /// A pattern matching `needle` itself.
    pub fn literal(needle: &[u8], icase: bool) -> Regex {
        Regex {
            kind: Kind::Literal {
                needle: needle.to_vec(),
                icase,
            },
            groups: 0,
        }
    }

    /// Number of capturing groups.
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// A string every match contains, and whether it is compared ignoring
    /// ASCII case: a subject without it cannot match (so `grep` can search
    /// a whole block for it rather than each line for the pattern).
    pub fn required(&self) -> Option<(&[u8], bool)> {
        let (lit, icase) = match &self.kind {
            Kind::Literal { needle, icase } => (needle.as_slice(), *icase),
            Kind::Program(p) if p.required.len() > p.prefix.len() => {
                (p.required.as_slice(), p.icase)
            }
            Kind::Program(p) => (p.prefix.as_slice(), p.icase),
        };
        (!lit.is_empty()).then_some((lit, icase))
    }

    /// Whether `text` contains a match.
    pub fn is_match(&self, text: &[u8]) -> bool {
        match &self.kind {
            Kind::Literal { needle, icase } => lit_find(needle, *icase, text, 0).is_some(),
            Kind::Program(p) => {
                if !p.has_required(text) {
                    return false;
                }
                if p.backrefs {
                    return backtrack::search(&p.prog, text, 0).is_some();
                }
                if let Some(dfa) = p.dfa.borrow_mut().as_mut() {
                    if let Some(m) = dfa.is_match(&p.prog, text) {
                        return m;
                    }
                }
                run(p, &p.cache_test, 0, text, 0).is_some()
            }
        }
    }

    /// The leftmost-longest match starting at or after `start` (assertions
    /// still see the text before `start`: `^` only matches at 0).
    pub fn find_at(&self, text: &[u8], start: usize) -> Option<(usize, usize)> {
        match &self.kind {
            Kind::Literal { needle, icase } => {
                lit_find(needle, *icase, text, start).map(|i| (i, i + needle.len()))
            }
            Kind::Program(_) => self
                .search(text, start, 2)
                .and_then(|s| Some((*s.first()?, *s.get(1)?))),
        }
    }

    /// Like [`Regex::find_at`], with the spans of every group.
    pub fn captures_at(&self, text: &[u8], start: usize) -> Option<Captures> {
        match &self.kind {
            Kind::Literal { .. } => self.find_at(text, start).map(|m| vec![Some(m)]),
            Kind::Program(p) => {
                let slots = self.search(text, start, p.prog.slots)?;
                Some(
                    slots
                        .chunks(2)
                        .map(|c| match c {
                            [a, b] if *a != usize::MAX && *b != usize::MAX && a <= b => {
                                Some((*a, *b))
                            }
                            _ => None,
                        })
                        .collect(),
                )
            }
        }
    }

    /// Runs the program recording `nslots` slots.
    fn search(&self, text: &[u8], start: usize, nslots: usize) -> Option<Vec<usize>> {
        let Kind::Program(p) = &self.kind else {
            return None;
        };
        if start > text.len() {
            return None;
        }
        if !p.has_required(&text[start..]) {
            return None;
        }
        if p.backrefs {
            return backtrack::search(&p.prog, text, start);
        }
        run(p, &p.cache_find, nslots, text, start)
    }
}

impl Program {
    /// Whether `text` contains the literals every match contains (the
    /// prefix and the longest required run).
    fn has_required(&self, text: &[u8]) -> bool {
        let has = |lit: &[u8]| {
            lit.is_empty()
                || if self.icase {
                    literal::find_icase(lit, text).is_some()
                } else {
                    literal::find(lit, text).is_some()
                }
        };
        has(&self.required) && has(&self.prefix)
    }
}

/// Runs the Pike VM with the cached memory for `nslots` slots.
fn run(
    p: &Program,
    cache: &RefCell<Option<pikevm::Cache>>,
    nslots: usize,
    text: &[u8],
    start: usize,
) -> Option<Vec<usize>> {
    let mut cache = cache.borrow_mut();
    if cache.as_ref().is_none_or(|c| c.nslots() != nslots) {
        *cache = Some(pikevm::Cache::new(&p.prog, nslots));
    }
    let cache = cache.as_mut()?;
    let hints = pikevm::Hints {
        prefix: &p.prefix,
        icase: p.icase,
        first: p.first.as_ref(),
        anchored: p.anchored,
    };
    pikevm::search(&p.prog, cache, &hints, text, start)
}

/// Position of the first `needle` in `hay`, ignoring ASCII case if `icase`.
pub fn find_literal(needle: &[u8], icase: bool, hay: &[u8]) -> Option<usize> {
    lit_find(needle, icase, hay, 0)
}

/// Finds a fixed string from `start`.
fn lit_find(needle: &[u8], icase: bool, text: &[u8], start: usize) -> Option<usize> {
    let hay = text.get(start..)?;
    let i = if icase {
        literal::find_icase(needle, hay)
    } else {
        literal::find(needle, hay)
    }?;
    Some(start + i)
}

/// The bytes of a pattern that is nothing but literal bytes.
fn plain_literal(node: &Node) -> Option<Vec<u8>> {
    match node {
        Node::Byte(b) => Some(vec![*b]),
        Node::Concat(items) => items
            .iter()
            .map(|n| match n {
                Node::Byte(b) => Some(*b),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// The literal prefix, the longest required literal run, and whether the
/// pattern is anchored at the start.
fn hints(node: &Node) -> (Vec<u8>, Vec<u8>, bool) {
    let items: &[Node] = match node {
        Node::Concat(items) => items,
        other => std::slice::from_ref(other),
    };
    let anchored = matches!(items.first(), Some(Node::Look(Look::Start)));
    let mut prefix = Vec::new();
    // Assertions take no room, so bytes after leading ones still start
    // the match.
    let lead = items
        .iter()
        .take_while(|n| matches!(n, Node::Look(_)))
        .count();
    for item in &items[lead..] {
        match item {
            Node::Byte(b) => prefix.push(*b),
            _ => break,
        }
    }
    let mut required = Vec::new();
    let mut run = Vec::new();
    for item in items {
        match item {
            Node::Byte(b) => run.push(*b),
            _ => {
                if run.len() > required.len() {
                    required = std::mem::take(&mut run);
                }
                run.clear();
            }
        }
    }
    if run.len() > required.len() {
        required = run;
    }
    // The prefix search already does the required check's work.
    if required == prefix {
        required.clear();
    }
    (prefix, required, anchored)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bre(p: &str) -> Regex {
        Regex::new(p.as_bytes(), false, false).expect(p)
    }

    fn ere(p: &str) -> Regex {
        Regex::new(p.as_bytes(), true, false).expect(p)
    }

    fn find(re: &Regex, t: &str) -> Option<(usize, usize)> {
        re.find_at(t.as_bytes(), 0)
    }

    fn caps(re: &Regex, t: &str) -> Vec<Option<String>> {
        re.captures_at(t.as_bytes(), 0)
            .unwrap_or_default()
            .into_iter()
            .map(|c| c.map(|(a, b)| t[a..b].to_string()))
            .collect()
    }

    #[test]
    fn literals_and_dots() {
        assert_eq!(find(&bre("abc"), "xxabcxx"), Some((2, 5)));
        assert_eq!(find(&bre("a.c"), "xxabcxx"), Some((2, 5)));
        assert!(!bre("abd").is_match(b"abc"));
        assert!(Regex::literal(b"AbC", true).is_match(b"xabcx"));
    }

    #[test]
    fn leftmost_longest() {
        assert_eq!(find(&ere("a|ab|abc"), "xabcd"), Some((1, 4)));
        assert_eq!(find(&ere("(a|ab)(c|bcd)"), "abcd"), Some((0, 4)));
        assert_eq!(find(&ere("abcd|c"), "abcd"), Some((0, 4)));
        assert_eq!(find(&bre("x*"), "aaa"), Some((0, 0)));
        assert_eq!(find(&ere("b+"), "abbbc"), Some((1, 4)));
        assert_eq!(caps(&ere("(a*)(a*)"), "aaa")[1].as_deref(), Some("aaa"));
    }

    #[test]
    fn bre_versus_ere() {
        assert!(bre("a+").is_match(b"a+"));
        assert!(!bre("a+").is_match(b"aa"));
        assert!(bre("a\\+").is_match(b"aa"));
        assert!(ere("a+").is_match(b"aa"));
        assert!(bre("(a)").is_match(b"(a)"));
        assert_eq!(find(&bre("a\\{2,3\\}"), "aaaa"), Some((0, 3)));
        assert_eq!(find(&ere("a{2}"), "aaaa"), Some((0, 2)));
        assert!(bre("a{2}").is_match(b"a{2}"));
        assert!(bre("*a").is_match(b"*a"));
        assert!(bre("a\\|b").is_match(b"b"));
        assert!(bre("a|b").is_match(b"a|b"));
        assert!(bre("a^b").is_match(b"a^b"));
        assert!(bre("a$b").is_match(b"a$b"));
    }

    #[test]
    fn anchors_and_words() {
        assert!(bre("^ab$").is_match(b"ab"));
        assert!(!bre("^ab$").is_match(b"abc"));
        assert!(ere("^(ab|cd)$").is_match(b"cd"));
        assert_eq!(re_find_at(&bre("^a"), "aaa", 1), None);
        assert_eq!(find(&bre("\\<foo\\>"), "xfoo foo"), Some((5, 8)));
        assert_eq!(find(&bre("\\bfo"), "afo fo"), Some((4, 6)));
    }

    fn re_find_at(re: &Regex, t: &str, s: usize) -> Option<(usize, usize)> {
        re.find_at(t.as_bytes(), s)
    }

    #[test]
    fn brackets() {
        assert!(bre("[]a]").is_match(b"]"));
        assert!(bre("[^]a]").is_match(b"b"));
        assert!(!bre("[^]a]").is_match(b"]"));
        assert!(bre("[[:digit:]x-z]").is_match(b"y"));
        assert!(bre("[a-]").is_match(b"-"));
        assert!(!bre("[[:alpha:]]").is_match(b"1"));
        assert!(Regex::new(b"[[:upper:]]", false, true)
            .expect("re")
            .is_match(b"a"));
        assert_eq!(
            Regex::new(b"[z-a]", false, false).err(),
            Some(Error::BadRange)
        );
        assert_eq!(
            Regex::new(b"[[:nope:]]", false, false).err(),
            Some(Error::BadClass)
        );
    }

    #[test]
    fn backreferences() {
        assert!(bre("\\(ab\\)\\1").is_match(b"xabab"));
        assert!(!bre("\\(ab\\)\\1").is_match(b"xabac"));
        assert!(ere("(a|b)\\1").is_match(b"bb"));
        assert_eq!(
            caps(&bre("\\(a*\\)b\\1"), "xaabaa")[0].as_deref(),
            Some("aabaa")
        );
        assert_eq!(
            Regex::new(b"\\(a\\)\\2", false, false).err(),
            Some(Error::BadBackref)
        );
    }

    #[test]
    fn errors() {
        for (p, ext, e) in [
            ("a\\{", false, Error::UnmatchedBrace),
            ("a\\{1", false, Error::UnmatchedBrace),
            ("a\\{2,1\\}", false, Error::BadBrace),
            ("\\(a", false, Error::UnmatchedParen),
            ("(a", true, Error::UnmatchedParen),
            ("[a", false, Error::UnmatchedBracket),
            ("a\\", false, Error::TrailingBackslash),
            ("a{1000}", true, Error::BadBrace),
        ] {
            assert_eq!(Regex::new(p.as_bytes(), ext, false).err(), Some(e), "{p}");
        }
        assert!(Regex::new(b"((a{255}){255}){255}", true, false).is_err());
        let stars = format!("a{}", "*".repeat(100_000));
        assert!(ere(&stars).is_match(b"b"));
        assert_eq!(find(&ere("a+?b"), "xaab"), Some((1, 4)));
        assert_eq!(find(&ere("a+?b"), "xb"), Some((1, 2)));
        let braces = format!("a{}", "{1}".repeat(100));
        assert_eq!(
            Regex::new(braces.as_bytes(), true, false).err(),
            Some(Error::TooBig)
        );
        let nested = format!("{}a{}", "(".repeat(10_000), ")".repeat(10_000));
        assert_eq!(
            Regex::new(nested.as_bytes(), true, false).err(),
            Some(Error::TooBig)
        );
        let long = "ab".repeat(20_000);
        assert_eq!(
            bre("\\(.*\\)\\1$").find_at(long.as_bytes(), 0),
            Some((0, 40_000))
        );
        // No literal to rule the line out: the step budget has to stop it.
        let t = std::time::Instant::now();
        let _ = bre("\\(a*\\)*[bc]\\1").is_match("a".repeat(20_000).as_bytes());
        let _ = ere("(a|aa)*(a|aa)*[bc]\\1").is_match("a".repeat(20_000).as_bytes());
        assert!(t.elapsed().as_secs() < 20);
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let text = "a".repeat(5000);
        assert!(!ere("(a*)*b").is_match(text.as_bytes()));
        assert!(!ere("(a|a)*b").is_match(text.as_bytes()));
        assert_eq!(find(&ere("(a*)*"), &text), Some((0, 5000)));
        let t = std::time::Instant::now();
        let _ = bre("\\(a*\\)*b\\1").is_match(text.as_bytes());
        assert!(t.elapsed().as_secs() < 20);
    }

    #[test]
    fn combined_patterns() {
        let opts = Options {
            extended: true,
            ..Options::default()
        };
        let pats = [b"b".to_vec(), b"bcd".to_vec(), b"x(y|z)".to_vec()];
        let re = Regex::any_of(&pats, &opts)
            .expect("combinable")
            .expect("valid");
        assert_eq!(re.find_at(b"abcde", 0), Some((1, 4)));
        assert_eq!(re.find_at(b"..xz", 0), Some((2, 4)));
        assert!(!re.is_match(b"xx"));
        let line = Options { line: true, ..opts };
        let re = Regex::any_of(&pats, &line)
            .expect("combinable")
            .expect("valid");
        assert!(re.is_match(b"bcd") && !re.is_match(b"bc"));
        assert!(Regex::any_of(&[b"(a)\\1".to_vec()], &opts).is_none());
        assert_eq!(
            Regex::any_of(&[b"(".to_vec()], &opts).map(|r| r.err()),
            Some(Some(Error::UnmatchedParen))
        );
    }

    #[test]
    fn many_groups() {
        let pat = "(a)".repeat(12);
        let text = "a".repeat(12);
        let c = caps(&ere(&pat), &text);
        assert_eq!(c.len(), 10);
        assert_eq!(c[9].as_deref(), Some("a"));
        let pat = format!("{}\\9", "(a)".repeat(12));
        assert!(ere(&pat).is_match("a".repeat(13).as_bytes()));
        let pat = "()".repeat(30_000);
        assert!(ere(&pat).is_match(b""));
    }

    #[test]
    fn case_insensitive() {
        let re = Regex::new(b"h[a-c]llO", false, true).expect("re");
        assert!(re.is_match(b"HBLLo"));
        let re = Regex::new(b"\\(a\\)\\1", false, true).expect("re");
        assert!(re.is_match(b"aA"));
        let re = Regex::new(b"[^a]", false, true).expect("re");
        assert!(!re.is_match(b"aA"));
        assert!(re.is_match(b"b"));
    }

    /// A small deterministic pseudo-random generator for the tests below.
    struct Lcg(u64);

    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    /// A random ERE over `a` and `b`.
    fn random_ere(rng: &mut Lcg, depth: usize) -> String {
        let atom = |rng: &mut Lcg| -> String {
            match rng.next(10) {
                0 => "a".into(),
                1 => "b".into(),
                2 => ".".into(),
                3 => "[ab]".into(),
                4 => "^".into(),
                5 => "$".into(),
                6 => "\\<".into(),
                7 => "\\>".into(),
                8 => "\\b".into(),
                _ => " ".into(),
            }
        };
        let mut out = String::new();
        for _ in 0..1 + rng.next(3) {
            let piece = if depth > 0 && rng.next(3) == 0 {
                let inner = random_ere(rng, depth - 1);
                if rng.next(2) == 0 {
                    format!("({inner}|{})", random_ere(rng, depth - 1))
                } else {
                    format!("({inner})")
                }
            } else {
                atom(rng)
            };
            out.push_str(&piece);
            match rng.next(6) {
                0 => out.push('*'),
                1 => out.push('+'),
                2 => out.push('?'),
                3 => out.push_str("{1,2}"),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn pike_vm_agrees_with_backtracker() {
        let mut rng = Lcg(42);
        for _ in 0..3000 {
            let pat = random_ere(&mut rng, 2);
            let text: Vec<u8> = (0..rng.next(8))
                .map(|_| [b'a', b'b', b' '][rng.next(3)])
                .collect();
            let parsed = parse::parse(pat.as_bytes(), true, false).expect("random pattern parses");
            let prog = compile::compile(&parsed.node, parsed.groups, false).expect("compiles");
            let mut cache = pikevm::Cache::new(&prog, prog.slots);
            let hints = pikevm::Hints {
                prefix: b"",
                icase: false,
                first: None,
                anchored: false,
            };
            for start in 0..=text.len() {
                let vm = pikevm::search(&prog, &mut cache, &hints, &text, start);
                let bt = backtrack::search(&prog, &text, start);
                assert_eq!(
                    vm,
                    bt,
                    "{pat} on {:?} from {start}",
                    String::from_utf8_lossy(&text)
                );
            }
            // The lazy DFA answers yes/no like the VM.
            if let Some(mut dfa) = dfa::Dfa::new(&prog, false) {
                let mut yes_no = pikevm::Cache::new(&prog, 0);
                let vm = pikevm::search(&prog, &mut yes_no, &hints, &text, 0).is_some();
                assert_eq!(dfa.is_match(&prog, &text), Some(vm), "{pat} (DFA)");
            }
            // And through the public interface, with its shortcuts.
            let re = ere(&pat);
            let vm = re.find_at(&text, 0);
            let bt = backtrack::search(&prog, &text, 0).map(|s| (s[0], s[1]));
            assert_eq!(vm, bt, "{pat}");
        }
    }

    #[test]
    fn dfa_cache_overflow_falls_back() {
        // The n-th byte from the end being `a` needs 2^n DFA states.
        let re = ere("(a|b)*a(a|b){14}$");
        let mut rng = Lcg(3);
        for _ in 0..50 {
            let text: Vec<u8> = (0..200)
                .map(|_| if rng.next(2) == 0 { b'a' } else { b'b' })
                .collect();
            let expected = text[text.len() - 15] == b'a';
            assert_eq!(re.is_match(&text), expected);
        }
    }

    #[test]
    fn random_syntax_never_panics() {
        let alphabet = b"ab()[]{}\\|*+?.^$-,:=12 ";
        let mut rng = Lcg(7);
        for _ in 0..20_000 {
            let pat: Vec<u8> = (0..rng.next(12))
                .map(|_| alphabet[rng.next(alphabet.len())])
                .collect();
            for extended in [false, true] {
                if let Ok(re) = Regex::new(&pat, extended, rng.next(2) == 0) {
                    let _ = re.is_match(b"ab(a)[b]{1}");
                    let _ = re.captures_at(b"aab|*+", 1);
                }
            }
        }
    }
}
