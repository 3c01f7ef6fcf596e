//! The answer cache: upstream replies kept for their TTL, negative ones
//! (NXDOMAIN, no data) for their SOA's negative TTL (RFC 2308), in a bounded
//! number of entries.

use ibex_dns::{rcode, rtype, Message, Name, Question, RData, Record};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Positive answers are kept at most a day, whatever their TTL says, so
/// that a mistaken TTL cannot pin an address for weeks.
const MAX_TTL: u32 = 86_400;

/// Negative answers are kept at most three hours (RFC 2308 section 5).
const MAX_NEGATIVE_TTL: u32 = 10_800;

/// A cached reply: its code and sections, and when it was stored.
struct Entry {
    rcode: u8,
    answers: Vec<Record>,
    authorities: Vec<Record>,
    additionals: Vec<Record>,
    stored: Instant,
    expires: Instant,
}

/// What [`Cache::get`] gives back: the reply's code and sections, TTLs
/// lowered by the time spent in the cache.
pub struct Hit {
    /// The reply's response code.
    pub rcode: u8,
    /// The answer section.
    pub answers: Vec<Record>,
    /// The authority section.
    pub authorities: Vec<Record>,
    /// The additional section, without OPT.
    pub additionals: Vec<Record>,
}

/// Replies by question, at most `capacity` of them.
pub struct Cache {
    capacity: usize,
    entries: HashMap<(Name, u16, u16), Entry>,
}

impl Cache {
    /// An empty cache for `capacity` replies; 0 caches nothing.
    pub fn new(capacity: usize) -> Cache {
        Cache {
            capacity,
            entries: HashMap::new(),
        }
    }

    /// Forgets everything (SIGHUP).
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// The cached reply to `q`, if one is still alive at `now`.
    pub fn get(&mut self, q: &Question, now: Instant) -> Option<Hit> {
        let key = key(q);
        let e = self.entries.get(&key)?;
        if now >= e.expires {
            self.entries.remove(&key);
            return None;
        }
        let age = u32::try_from(now.duration_since(e.stored).as_secs()).unwrap_or(u32::MAX);
        let aged = |records: &[Record]| -> Vec<Record> {
            records
                .iter()
                .map(|r| Record {
                    ttl: r.ttl.saturating_sub(age),
                    ..r.clone()
                })
                .collect()
        };
        Some(Hit {
            rcode: e.rcode,
            answers: aged(&e.answers),
            authorities: aged(&e.authorities),
            additionals: aged(&e.additionals),
        })
    }

    /// Keeps `reply` to `q` for as long as its TTLs allow; replies that
    /// may not be cached (errors, truncated, TTL 0, negative without SOA)
    /// are not. When full, expired entries go first, then the one closest
    /// to expiry.
    pub fn insert(&mut self, q: &Question, reply: &Message, now: Instant) {
        if self.capacity == 0 || reply.header.tc {
            return;
        }
        let Some(ttl) = cache_ttl(reply) else { return };
        if ttl == 0 {
            return;
        }
        let key = key(q);
        if self.entries.len() >= self.capacity && !self.entries.contains_key(&key) {
            self.entries.retain(|_, e| e.expires > now);
            if self.entries.len() >= self.capacity {
                let oldest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.expires)
                    .map(|(k, _)| k.clone());
                if let Some(k) = oldest {
                    self.entries.remove(&k);
                }
            }
        }
        self.entries.insert(
            key,
            Entry {
                rcode: reply.header.rcode,
                answers: reply.answers.clone(),
                authorities: reply.authorities.clone(),
                additionals: reply
                    .additionals
                    .iter()
                    .filter(|r| r.rtype != rtype::OPT)
                    .cloned()
                    .collect(),
                stored: now,
                expires: now + Duration::from_secs(u64::from(ttl)),
            },
        );
    }

    /// How many replies are cached.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The cache key: names compare without case.
fn key(q: &Question) -> (Name, u16, u16) {
    (q.name.lowercase(), q.qtype, q.qclass)
}

