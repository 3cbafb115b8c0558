//! `gradual-bench TEMPLATE.json RUNS`: prints, as one JSON line, the median and minimum
//! wall-clock nanoseconds of
//! - `gradual`: parse the JSON text, transform, serialise (what the macro does per template);
//! - `floor`: parse the JSON text and serialise it again with serde_json (no transform).
//!
//! - `transform_only`: the transform of an already parsed template, with nothing parsed or
//!   serialised (how aws-sam-translator's in-process time is taken).
//!
//! They are interleaved run by run, so machine noise hits all alike.
//!
//! `gradual-bench TEMPLATE.json RUNS gradual|floor` runs only that one, RUNS
//! times, and prints nothing: for counting its instructions under callgrind.

use std::hint::black_box;
use std::time::Instant;

use gradual_transform::{transform, Context};
use serde_json::Value;

// The allocator the `gradual` binary uses, so the in-process ratio is the one the CLI pays.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: gradual-bench TEMPLATE.json RUNS")?;
    let runs: usize = args
        .next()
        .ok_or("usage: gradual-bench TEMPLATE.json RUNS")?
        .parse()?;
    let text = std::fs::read_to_string(&path)?;
    let ctx = Context::default();

    let gradual = || -> Result<usize, Box<dyn std::error::Error>> {
        let template: Value = serde_json::from_str(black_box(&text))?;
        let output = transform(template, &ctx).map_err(|errors| errors.to_string())?;
        Ok(serde_json::to_string(&output.template)?.len())
    };
    let parsed: Value = serde_json::from_str(&text)?;
    // The transform alone, on an already parsed template, as aws-sam-translator is measured
    // (dict in, dict out); the copy it consumes is made outside the timing.
    let transform_only = |template: Value| -> Result<usize, Box<dyn std::error::Error>> {
        let output = transform(template, &ctx).map_err(|errors| errors.to_string())?;
        Ok(output.stats.resources_added)
    };
    let floor = || -> Result<usize, Box<dyn std::error::Error>> {
        let template: Value = serde_json::from_str(black_box(&text))?;
        Ok(serde_json::to_string(&template)?.len())
    };
    if let Some(which) = args.next() {
        for _ in 0..runs {
            match which.as_str() {
                "gradual" => black_box(gradual()?),
                "floor" => black_box(floor()?),
                _ => return Err(format!("unknown measurement {which}").into()),
            };
        }
        return Ok(());
    }
    // Warm caches and the allocator before measuring.
    for _ in 0..runs.min(5) {
        black_box(gradual()?);
        black_box(floor()?);
    }
    let mut gradual_ns = Vec::with_capacity(runs);
    let mut floor_ns = Vec::with_capacity(runs);
    let mut transform_ns = Vec::with_capacity(runs);
    let mut output_bytes = 0;
    for _ in 0..runs {
        let start = Instant::now();
        output_bytes = black_box(gradual()?);
        gradual_ns.push(start.elapsed().as_nanos());
        let start = Instant::now();
        black_box(floor()?);
        floor_ns.push(start.elapsed().as_nanos());
        let copy = parsed.clone();
        let start = Instant::now();
        black_box(transform_only(black_box(copy))?);
        transform_ns.push(start.elapsed().as_nanos());
    }
    transform_ns.sort_unstable();
    gradual_ns.sort_unstable();
    floor_ns.sort_unstable();
    let median = |sorted: &[u128]| sorted.get(sorted.len() / 2).copied().unwrap_or_default();
    let min = |sorted: &[u128]| sorted.first().copied().unwrap_or_default();
    println!(
        "{}",
        serde_json::json!({
            "runs": runs,
            "input_bytes": text.len(),
            "output_bytes": output_bytes,
            "gradual_median_ns": median(&gradual_ns) as u64,
            "gradual_min_ns": min(&gradual_ns) as u64,
            "floor_median_ns": median(&floor_ns) as u64,
            "floor_min_ns": min(&floor_ns) as u64,
            "transform_only_median_ns": median(&transform_ns) as u64,
            "transform_only_min_ns": min(&transform_ns) as u64,
        })
    );
    Ok(())
}
