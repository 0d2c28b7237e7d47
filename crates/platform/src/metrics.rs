//! Metrics in Prometheus' text format, on a port of their own
//! (`--metrics-listen`), for an operations team's scraper: calls by method
//! and gRPC code, their latency as a histogram, calls in flight, calls
//! refused for want of a place (load shedding), and per service database
//! the pool's connections in use and idle and the job queue's depth and
//! oldest pending job's age. The gateway records each call
//! ([`Metrics::record`]); the endpoint reads the rest when scraped. It
//! serves `GET /metrics` over HTTP/1.1 without authentication: bind it
//! where only the scraper reaches (it names methods and counts, never a
//! caller or a record).

use std::{
    collections::{BTreeMap, HashMap},
    convert::Infallible,
    fmt::Write as _,
    sync::{
        Arc, Mutex,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use crate::{Clock, db::Database};

/// Upper bounds of the latency histogram's buckets, seconds.
pub const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The calls of one method ending with one code.
#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum_seconds: f64,
    /// Calls at or under each bound of [`BUCKETS`] (not cumulative).
    buckets: [u64; BUCKETS.len()],
}

/// The gRPC codes, 0 (`OK`) to 16 (`UNAUTHENTICATED`).
const CODES: usize = 17;

/// The counters a server keeps.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Per method, a series per gRPC code: a call finds its method without
    /// allocating (the first call of a method adds it).
    calls: Mutex<HashMap<String, [Series; CODES]>>,
    in_flight: AtomicI64,
    shed: AtomicU64,
}

