//! Writes a realistic synthetic catalog (see `cairn::gen`):
//! `cargo run --release --bin gen-catalog -- --systems 100000 --seed 1 --out bench-data/100k`;
//! `--format backstage` writes the same catalog as Backstage `catalog-info.yaml` files.

use std::path::PathBuf;

use cairn::gen::Format;

fn main() {
    let mut systems = 10_000usize;
    let mut seed = 1u64;
    let mut out: Option<PathBuf> = None;
    let mut format = Format::Native;
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
            "--format" => {
                format = match val().as_str() {
                    "native" => Format::Native,
                    "backstage" => Format::Backstage,
                    _ => usage("--format takes `native` or `backstage`"),
                }
            }
            "-h" | "--help" => usage(""),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    let out = out.unwrap_or_else(|| match format {
        Format::Native => PathBuf::from(format!("bench-data/{systems}")),
        Format::Backstage => PathBuf::from(format!("bench-data/{systems}-backstage")),
    });
    if let Err(e) = cairn::gen::generate_as(&out, systems, seed, format) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
    let what = match format {
        Format::Native => "systems",
        Format::Backstage => "systems (Backstage format)",
    };
    eprintln!("wrote {systems} {what} to {}", out.display());
}

fn usage(msg: &str) -> ! {
    if !msg.is_empty() {
        eprintln!("error: {msg}");
    }
    eprintln!(
        "usage: gen-catalog [--systems N] [--seed S] [--format native|backstage] [--out DIR]"
    );
    std::process::exit(2)
}
