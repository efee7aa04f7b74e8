//! Checking an import before anything is sent: 10,000 rows of CSV (a phone, a name, an e-mail and
//! a secondary phone each, as the dashboard's layout has them) read, their columns mapped, every
//! phone parsed as the form parses it and repeats within the file marked.
//!
//! The goal (issue "Many leads at once"): 10,000 rows checked in under a second on this machine.
//! `cargo bench --bench import_check`.
#![allow(clippy::unwrap_used, reason = "a test or bench stops loudly at what it did not expect")]

use std::hint::black_box;

use autocalls_tui::import::{Mapping, check, read_text};
use criterion::{Criterion, Throughput};

/// `n` rows, a few of them repeats of an earlier phone and a few not phones at all.
fn csv(n: usize) -> String {
    let mut out = String::from("phone_number,Name,E-Mail,secondary_phone_1\n");
    for i in 0..n {
        let phone = match i % 500 {
            7 => "not a phone".to_owned(),
            9 => format!("+49 170 {:07}", i - 2),
            _ => format!("+49 170 {i:07}"),
        };
        out.push_str(&format!("{phone},Person {i},p{i}@example.com,+1 212 555 {:04}\n", i % 10_000));
    }
    out
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group("import_check");
    group.sample_size(10);
    for n in [1_000, 10_000] {
        let text = csv(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_rows"), |b| {
            b.iter(|| {
                let table = read_text(black_box(&text));
                let mapping = Mapping::of(&table, None);
                let rows = check(&table, &mapping, 12, false, None);
                assert_eq!(rows.len(), n);
                black_box(rows)
            });
        });
    }
    group.finish();
    criterion.final_summary();
}
