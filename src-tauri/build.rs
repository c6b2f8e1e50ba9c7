//! The Tauri configuration lives at the top of the repository (see NOTES-desktop.md).
// A build script reports failure by panicking.
#[allow(clippy::panic)]
fn main() {
    if let Err(e) =
        tauri_build::try_build(tauri_build::Attributes::new().config_path("../tauri.conf.json"))
    {
        panic!("tauri build: {e:#}");
    }
}
