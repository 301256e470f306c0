//! `forgectl-services-bench [producer|latency|consumer|mongo|e2e|limits|all]`: the
//! benchmarks of docs/benchmarks/services.md, against the local stack (`dev/stack up`).
//! Build in release: `cargo build --release -p forgectl-producer
//! -p forgectl-consumer -p forgectl-services-bench`.

mod consumer;
mod e2e;
mod latency;
mod limits;
mod mongo;
mod own;
mod procs;
mod producer;
mod stats;
mod workload;

use std::time::Duration;

use stats::ms;
use workload::Workload;

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        0.0
    } else {
        v[v.len() / 2]
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1).unwrap_or_else(|| "all".into());
    let secs: u64 = std::env::var("BENCH_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(10);
    let w = Workload::load()?;
    // BENCH_OWN_STACK=1: a 3-broker KRaft cluster and a PostgreSQL of the
    // bench's own, so the shared dev stack is neither needed nor disturbed.
    let _own = if std::env::var("BENCH_OWN_STACK").map(|v| v == "1").unwrap_or(false) {
        Some(own::start().await?)
    } else {
        None
    };
    let up_day = w.uploads_per_dau_day();
    let rows_day = w.rows_per_dau_day();
    let peak_up = w.peak_per_dau_sec(up_day);
    let peak_rows = w.peak_per_dau_sec(rows_day);
    let sms_rows_peak = w.peak_per_dau_sec(w.kinds["sms"].uploads_per_day * w.kinds["sms"].records_per_upload as f64);
    println!(
        "workload v{}: per DAU per day {up_day} uploads, {rows_day} rows, {:.0} bytes; peak per DAU {peak_up:.6} uploads/s, {peak_rows:.5} rows/s",
        w.version,
        w.bytes_per_dau_day()
    );
    println!("100k DAU peak: {:.1} uploads/s, {:.0} rows/s", 100_000.0 * peak_up, 100_000.0 * peak_rows);

    if what == "producer" || what == "all" {
        let conc: usize = std::env::var("BENCH_CONCURRENCY").ok().and_then(|v| v.parse().ok()).unwrap_or(64);
        let rounds: usize = std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
        let r = producer::run(&w, Duration::from_secs(secs), conc, rounds).await?;
        let api: Vec<f64> = r.api.iter().map(|x| x.rate()).collect();
        let raw: Vec<f64> = r.raw.iter().map(|x| x.rate()).collect();
        let ratios: Vec<String> = api.iter().zip(&raw).map(|(a, b)| format!("{:.2}", a / b)).collect();
        println!("PRODUCER per-round ratios api/raw: {}", ratios.join(", "));
        let (a, b) = (api.iter().sum::<f64>() / api.len() as f64, raw.iter().sum::<f64>() / raw.len() as f64);
        let mut eff: Vec<f64> = r.api.iter().map(|x| x.uploads as f64 / x.cpu_secs.max(1e-9)).collect();
        let per_cpu = median(&mut eff);
        println!("PRODUCER concurrency {}: mean api {a:.1}/s raw {b:.1}/s ratio {:.2}x", r.concurrency, a / b);
        println!(
            "PRODUCER efficiency {per_cpu:.0} uploads per CPU-second -> DAU at 50% of 1 core: {:.0}; of 4 vCPU: {:.0}",
            0.5 * per_cpu / peak_up,
            2.0 * per_cpu / peak_up
        );
        for (x, y) in r.api.iter().zip(r.raw.iter()) {
            println!(
                "  round: api p50 {:.2} ms p99 {:.2} ms | raw p50 {:.2} ms p99 {:.2} ms",
                ms(x.p50),
                ms(x.p99),
                ms(y.p50),
                ms(y.p99)
            );
        }
    }
    // Not in `all`: an open-loop latency comparison at one rate, several rounds.
    if what == "latency" {
        let dau: f64 = std::env::var("BENCH_DAU").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000.0);
        let rounds: usize = std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
        let r = latency::run(&w, dau, Duration::from_secs(secs), rounds).await?;
        for run in r.api.iter().chain(r.raw.iter()) {
            println!(
                "  {:<7} {}/{} ok  p50 {:.2} ms  p99 {:.2} ms  max {:.2} ms  sender behind schedule at most {:.2} ms",
                run.label,
                run.ok,
                run.sent,
                ms(run.p50),
                ms(run.p99),
                ms(run.max),
                ms(run.sender_lag)
            );
        }
        let p99 = |v: &[latency::OpenLoopRun]| v.iter().map(|x| ms(x.p99)).collect::<Vec<_>>();
        let (api, raw) = (p99(&r.api), p99(&r.raw));
        let ratios: Vec<String> = api.iter().zip(&raw).map(|(a, b)| format!("{:.2}", a / b)).collect();
        println!(
            "LATENCY open loop {:.1} uploads/s ({dau:.0} DAU peak): p99 api {:?} ms, raw {:?} ms; per-round ratio api/raw {}",
            r.rate,
            api.iter().map(|x| (x * 10.0).round() / 10.0).collect::<Vec<_>>(),
            raw.iter().map(|x| (x * 10.0).round() / 10.0).collect::<Vec<_>>(),
            ratios.join(", ")
        );
    }
    if what == "consumer" || what == "all" {
        let msgs: usize = std::env::var("BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(6000);
        let r = consumer::run(&w, msgs).await?;
        let per_cpu = r.consumer_rows_per_sec * r.consumer_secs / r.consumer_cpu_secs.max(1e-9);
        println!(
            "CONSUMER rows {}: consumer {:.0} rows/s ({:.2} s, cpu {:.2} s) | COPY {:.0} rows/s ({:.2} s) | ratio {:.2}x",
            r.rows,
            r.consumer_rows_per_sec,
            r.consumer_secs,
            r.consumer_cpu_secs,
            r.copy_rows_per_sec,
            r.copy_secs,
            r.consumer_rows_per_sec / r.copy_rows_per_sec
        );
        println!(
            "CONSUMER efficiency {per_cpu:.0} rows per consumer CPU-second -> DAU at 50% of 1 core: {:.0} (all kinds), {:.0} (SMS only); of 4 vCPU: {:.0} / {:.0}",
            0.5 * per_cpu / peak_rows,
            0.5 * per_cpu / sms_rows_peak,
            2.0 * per_cpu / peak_rows,
            2.0 * per_cpu / sms_rows_peak
        );
    }
    // Not in `all`: it needs the stack's FerretDB (DI_MONGODB_*), which
    // BENCH_OWN_STACK does not start.
    if what == "mongo" {
        let msgs: usize = std::env::var("BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000);
        let r = mongo::run(&w, msgs).await?;
        println!(
            "MONGO documents {}: consumer (both sinks) {:.0} docs/s | sink alone {:.0} docs/s | plain insert_many loop {:.0} docs/s | ratios {:.2}x (consumer) {:.2}x (sink)",
            r.documents,
            r.consumer_docs_per_sec,
            r.sink_docs_per_sec,
            r.plain_docs_per_sec,
            r.consumer_docs_per_sec / r.plain_docs_per_sec,
            r.sink_docs_per_sec / r.plain_docs_per_sec
        );
        if let Some([c, s, p]) = r.server_cpu {
            println!("MONGO server CPU (cores busy): consumer phase {c:.2}, sink phase {s:.2}, plain loop {p:.2}");
        }
    }
    if what == "e2e" || what == "all" {
        let dau: f64 = std::env::var("BENCH_DAU").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000.0);
        let r = e2e::run(&w, dau, Duration::from_secs(secs.max(20))).await?;
        println!(
            "E2E {:.0} DAU peak = {:.1} uploads/s ({:.0} rows/s) for {:.1} s: {}/{} acked; HTTP p50 {:.2} ms p99 {:.2} ms; 200->visible p50 {:.1} ms p95 {:.1} ms p99 {:.1} ms max {:.1} ms",
            r.dau,
            r.rate,
            r.rows_per_sec,
            r.secs,
            r.ok,
            r.sent,
            ms(r.http_p50),
            ms(r.http_p99),
            ms(r.e2e_p50),
            ms(r.e2e_p95),
            ms(r.e2e_p99),
            ms(r.e2e_max)
        );
        println!(
            "E2E CPU at that rate: producer {:.1}% of one core, consumer {:.1}% -> DAU at 50% of 1 core: producer {:.0}, consumer {:.0}",
            100.0 * r.producer_cpu,
            100.0 * r.consumer_cpu,
            r.dau * 0.5 / r.producer_cpu.max(1e-9),
            r.dau * 0.5 / r.consumer_cpu.max(1e-9)
        );
    }
    if what == "limits" {
        for s in limits::run(Duration::from_secs(secs)).await? {
            println!(
                "LIMITS {}: idle RSS {:.1} MiB, peak RSS {:.1} MiB ({:.1}x idle); statuses {:?}; a polite client got {}/{} answers",
                s.name,
                s.idle_rss_kib as f64 / 1024.0,
                s.peak_rss_kib as f64 / 1024.0,
                s.peak_rss_kib as f64 / s.idle_rss_kib.max(1) as f64,
                s.statuses,
                s.probe_answered,
                s.probe_sent
            );
        }
    }
    Ok(())
}
