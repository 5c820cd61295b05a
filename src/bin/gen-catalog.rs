//! Writes a realistic synthetic catalog (see `cairn::gen`):
//! `cargo run --release --bin gen-catalog -- --systems 100000 --seed 1 --out bench-data/100k`.

use std::path::PathBuf;

fn main() {
    let mut systems = 10_000usize;
    let mut seed = 1u64;
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut val = || {
            args.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--systems" => {
                systems = val()
                    .parse()
                    .unwrap_or_else(|_| usage("--systems takes a number"))
            }
            "--seed" => {
                seed = val()
                    .parse()
                    .unwrap_or_else(|_| usage("--seed takes a number"))
            }
            "--out" => out = Some(PathBuf::from(val())),
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let out = out.unwrap_or_else(|| PathBuf::from(format!("bench-data/{systems}")));
    if let Err(e) = cairn::gen::generate(&out, systems, seed) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    eprintln!("wrote {systems} systems to {}", out.display());
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("error: {msg}");
    }
    eprintln!("usage: gen-catalog [--systems N] [--seed S] [--out DIR]");
    std::process::exit(2)
}