/// How long `reply` may be kept. A positive answer lives as long as its
/// shortest answer TTL; a negative one (NXDOMAIN, or NOERROR without an
/// answer of the type asked) as long as the SOA in its authority section
/// says (the smaller of its TTL and MINIMUM, RFC 2308 section 5), and not
/// at all without one.
fn cache_ttl(reply: &Message) -> Option<u32> {
    let min_answer = reply.answers.iter().map(|r| r.ttl).min();
    let asked = reply.questions.first().map(|q| q.qtype);
    let answered = reply.answers.iter().any(|r| {
        Some(r.rtype) == asked || asked == Some(rtype::ANY) || asked == Some(rtype::CNAME)
    });
    match reply.header.rcode {
        rcode::NOERROR if answered => min_answer.map(|t| t.min(MAX_TTL)),
        rcode::NOERROR | rcode::NXDOMAIN => {
            let soa = reply.authorities.iter().find_map(|r| match r.data {
                RData::Soa { minimum, .. } => Some(r.ttl.min(minimum)),
                _ => None,
            })?;
            // A CNAME chain leading to the missing name must not outlive
            // its own records either.
            Some(
                soa.min(min_answer.unwrap_or(u32::MAX))
                    .min(MAX_NEGATIVE_TTL),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ibex_dns::{Header, CLASS_IN};
    use std::net::Ipv4Addr;

    fn q(name: &str) -> Question {
        Question {
            name: Name::from_dotted(name).unwrap(),
            qtype: rtype::A,
            qclass: CLASS_IN,
        }
    }

    fn reply(name: &str, rcode: u8, ttl: u32, soa: Option<(u32, u32)>) -> Message {
        let n = Name::from_dotted(name).unwrap();
        Message {
            header: Header {
                qr: true,
                rcode,
                ..Header::default()
            },
            questions: vec![q(name)],
            answers: (rcode == 0 && soa.is_none())
                .then(|| Record {
                    name: n.clone(),
                    rtype: rtype::A,
                    class: CLASS_IN,
                    ttl,
                    data: RData::A(Ipv4Addr::new(192, 0, 2, 1)),
                })
                .into_iter()
                .collect(),
            authorities: soa
                .map(|(ttl, minimum)| Record {
                    name: n.clone(),
                    rtype: rtype::SOA,
                    class: CLASS_IN,
                    ttl,
                    data: RData::Soa {
                        mname: n.clone(),
                        rname: n.clone(),
                        serial: 1,
                        refresh: 1,
                        retry: 1,
                        expire: 1,
                        minimum,
                    },
                })
                .into_iter()
                .collect(),
            additionals: Vec::new(),
        }
    }

    #[test]
    fn ttls_decide_lifetime() {
        let mut c = Cache::new(10);
        let t0 = Instant::now();
        c.insert(&q("a.example"), &reply("a.example", 0, 30, None), t0);
        let hit = c
            .get(&q("A.example"), t0 + Duration::from_secs(10))
            .unwrap();
        assert_eq!(hit.answers[0].ttl, 20);
        assert!(c
            .get(&q("a.example"), t0 + Duration::from_secs(30))
            .is_none());
        // Negative: the smaller of the SOA's TTL and MINIMUM.
        c.insert(
            &q("nx.example"),
            &reply("nx.example", 3, 0, Some((900, 60))),
            t0,
        );
        assert!(c
            .get(&q("nx.example"), t0 + Duration::from_secs(59))
            .is_some());
        assert!(c
            .get(&q("nx.example"), t0 + Duration::from_secs(60))
            .is_none());
        // Without SOA, or a server failure: not cached.
        c.insert(&q("b.example"), &reply("b.example", 3, 0, None), t0);
        c.insert(&q("c.example"), &reply("c.example", 2, 0, None), t0);
        assert!(c.get(&q("b.example"), t0).is_none());
        assert!(c.get(&q("c.example"), t0).is_none());
    }

    #[test]
    fn bounded() {
        let mut c = Cache::new(2);
        let t0 = Instant::now();
        c.insert(&q("a.x"), &reply("a.x", 0, 10, None), t0);
        c.insert(&q("b.x"), &reply("b.x", 0, 100, None), t0);
        c.insert(&q("c.x"), &reply("c.x", 0, 50, None), t0);
        assert_eq!(c.len(), 2);
        // The entry closest to expiry made room.
        assert!(c.get(&q("a.x"), t0).is_none());
        assert!(c.get(&q("b.x"), t0).is_some());
    }
}