/// A call in flight: counted until it is dropped.
#[derive(Debug)]
pub struct InFlight(Arc<Metrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Metrics {
    /// Counts a business call in flight until the guard is dropped.
    pub fn in_flight(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Counts a call refused for want of a place (`OVERLOADED`).
    pub fn shed(&self) {
        self.shed.fetch_add(1, Ordering::Relaxed);
    }

    /// Records a call of `method` answered with `code` after `elapsed`.
    pub fn record(&self, method: &str, code: tonic::Code, elapsed: Duration) {
        let seconds = elapsed.as_secs_f64();
        let index = (code as usize).min(CODES - 1);
        let mut calls = self.calls.lock().expect("metrics lock");
        let series = match calls.get_mut(method) {
            Some(codes) => &mut codes[index],
            None => &mut calls.entry(method.to_string()).or_default()[index],
        };
        series.count += 1;
        series.sum_seconds += seconds;
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            series.buckets[i] += 1;
        }
    }

    /// The counters in Prometheus' text format, with `databases`' pool
    /// and job queue figures read now.
    pub async fn render(&self, databases: &[Database], clock: &Clock) -> String {
        let mut out = String::new();
        let calls: BTreeMap<(String, String), Series> = self
            .calls
            .lock()
            .expect("metrics lock")
            .iter()
            .flat_map(|(method, codes)| {
                codes
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.count > 0)
                    .map(|(i, s)| {
                        let code = tonic::Code::from_i32(i as i32);
                        ((method.clone(), format!("{code:?}")), s.clone())
                    })
            })
            .collect();
        out.push_str("# HELP probity_calls_total Calls answered, by method and gRPC code.\n");
        out.push_str("# TYPE probity_calls_total counter\n");
        for ((method, code), s) in &calls {
            let _ = writeln!(
                out,
                "probity_calls_total{{method=\"{method}\",code=\"{code}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP probity_call_seconds Time from a call's arrival to its answer.\n");
        out.push_str("# TYPE probity_call_seconds histogram\n");
        for ((method, code), s) in &calls {
            let labels = format!("method=\"{method}\",code=\"{code}\"");
            let mut cumulative = 0;
            for (bound, n) in BUCKETS.iter().zip(s.buckets) {
                cumulative += n;
                let _ = writeln!(
                    out,
                    "probity_call_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "probity_call_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "probity_call_seconds_sum{{{labels}}} {}",
                s.sum_seconds
            );
            let _ = writeln!(out, "probity_call_seconds_count{{{labels}}} {}", s.count);
        }
        let _ = write!(
            out,
            "# HELP probity_calls_in_flight Business calls being served.\n\
             # TYPE probity_calls_in_flight gauge\nprobity_calls_in_flight {}\n\
             # HELP probity_calls_shed_total Calls refused at once for want of a place (OVERLOADED).\n\
             # TYPE probity_calls_shed_total counter\nprobity_calls_shed_total {}\n",
            self.in_flight.load(Ordering::Relaxed),
            self.shed.load(Ordering::Relaxed)
        );
        out.push_str(
            "# HELP probity_db_connections A service database pool's connections, by state.\n\
             # TYPE probity_db_connections gauge\n",
        );
        for db in databases {
            let size = db.pool().size();
            let idle = db.pool().num_idle() as u32;
            let service = db.service();
            let _ = writeln!(
                out,
                "probity_db_connections{{service=\"{service}\",state=\"in_use\"}} {}",
                size.saturating_sub(idle)
            );
            let _ = writeln!(
                out,
                "probity_db_connections{{service=\"{service}\",state=\"idle\"}} {idle}"
            );
        }
        out.push_str(
            "# HELP probity_read_replica_usable Whether reads go to the service's read replica (1) or not (0).\n\
             # TYPE probity_read_replica_usable gauge\n\
             # HELP probity_read_replica_behind_bytes WAL bytes the replica is behind the primary's position of the lag bound ago.\n\
             # TYPE probity_read_replica_behind_bytes gauge\n",
        );
        for db in databases {
            if let Some(replica) = db.replica() {
                let service = db.service();
                let _ = writeln!(
                    out,
                    "probity_read_replica_usable{{service=\"{service}\"}} {}\n\
                     probity_read_replica_behind_bytes{{service=\"{service}\"}} {}",
                    u8::from(replica.usable()),
                    replica.behind_bytes()
                );
            }
        }
        out.push_str(
            "# HELP probity_jobs_pending Background jobs waiting to run.\n\
             # TYPE probity_jobs_pending gauge\n\
             # HELP probity_jobs_oldest_pending_seconds Age of the oldest job waiting to run.\n\
             # TYPE probity_jobs_oldest_pending_seconds gauge\n",
        );
        for db in databases {
            let found: Result<(i64, i64), sqlx::Error> = sqlx::query_as(
                "SELECT COUNT(*), COALESCE(MIN(created_micros), 0) FROM jobs WHERE state = 'pending'",
            )
            .fetch_one(db.pool())
            .await;
            let Ok((pending, oldest)) = found else {
                continue;
            };
            let age = if pending > 0 {
                (clock.now_micros() - oldest).max(0) as f64 / 1e6
            } else {
                0.0
            };
            let service = db.service();
            let _ = writeln!(
                out,
                "probity_jobs_pending{{service=\"{service}\"}} {pending}\n\
                 probity_jobs_oldest_pending_seconds{{service=\"{service}\"}} {age}"
            );
        }
        out
    }
}

/// Serves `GET /metrics` from `metrics` on `listener` until the task is
/// dropped; other paths are 404.
pub async fn serve(
    listener: tokio::net::TcpListener,
    metrics: Arc<Metrics>,
    databases: Vec<Database>,
    clock: Clock,
) {
    use http_body_util::Full;
    use hyper::{Request, Response, body::Bytes, server::conn::http1, service::service_fn};
    let databases = Arc::new(databases);
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let (metrics, databases, clock) = (metrics.clone(), databases.clone(), clock.clone());
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                let (metrics, databases, clock) =
                    (metrics.clone(), databases.clone(), clock.clone());
                async move {
                    let response = if req.uri().path() == "/metrics" {
                        let text = metrics.render(&databases, &clock).await;
                        Response::builder()
                            .header("content-type", "text/plain; version=0.0.4")
                            .body(Full::new(Bytes::from(text)))
                    } else {
                        Response::builder()
                            .status(404)
                            .body(Full::new(Bytes::from_static(b"only /metrics\n")))
                    };
                    Ok::<_, Infallible>(response.expect("a valid response"))
                }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = http1::Builder::new().serve_connection(io, service).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn calls_are_counted_by_method_and_code_with_a_histogram() {
        let metrics = Arc::new(Metrics::default());
        metrics.record("/a.B/C", tonic::Code::Ok, Duration::from_millis(3));
        metrics.record("/a.B/C", tonic::Code::Ok, Duration::from_millis(30));
        metrics.record("/a.B/C", tonic::Code::NotFound, Duration::from_millis(1));
        metrics.shed();
        let guard = metrics.in_flight();
        let text = metrics.render(&[], &Clock::system()).await;
        assert!(
            text.contains("probity_calls_total{method=\"/a.B/C\",code=\"Ok\"} 2"),
            "{text}"
        );
        assert!(text.contains("probity_calls_total{method=\"/a.B/C\",code=\"NotFound\"} 1"));
        assert!(
            text.contains(
                "probity_call_seconds_bucket{method=\"/a.B/C\",code=\"Ok\",le=\"0.005\"} 1"
            )
        );
        assert!(
            text.contains(
                "probity_call_seconds_bucket{method=\"/a.B/C\",code=\"Ok\",le=\"0.05\"} 2"
            )
        );
        assert!(text.contains("probity_calls_in_flight 1"));
        assert!(text.contains("probity_calls_shed_total 1"));
        drop(guard);
        let text = metrics.render(&[], &Clock::system()).await;
        assert!(text.contains("probity_calls_in_flight 0"));
    }
}
