//! What the gateway admits beyond identity and policy (OWASP API4): each
//! method's class (read, write, bulk import, stream), a token bucket per
//! agency and class, a deadline per class for calls that bring none, and
//! limits on client streams (idle time, messages, bytes).
//!
//! A method's class follows from its descriptor and its rule: a client
//! stream is a bulk import, a server stream a stream, a method whose rule
//! is [`Access::Write`] a write, anything else a read.

use std::{collections::HashMap, num::NonZeroU32, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, clock::Clock as _};

use crate::policy::{Access, Policy};

/// The kind of a method, for rates and deadlines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MethodClass {
    /// A unary call that changes nothing.
    Read,
    /// A unary call that changes records.
    Write,
    /// A client stream: an import of many records.
    Bulk,
    /// A server stream: a long listing.
    Stream,
    /// A unary call open without a token ([`Access::Open`]): counted per
    /// source address, not per agency.
    Open,
}

impl MethodClass {
    /// The class's name, as refusals state it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Bulk => "bulk",
            Self::Stream => "stream",
            Self::Open => "open",
        }
    }
}

/// The limits of one class of methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassLimits {
    /// Calls an agency may start per second, on average; 0: no limit.
    pub per_second: u32,
    /// Calls an agency may start at once after a quiet spell.
    pub burst: u32,
    /// The deadline of a call that brings none, and the longest a call of
    /// the class may run whatever it asks.
    pub deadline: Duration,
}

/// The admission settings of a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admission {
    /// Unary reads.
    pub read: ClassLimits,
    /// Unary writes.
    pub write: ClassLimits,
    /// Client streams (imports).
    pub bulk: ClassLimits,
    /// Server streams.
    pub stream: ClassLimits,
    /// Calls open without a token, per source address.
    pub open: ClassLimits,
    /// A client stream that sends nothing for this long is ended.
    pub stream_idle: Duration,
    /// Messages one client stream may send.
    pub stream_messages: u64,
    /// Bytes one client stream may send.
    pub stream_bytes: u64,
    /// Calls (HTTP/2 streams) one connection may have open at once; the
    /// client queues more, or the server refuses them at once.
    pub streams_per_connection: u32,
}

/// Default per-agency rates, calls a second: reads, writes, bulk imports,
/// server streams. Above what one agency's own province-wide load needs
/// (the seed scenario streams 318 classes' attendance in seconds, and
/// study streams members' roster for each; a year of books is ~1,300
/// writes a second on this machine), far below what would starve others.
pub const DEFAULT_RATES: [u32; 4] = [2000, 2000, 200, 1000];
/// Default calls a second one source address may make to the methods open
/// without a token (a reporter checking a receipt needs a few a minute).
pub const DEFAULT_OPEN_RATE: u32 = 1;
/// Default burst of calls open without a token from one source address.
pub const DEFAULT_OPEN_BURST: u32 = 10;
/// Default calls one connection may have open at once.
pub const DEFAULT_STREAMS_PER_CONNECTION: u32 = 64;
/// Default seconds a client stream may send nothing.
pub const DEFAULT_STREAM_IDLE_SECONDS: u64 = 30;

impl Default for Admission {
    fn default() -> Self {
        let limits = |deadline_seconds| ClassLimits {
            per_second: 0,
            burst: 0,
            deadline: Duration::from_secs(deadline_seconds),
        };
        Self {
            read: limits(30),
            write: limits(30),
            bulk: limits(600),
            stream: limits(600),
            open: ClassLimits {
                per_second: DEFAULT_OPEN_RATE,
                burst: DEFAULT_OPEN_BURST,
                deadline: Duration::from_secs(10),
            },
            stream_idle: Duration::from_secs(DEFAULT_STREAM_IDLE_SECONDS),
            stream_messages: 10_000,
            stream_bytes: 256 * 1024 * 1024,
            streams_per_connection: DEFAULT_STREAMS_PER_CONNECTION,
        }
        .with_rates(DEFAULT_RATES)
    }
}

impl Admission {
    /// These settings with per-agency `rates` (reads, writes, bulk,
    /// streams; calls a second, bursts twice that; 0 for no limit).
    pub fn with_rates(mut self, rates: [u32; 4]) -> Self {
        let classes = [
            &mut self.read,
            &mut self.write,
            &mut self.bulk,
            &mut self.stream,
        ];
        for (class, rate) in classes.into_iter().zip(rates) {
            class.per_second = rate;
            class.burst = rate.saturating_mul(2);
        }
        self
    }

