//! The medoffice desktop app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    medoffice_desktop_lib::run();
}
