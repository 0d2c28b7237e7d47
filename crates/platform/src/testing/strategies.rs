//! Proptest strategies for what clients can send: any date (none,
//! plausible, impossible, the calendar's ends) and any text (arbitrary
//! Unicode, printable, very long). The services' property tests feed them
//! to every validator.

use probity_proto::google::r#type::Date as ProtoDate;
use proptest::prelude::*;

/// Any `google.type.Date` a client can send, or none.
pub fn any_date() -> impl Strategy<Value = Option<ProtoDate>> {
    let date = |year, month, day| Some(ProtoDate { year, month, day });
    prop_oneof![
        Just(None),
        (1..=9999_i32, 1..=12_i32, 1..=31_i32).prop_map(move |(y, m, d)| date(y, m, d)),
        Just(date(9999, 12, 31)),
        Just(date(1, 1, 1)),
        any::<(i32, i32, i32)>().prop_map(move |(y, m, d)| date(y, m, d)),
    ]
}

/// Any text: arbitrary Unicode (control characters included), printable
/// text, or 5,000 characters.
pub fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "\\PC{0,40}", Just("x".repeat(5000))]
}

/// Any `google.protobuf.Timestamp` a client can send, or none: arbitrary
/// seconds and nanoseconds, or a plausible instant.
pub fn any_instant() -> impl Strategy<Value = Option<prost_types::Timestamp>> {
    prop_oneof![
        Just(None),
        (any::<i64>(), any::<i32>())
            .prop_map(|(seconds, nanos)| Some(prost_types::Timestamp { seconds, nanos })),
        (1_400_000_000_i64..1_900_000_000)
            .prop_map(|seconds| Some(prost_types::Timestamp { seconds, nanos: 0 })),
    ]
}
