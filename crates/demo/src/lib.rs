//! Realistic Probity data, made through the public gRPC API only: a
//! province with districts, grassroots organisations and cells, its
//! members, a year of books and reviews ([`province`]); and the seed
//! scenario of the source document, a study plan ending with its exact
//! figures ([`seed`]), and the period's inspections, cases and discipline
//! ([`oversight`]). Used by the benchmarks, the end-to-end tests and the
//! `probity demo` commands.
//!
//! Everything is deterministic for a given [`ProvinceSpec`]: names, card
//! numbers and grades come from a seeded generator, so two runs make the
//! same province.

pub mod bench;
pub mod names;
pub mod oversight;
pub mod province;
pub mod seed;
pub mod tally;

pub use oversight::{OversightOutcome, seed_oversight};
pub use province::{
    Province, ProvinceSpec, YearActivity, generate_province, generate_province_tallied,
    record_year, record_year_tallied,
};
pub use seed::{SeedOutcome, seed_scenario, seed_scenario_tallied};
pub use tally::Tally;