    /// These settings without per-agency rates nor the per-address rate
    /// of the methods open without a token (benchmarks that measure the
    /// service's own throughput).
    pub fn without_rates(mut self) -> Self {
        self.open.per_second = 0;
        self.with_rates([0; 4])
    }

    /// The limits of `class`.
    pub fn of(&self, class: MethodClass) -> ClassLimits {
        match class {
            MethodClass::Read => self.read,
            MethodClass::Write => self.write,
            MethodClass::Bulk => self.bulk,
            MethodClass::Stream => self.stream,
            MethodClass::Open => self.open,
        }
    }
}

/// The class of every method in the API's descriptors, by full path
/// (`/package.Service/Method`), given the rules of `policy`.
pub fn classify(policy: &Policy) -> HashMap<String, MethodClass> {
    use prost::Message;
    let mut classes = HashMap::new();
    let Ok(set) = prost_types::FileDescriptorSet::decode(probity_proto::FILE_DESCRIPTOR_SET) else {
        return classes;
    };
    for file in &set.file {
        for service in &file.service {
            for method in &service.method {
                let path = format!("/{}.{}/{}", file.package(), service.name(), method.name());
                let rule = policy.get(&path);
                let class = if rule.is_some_and(|r| r.access == Access::Open) {
                    MethodClass::Open
                } else if method.client_streaming() {
                    MethodClass::Bulk
                } else if method.server_streaming() {
                    MethodClass::Stream
                } else if rule.is_some_and(|r| r.access == Access::Write) {
                    MethodClass::Write
                } else {
                    MethodClass::Read
                };
                classes.insert(path, class);
            }
        }
    }
    classes
}

/// A token bucket per agency for each class.
pub struct Rates {
    limiters: HashMap<MethodClass, DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for Rates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rates")
            .field("classes", &self.limiters.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Rates {
    /// Buckets for the limits of `admission`.
    pub fn new(admission: &Admission) -> Self {
        let mut limiters = HashMap::new();
        for class in [
            MethodClass::Read,
            MethodClass::Write,
            MethodClass::Bulk,
            MethodClass::Stream,
            MethodClass::Open,
        ] {
            let limits = admission.of(class);
            let Some(rate) = NonZeroU32::new(limits.per_second) else {
                continue;
            };
            let burst = NonZeroU32::new(limits.burst).unwrap_or(rate);
            let quota = Quota::per_second(rate).allow_burst(burst);
            limiters.insert(class, DefaultKeyedRateLimiter::keyed(quota));
        }
        Self { limiters }
    }

    /// Takes a token of `class` from `agency`'s bucket, or says how long
    /// until one is there.
    pub fn take(&self, class: MethodClass, agency: &str) -> Result<(), Duration> {
        let Some(limiter) = self.limiters.get(&class) else {
            return Ok(());
        };
        limiter
            .check_key(&agency.to_string())
            .map_err(|not_until| not_until.wait_time_from(limiter.clock().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_agency_has_its_own_bucket_per_class() {
        let mut admission = Admission::default();
        admission.read.per_second = 2;
        admission.read.burst = 2;
        let rates = Rates::new(&admission);
        assert!(rates.take(MethodClass::Read, "a").is_ok());
        assert!(rates.take(MethodClass::Read, "a").is_ok());
        let wait = rates.take(MethodClass::Read, "a").unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        assert!(rates.take(MethodClass::Read, "b").is_ok(), "another agency");
        assert!(rates.take(MethodClass::Write, "a").is_ok(), "another class");
    }

    #[test]
    fn a_rate_of_zero_is_no_limit() {
        let mut admission = Admission::default();
        admission.bulk.per_second = 0;
        let rates = Rates::new(&admission);
        for _ in 0..10_000 {
            assert!(rates.take(MethodClass::Bulk, "a").is_ok());
        }
    }

    #[test]
    fn streams_are_classed_by_their_descriptor() {
        let classes = classify(&Policy::default());
        assert_eq!(
            classes["/probity.study.v1.ClassService/StreamAttendance"],
            MethodClass::Bulk
        );
        assert_eq!(
            classes["/probity.members.v1.MemberService/StreamRoster"],
            MethodClass::Stream
        );
        assert_eq!(
            classes["/probity.members.v1.OrganizationService/GetOrganization"],
            MethodClass::Read
        );
    }
}
