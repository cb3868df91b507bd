#![recursion_limit = "256"]
//! Browser entry point. The server renders every page; only the interactive parts
//! (`#[island]` components in `app`) load and hydrate here.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
    app::mark_hydrated_after_islands();
}
