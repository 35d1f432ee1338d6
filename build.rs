//! Release builds for the browser are split at the app's lazily loaded parts (`src/lazy.rs`):
//! they get the `split` cfg and keep their relocations, which `scripts/split.mjs` (trunk's
//! post-build hook) needs to split the module. Other builds (`trunk serve`, the tests) are
//! one module.

fn main() {
    // Without it cargo runs this again, and builds the app again, when any file of the
    // package changes (a test, a script, the README).
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rustc-check-cfg=cfg(split)");
    let wasm = std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32");
    if wasm && std::env::var("PROFILE").as_deref() == Ok("release") {
        println!("cargo:rustc-cfg=split");
        println!("cargo:rustc-link-arg-bins=--emit-relocs");
    }
}
