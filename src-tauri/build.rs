//! Tauri build script: reads `tauri.conf.json` beside it and the capabilities.
// A build script reports failure by panicking.
#[allow(clippy::panic)]
fn main() {
    if let Err(e) = tauri_build::try_build(tauri_build::Attributes::new()) {
        panic!("tauri build: {e:#}");
    }
}
