//! Tauri build script: reads the workspace's top-level `tauri.conf.json` and the capabilities
//! beside this crate.
// A build script reports failure by panicking.
#[allow(clippy::panic)]
fn main() {
    let attributes = tauri_build::Attributes::new().config_path("../tauri.conf.json");
    if let Err(e) = tauri_build::try_build(attributes) {
        panic!("tauri build: {e:#}");
    }
}
