//! Lists the shipped profiles: every `src/profiles/*.toml` is compiled in, so adding an app is
//! adding its file (no Rust line per app). Files are taken in name order.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    let directory = Path::new("src/profiles");
    println!("cargo::rerun-if-changed={}", directory.display());
    let mut files: Vec<String> = std::fs::read_dir(directory)
        .expect("src/profiles is readable")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.ends_with(".toml").then_some(name)
        })
        .collect();
    files.sort();
    let mut code = String::from(
        "/// The shipped profile files, by name, in name order.\npub const BUILT_IN: &[(&str, &str)] = &[\n",
    );
    for file in &files {
        let _ = writeln!(
            code,
            "    ({file:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/src/profiles/{file}\"))),"
        );
    }
    code.push_str("];\n");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    std::fs::write(Path::new(&out).join("built_in_profiles.rs"), code)
        .expect("OUT_DIR is writable");
}
